// The fallback when no daemon accepts the connection: replace this process
// with `wal-ed --one-shot <args>`, which runs the same operation code with
// this process's own environment.
#pragma once

#include <string>
#include <vector>

namespace wale::shim {

// Returns the path of the wal-ed to run: next to the shim's real path first,
// then on PATH; empty when there is none.
std::string find_daemon_binary();

// Only returns on failure, with errno set.
void exec_one_shot(const std::string& daemon_binary, const std::vector<std::string>& args);

}  // namespace wale::shim
