// Just enough of the wal-e command line for the shim to choose its deadline
// and its failure status; the full parsing happens in the daemon or in the
// in-process runner, from the one option table.
#pragma once

#include <string>
#include <vector>

namespace wale::shim {

struct ShimCommand {
  std::string subcommand;  // empty when none was given
};

ShimCommand peek_command(const std::vector<std::string>& args);

// Reads a timeout in seconds from the environment, or `fallback` when unset.
// Throws std::invalid_argument with a message naming the variable when the
// value is not a positive number.
double timeout_from_env(const char* name, double fallback);

}  // namespace wale::shim
