// Watches the archive backlog of every pg_wal directory the daemon serves:
// how many .ready segments wait and how many bytes they hold, how old the
// oldest is, and how much space is left on pg_wal's filesystem. Measured
// every second on its own thread, never on the I/O loop. Crossing the
// warning or critical threshold (and coming back below) is logged once.
// With the drop policy on (WALE_DROP_WAL_ABOVE), it decides which pushes
// are answered "archived" without being stored, records each such gap in
// the journal before the answer, and writes the gap's marker into the store
// as soon as the store takes writes again (archive/wal_gap.hpp). A gap stays
// in the status until a base backup newer than it is in the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/core/log.hpp"
#include "common/pg/wal_directory.hpp"
#include "daemon/backlog_policy.hpp"
#include "daemon/journal.hpp"
#include "daemon/reloadable_store.hpp"

namespace wale::daemon {

struct BacklogMeasurement {
  std::string pg_wal;
  std::uint64_t ready_segments = 0;
  std::uint64_t ready_bytes = 0;
  std::int64_t oldest_ready_at = 0;  // seconds since the epoch; 0 when nothing waits
  std::uint64_t filesystem_free_bytes = 0;  // available to the daemon's (PostgreSQL's) user
  std::uint64_t filesystem_size_bytes = 0;
};

// Reads <pg_wal>/archive_status and statvfs(pg_wal). Throws wale::Error.
BacklogMeasurement measure_backlog(const std::string& pg_wal);

struct DirectoryBacklog {
  BacklogMeasurement measured;
  BacklogLevel level = BacklogLevel::ok;
  std::uint64_t warning_bytes = 0;
  std::uint64_t critical_bytes = 0;
  std::uint64_t drop_bytes = 0;  // 0 when the drop policy is off
  bool dropping = false;         // above the drop limit while the store is failing
};

class BacklogMonitor {
 public:
  // `dropped_in_flight` tells how many uploads of dropped segments are
  // still under way: a gap is written to the store only once they ended,
  // as the segments the store really lacks.
  BacklogMonitor(ReloadableStore& store, Journal* journal, Log& log, BacklogPolicy policy,
                 std::function<std::size_t()> dropped_in_flight, std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~BacklogMonitor();
  BacklogMonitor(const BacklogMonitor&) = delete;
  BacklogMonitor& operator=(const BacklogMonitor&) = delete;

  // Starts measuring a pg_wal directory (once per directory).
  void watch(const std::string& pg_wal);
  void set_policy(const BacklogPolicy& policy);
  BacklogPolicy policy() const;

  // Cheap, for the I/O thread: whether this push is to be dropped. Only
  // WAL segments are ever dropped (never history or backup files), only
  // with the policy on, above its limit, while the store is failing.
  bool should_drop(const pg::WalSource& source) const;
  // Records the drop (journal first, then the log) and returns the gap it
  // belongs to. Blocking: call it off the I/O thread.
  GapEntry record_drop(const pg::WalSource& source);

  std::vector<DirectoryBacklog> backlog() const;
  std::vector<GapEntry> open_gaps() const;
  std::uint64_t segments_dropped() const;
  // A base backup may have been taken: look at the store for one newer
  // than the open gaps.
  void recheck_gaps();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wale::daemon
