// The upload journal: SQLite in WAL mode under the state directory. It
// records every segment the daemon handles (queued, uploading, uploaded,
// failed) with its identity and checksum, and the pg_wal directories it has
// served. It is a cache of the truth, which is the store: after a crash the
// daemon resumes what was queued, and a lost journal costs only a few HEADs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/log.hpp"
#include "common/pg/wal_directory.hpp"

namespace wale::daemon {

enum class SegmentState { queued, uploading, uploaded, failed };

// A run of consecutive segments the drop policy reported archived without
// storing them (see archive/wal_gap.hpp).
struct GapEntry {
  std::int64_t id = 0;
  std::string wal_dir;
  pg::SegmentName first;
  pg::SegmentName last;
  std::uint64_t segments = 0;
  std::uint64_t bytes = 0;
  std::int64_t first_dropped_at = 0;  // seconds since the epoch
  std::int64_t last_dropped_at = 0;
  std::string reason;
  std::string published_key;  // the marker in the store, once written
  std::uint64_t segment_size = 0;
};

struct JournalEntry {
  std::string wal_dir;
  std::string name;
  SegmentState state = SegmentState::queued;
  pg::FileIdentity identity;
  std::string content_hash;
  int attempts = 0;
  std::string last_error;
};

// What the daemon found when it opened its journal. Every case but
// `reused` is reported (log_journal_opening): an operator must learn that
// the upload history was lost even though nothing in the store was.
struct JournalOpening {
  enum class Outcome {
    reused,        // the journal of the last run, intact
    first_start,   // no journal, and no daemon ran here before
    missing,       // no journal, although a daemon ran here before (deleted)
    damaged,       // truncated or corrupt: moved aside, a new one started
    other_schema,  // written by another release: its rows were dropped
    other_prefix,  // recorded uploads to another prefix: its rows were dropped
  };
  Outcome outcome = Outcome::reused;
  std::string detail;    // what was wrong (SQLite's words, the other prefix)
  std::string moved_to;  // where the damaged journal (or orphaned -wal) now lies
};

struct JournalOptions {
  // A daemon used this state directory before (its lock file held a pid):
  // a missing journal was then deleted, not never created.
  bool ran_before = false;
  // Holds each batch back that long (a test knob; 0 in production).
  std::chrono::milliseconds commit_delay{0};
  // Where the writer says that commits fail (a full disk) and when they
  // succeed again; nullptr: nowhere.
  Log* log = nullptr;
};

// Writes are queued and committed by a writer thread in batches, one
// transaction for many segments: the answer to PostgreSQL never waits for
// the journal. That keeps the durability rule, because the journal only
// caches what the store holds: a crash between the store's acknowledgement
// and the commit costs a HEAD on the next push of that segment, never a
// segment (test_journal_crash.sh kills the daemon in exactly that window).
class Journal {
 public:
  // Opens (creating if needed) <state_dir>/journal.sqlite. A journal that
  // SQLite cannot read or that fails its quick check is never deleted: it
  // is renamed to journal.sqlite.corrupt-<UTC time> and a new one started.
  // A journal of another prefix or schema has its rows dropped. opening()
  // tells which of these happened.
  Journal(const std::string& state_dir, const std::string& prefix_url, JournalOptions options = {});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // A file's upload begins; also remembers its pg_wal directory.
  void record_uploading(const std::string& wal_dir, const std::string& name);
  void record_uploaded(const std::string& wal_dir, const std::string& name, const pg::FileIdentity& identity,
                       const std::string& content_hash);
  void record_failed(const std::string& wal_dir, const std::string& name, const std::string& error);
  void forget(const std::string& wal_dir, const std::string& name);

  // Entries that were queued or uploading when the daemon stopped.
  std::vector<JournalEntry> unfinished();
  // The most recent uploaded entries, to warm the in-memory cache.
  std::vector<JournalEntry> recent_uploaded(std::size_t limit);
  std::vector<std::string> wal_directories();

  // Records a dropped segment before PostgreSQL hears it was archived:
  // committed at once, not batched. Extends the directory's gap that ends
  // just before `segment` (`segment_size` gives the arithmetic), else opens
  // a new one. Returns the gap as it now stands.
  GapEntry record_dropped(const std::string& wal_dir, const pg::SegmentName& segment, std::uint64_t segment_size,
                          std::uint64_t bytes, const std::string& reason);
  // Gaps of this prefix that no base backup taken since has made harmless.
  std::vector<GapEntry> open_gaps();
  void gap_published(std::int64_t id, const std::string& key);
  // The gap as it turned out once the store was back: some segments
  // dropped while their upload was under way may have been stored. Both
  // change the gap only while it still ends at `last_seen` (a drop may
  // have extended it meanwhile); false when it did not.
  bool gap_settled(const GapEntry& gap, const pg::SegmentName& last_seen);
  bool gap_resolved(std::int64_t id, const pg::SegmentName& last_seen);

  // Drops uploaded rows beyond the newest `keep` per directory.
  void prune(std::size_t keep);

  // Waits until every queued write is committed.
  void flush();
  std::uint64_t commits() const;  // transactions committed so far

  const std::string& path() const { return path_; }
  const JournalOpening& opening() const { return opening_; }

 private:
  struct Db;
  struct Writer;
  std::string open_checked(bool must_hold_journal);

  std::string path_;
  std::string prefix_url_;
  JournalOpening opening_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Writer> writer_;
};

// Logs what opening the journal found: a WARNING for a missing or damaged
// journal (what was lost, and why no upload is skipped for it), INFO for a
// new or reset one, nothing when the last run's journal was reused.
void log_journal_opening(Log& log, const std::string& journal_path, const JournalOpening& opening);

}  // namespace wale::daemon
