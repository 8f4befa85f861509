#include "daemon/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"

namespace wale::daemon {

StateLock::StateLock(const std::string& state_dir) {
  make_directories(state_dir, 0700);
  const std::string path = state_dir + "/wal-ed.lock";
  fd_ = open_file(path, O_RDWR | O_CREAT, 0600);
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) throw_system_error("cannot lock " + path);
    char buf[32] = {};
    const ssize_t n = ::pread(fd_.get(), buf, sizeof(buf) - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    throw Error(ErrorKind::permanent, "another wal-ed (pid " + pid + ") is running with the state directory " + state_dir +
                                          "; stop it first or give this one its own --state-dir");
  }
  struct stat st {};
  ran_before_ = ::fstat(fd_.get(), &st) == 0 && st.st_size > 0;
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_.get(), 0) != 0) throw_system_error("cannot write " + path);
  write_all(fd_.get(), pid, path);
}

void remove_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw_system_error("cannot examine " + path);
  }
  if (!S_ISSOCK(st.st_mode)) throw Error(ErrorKind::permanent, "refusing to replace " + path + ": it exists and is not a socket");
  if (::unlink(path.c_str()) != 0) throw_system_error("cannot remove the stale socket " + path);
}

}  // namespace wale::daemon
