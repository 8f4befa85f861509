#include "daemon/ready_watcher.hpp"

#include <map>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/core/file.hpp"

namespace wale::daemon {

struct ReadyWatcher::Impl {
  std::function<void(const std::string&)> on_ready;
  UniqueFd inotify;
  UniqueFd stop_read, stop_write;  // a pipe that wakes the thread to stop
  std::mutex mutex;
  std::map<int, std::string> dirs_by_watch;
  std::map<std::string, int> watches;
  std::thread thread;

  void run() {
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
      pollfd fds[2] = {{inotify.get(), POLLIN, 0}, {stop_read.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      const ssize_t n = ::read(inotify.get(), buf, sizeof(buf));
      if (n <= 0) continue;
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buf + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        if (event->len == 0) continue;
        const std::string_view name(event->name);
        if (!name.ends_with(".ready")) continue;
        std::string dir;
        {
          std::lock_guard lock(mutex);
          const auto it = dirs_by_watch.find(event->wd);
          if (it == dirs_by_watch.end()) continue;
          dir = it->second;
        }
        on_ready(dir);
      }
    }
  }
};

ReadyWatcher::ReadyWatcher(std::function<void(const std::string&)> on_ready) : impl_(std::make_unique<Impl>()) {
  impl_->on_ready = std::move(on_ready);
  impl_->inotify = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) == 0) {
    impl_->stop_read = UniqueFd(pipe_fds[0]);
    impl_->stop_write = UniqueFd(pipe_fds[1]);
  }
  if (impl_->inotify && impl_->stop_read) impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

ReadyWatcher::~ReadyWatcher() {
  if (impl_->thread.joinable()) {
    [[maybe_unused]] const auto n = ::write(impl_->stop_write.get(), "x", 1);
    impl_->thread.join();
  }
}

bool ReadyWatcher::watch(const std::string& wal_dir) {
  if (!impl_->inotify) return false;
  std::lock_guard lock(impl_->mutex);
  if (impl_->watches.count(wal_dir)) return true;
  const std::string status_dir = wal_dir + "/archive_status";
  const int wd = ::inotify_add_watch(impl_->inotify.get(), status_dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
  if (wd < 0) return false;
  impl_->watches[wal_dir] = wd;
  impl_->dirs_by_watch[wd] = wal_dir;
  return true;
}

}  // namespace wale::daemon
