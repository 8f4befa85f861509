// How sizes and instants read in the daemon's log lines and status.
#pragma once

#include <cstdint>
#include <string>

namespace wale::daemon {

// "1.5 GiB", "12.0 MiB", "512 B".
std::string format_bytes(std::uint64_t bytes);
// "2026-11-25T21:34:05Z"; empty for 0.
std::string iso_time(std::int64_t epoch_seconds);
std::int64_t epoch_now();

}  // namespace wale::daemon
