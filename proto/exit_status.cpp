#include "proto/exit_status.hpp"

#include <string>

#include <unistd.h>

namespace wale::proto {

int fetch_failure_status(std::string_view cwd, FetchFailure failure) {
  if (failure == FetchFailure::not_found) return kExitFailure;
  const std::string standby = std::string(cwd) + "/standby.signal";
  // PostgreSQL runs as a standby when standby.signal exists, whether or not
  // recovery.signal exists too.
  if (failure == FetchFailure::transient && ::access(standby.c_str(), F_OK) == 0) return kExitFailure;
  return kExitAbortRecovery;
}

}  // namespace wale::proto
