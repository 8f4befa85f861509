// Watches the archive_status directories of the pg_wal directories the
// daemon serves (inotify), so that a new .ready file is queued for upload
// the moment PostgreSQL finishes a segment, not only when archive_command
// next runs.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace wale::daemon {

class ReadyWatcher {
 public:
  // `on_ready(wal_dir)` runs on the watcher's thread for each new .ready file.
  explicit ReadyWatcher(std::function<void(const std::string&)> on_ready);
  ~ReadyWatcher();
  ReadyWatcher(const ReadyWatcher&) = delete;
  ReadyWatcher& operator=(const ReadyWatcher&) = delete;

  // Starts watching <wal_dir>/archive_status (once per directory). Returns
  // false when inotify cannot watch it; read-ahead then happens only on
  // requests.
  bool watch(const std::string& wal_dir);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wale::daemon
