// The daemon's archive path. A wal-push request either finds its file
// already stored (the journal knows the exact file: microseconds) or joins
// the upload queue. Workers read and compress on a CPU pool, then store on
// a transfer pool, retrying transient store failures with backoff for as
// long as the file exists. Queue depth is unbounded (entries are names);
// bytes held in memory stay under a budget. Read-ahead queues the other
// .ready segments of the directory so that PostgreSQL's next calls find
// them stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/command/wal_object.hpp"
#include "common/core/log.hpp"
#include "common/pg/wal_directory.hpp"
#include "common/storage/blob_store.hpp"
#include "daemon/stuck_watch.hpp"

namespace wale::daemon {

class Journal;

struct PushResult {
  bool ok = false;
  std::string error;  // one line, when !ok
  command::StoreOutcome outcome = command::StoreOutcome::stored;
  std::uint64_t raw_size = 0;
  double seconds = 0;
};

struct PipelineOptions {
  std::size_t cpu_threads = 2;
  std::size_t transfer_threads = 8;
  std::size_t read_ahead = 32;         // files in flight per directory, the requested one included
  std::uint64_t memory_budget = 48u << 20;
  std::size_t cache_entries = 8192;    // stored files remembered in memory
  bool watch_directories = true;       // inotify on archive_status
  codec::ObjectEncoding encoding;      // the compression, and GPG when a key is set
  std::chrono::seconds stuck_after{600};  // one segment failing this long is logged as stuck
};

struct PipelineCounters {
  std::uint64_t queued = 0;  // jobs waiting or running
  std::uint64_t uploaded = 0;
  std::uint64_t already_stored = 0;
  std::uint64_t failed = 0;
  std::uint64_t bytes_in = 0;   // uncompressed bytes read
  std::uint64_t bytes_out = 0;  // bytes stored
  std::uint64_t bytes_held = 0; // segment bytes in memory now
  std::string last_segment;
  std::int64_t last_segment_at = 0;  // seconds since the epoch
  std::string last_error;
  std::int64_t last_error_at = 0;
};

class UploadPipeline {
 public:
  UploadPipeline(storage::BlobStore& store, Journal* journal, Log& log, PipelineOptions options);
  ~UploadPipeline();
  UploadPipeline(const UploadPipeline&) = delete;
  UploadPipeline& operator=(const UploadPipeline&) = delete;

  // True when this exact file (name, size, mtime, inode) was stored before.
  bool already_stored(const pg::WalSource& source) const;

  // Uploads `source` (or joins the upload already under way) and calls
  // `done` once, from a pipeline thread, when it is durable or failed.
  // Non-transient failures end the job; transient ones are retried until
  // the file disappears or the pipeline drains.
  void push(const pg::WalSource& source, std::function<void(const PushResult&)> done);

  // Queues other .ready segments of `wal_dir` (not `exclude`), off the caller's thread.
  void read_ahead(const std::string& wal_dir, const std::string& exclude);

  // After a restart: re-queues what the journal left unfinished and reads
  // ahead in every pg_wal directory it knows.
  void resume_from_journal();

  // Stops starting new work, waits until `deadline` for stores in flight,
  // and fails whatever is still waiting.
  void drain(std::chrono::steady_clock::time_point deadline);

  PipelineCounters counters() const;

  // The segment failing for the longest time, once past stuck_after.
  std::optional<StuckSegment> stuck() const;
  void set_stuck_after(std::chrono::seconds after);
  // The drop policy answered for `path`: PostgreSQL was told it is
  // archived, so the pipeline stops trying to store it (an attempt under
  // way may still finish) and never reads it ahead again.
  void abandon(const std::string& path);
  // Uploads of abandoned files still under way (they may yet store them).
  std::size_t abandoned_in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wale::daemon
