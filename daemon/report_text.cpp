#include "daemon/report_text.hpp"

#include <array>
#include <cstdio>
#include <ctime>

namespace wale::daemon {

std::string format_bytes(std::uint64_t bytes) {
  constexpr std::array<const char*, 5> kNames{"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t i = 0;
  while (v >= 1024 && i + 1 < kNames.size()) {
    v /= 1024;
    ++i;
  }
  char buf[32];
  if (i == 0) std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof(buf), "%.1f %s", v, kNames[i]);
  return buf;
}

std::string iso_time(std::int64_t epoch_seconds) {
  if (epoch_seconds == 0) return {};
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t epoch_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace wale::daemon
