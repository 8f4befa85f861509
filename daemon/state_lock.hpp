// One daemon per state directory: an flock on <state_dir>/wal-ed.lock held
// for the daemon's lifetime. The kernel drops it when the process dies,
// however it dies, so a crash never leaves a stale lock.
#pragma once

#include <string>

#include "common/core/file.hpp"

namespace wale::daemon {

class StateLock {
 public:
  // Creates the state directory (0700) if needed. Throws wale::Error naming
  // the pid of the daemon holding the lock.
  explicit StateLock(const std::string& state_dir);
  // A daemon held this lock before (the lock file named its pid): the state
  // directory is not new, so a journal missing from it was removed.
  bool ran_before() const { return ran_before_; }

 private:
  UniqueFd fd_;
  bool ran_before_ = false;
};

// Removes a socket file left by a daemon that died (the caller holds the
// state lock, so no live daemon owns it); refuses to remove anything that
// is not a socket.
void remove_stale_socket(const std::string& path);

}  // namespace wale::daemon
