// Exit statuses the wal-e commands return, shared by the shim (for its own
// failures) and the daemon. PostgreSQL's contract: for restore_command any
// status above 125 aborts recovery, 1..125 means "not available (yet)"; for
// archive_command a status above 125 kills the archiver process, so a
// failing wal-push is always 1.
#pragma once

#include <string_view>

namespace wale::proto {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
// wal-fetch failures other than "not in the archive" during targeted
// recovery: PostgreSQL stops recovery instead of ending it early.
inline constexpr int kExitAbortRecovery = 255;

// What kind of failure a wal-fetch ended in.
enum class FetchFailure {
  not_found,  // the archive answered "no such object"
  transient,  // the store could not be reached or answered with an error after retries
  permanent,  // corrupt object, usage or configuration error
};

// The exit status for a failed wal-fetch run from data directory `cwd`:
// 1 for "not found"; on a standby (standby.signal) 1 for transient failures
// too, so that PostgreSQL keeps retrying; otherwise kExitAbortRecovery.
int fetch_failure_status(std::string_view cwd, FetchFailure failure);

}  // namespace wale::proto
