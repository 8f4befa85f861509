#include "daemon/journal.hpp"

#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"
#include "common/core/file.hpp"

namespace wale::daemon {
namespace {

constexpr int kSchemaVersion = 2;

SegmentState state_from(std::string_view s) {
  if (s == "uploading") return SegmentState::uploading;
  if (s == "uploaded") return SegmentState::uploaded;
  if (s == "failed") return SegmentState::failed;
  return SegmentState::queued;
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw Error(ErrorKind::permanent, std::string("journal: cannot prepare statement: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(ErrorKind::transient, std::string("journal: ") + sqlite3_errmsg(db_));
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

JournalEntry entry_from(const Statement& s) {
  JournalEntry e;
  e.wal_dir = s.text(0);
  e.name = s.text(1);
  e.state = state_from(s.text(2));
  e.identity.size = static_cast<std::uint64_t>(s.integer(3));
  e.identity.mtime_ns = s.integer(4);
  e.identity.inode = static_cast<std::uint64_t>(s.integer(5));
  e.identity.device = static_cast<std::uint64_t>(s.integer(6));
  e.content_hash = s.text(7);
  e.attempts = static_cast<int>(s.integer(8));
  e.last_error = s.text(9);
  return e;
}

constexpr const char* kColumns = "wal_dir, name, state, size, mtime_ns, inode, device, content_hash, attempts, last_error";

}  // namespace

struct Journal::Db {
  sqlite3* handle = nullptr;
  std::mutex mutex;
  ~Db() { sqlite3_close_v2(handle); }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(handle, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      throw Error(ErrorKind::permanent, "journal: " + msg);
    }
  }
};

namespace {

std::string utc_stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Renames the journal and its SQLite companions (-wal, -shm) to
// <path>.corrupt-<UTC time>, keeping the evidence; returns the new name.
std::string move_aside(const std::string& path) {
  const std::string base = path + ".corrupt-" + utc_stamp();
  std::string target = base;
  for (int n = 2; exists(target) || exists(target + "-wal"); ++n) target = base + "." + std::to_string(n);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (::rename((path + suffix).c_str(), (target + suffix).c_str()) != 0 && errno != ENOENT)
      throw_system_error("cannot move the damaged journal " + path + suffix + " aside to " + target + suffix);
  }
  fsync_directory(dirname_of(path));
  return target;
}

}  // namespace

// Opens the file and proves it is a readable journal (or a new, empty
// database); returns what is wrong with it, or "" when nothing is.
std::string Journal::open_checked(bool must_hold_journal) {
  if (sqlite3_open_v2(path_.c_str(), &db_->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    throw Error(ErrorKind::permanent, "cannot open the journal " + path_ + ": " + sqlite3_errmsg(db_->handle) +
                                          "; check that the state directory is writable by the daemon's user");
  sqlite3_busy_timeout(db_->handle, 5000);
  try {
    // WAL mode keeps every commit intact across a crash of the process;
    // synchronous=NORMAL may lose the last commits on power loss, which the
    // journal can afford: the store is the truth and PostgreSQL re-asks.
    db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    // quick_check reports damage as result rows, not as an error.
    Statement check(db_->handle, "PRAGMA quick_check");
    if (check.step() && check.text(0) != "ok") return "SQLite's quick check says: " + check.text(0);
    if (must_hold_journal) {
      Statement meta(db_->handle, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
      if (!meta.step() || meta.integer(0) == 0) return "it is an SQLite database without the journal's tables";
    }
  } catch (const Error& e) {
    std::string_view what = e.what();
    if (what.starts_with("journal: ")) what.remove_prefix(9);
    return "SQLite says: " + std::string(what);
  }
  return {};
}

Journal::Journal(const std::string& state_dir, const std::string& prefix_url, JournalOptions options)
    : path_(state_dir + "/journal.sqlite"), prefix_url_(prefix_url), db_(std::make_unique<Db>()) {
  struct stat st {};
  const bool present = ::lstat(path_.c_str(), &st) == 0;
  if (!present) {
    opening_.outcome = options.ran_before ? JournalOpening::Outcome::missing : JournalOpening::Outcome::first_start;
    // A -wal file without its database would be replayed into the new one.
    if (exists(path_ + "-wal") || exists(path_ + "-shm")) opening_.moved_to = move_aside(path_);
  }
  // SQLite takes an empty file for a new database: for a journal that
  // existed, that is damage (truncated to nothing), not a fresh start.
  std::string damage = present && st.st_size == 0 ? "it is empty (truncated to 0 bytes)" : open_checked(present);
  if (!damage.empty()) {
    sqlite3_close_v2(db_->handle);
    db_->handle = nullptr;
    opening_ = JournalOpening{JournalOpening::Outcome::damaged, damage, move_aside(path_)};
    if (const std::string again = open_checked(false); !again.empty())
      throw Error(ErrorKind::permanent, "cannot create a new journal " + path_ + ": " + again);
  }
  db_->exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);");
  // A journal of another schema is a cache of another format: start over.
  Statement schema(db_->handle, "SELECT value FROM meta WHERE key='schema'");
  if (schema.step() && schema.text(0) != std::to_string(kSchemaVersion)) {
    opening_.outcome = JournalOpening::Outcome::other_schema;
    opening_.detail = "schema " + schema.text(0) + ", this release writes schema " + std::to_string(kSchemaVersion);
    db_->exec("DROP TABLE IF EXISTS segments; DROP TABLE IF EXISTS wal_dirs; DELETE FROM meta;");
  }
  db_->exec(
      "CREATE TABLE IF NOT EXISTS wal_dirs(path TEXT PRIMARY KEY, last_seen INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS segments(wal_dir TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,"
      " size INTEGER NOT NULL DEFAULT 0, mtime_ns INTEGER NOT NULL DEFAULT 0, inode INTEGER NOT NULL DEFAULT 0,"
      " device INTEGER NOT NULL DEFAULT 0, content_hash TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
      " last_error TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL, PRIMARY KEY (wal_dir, name));"
      // Not a cache: the record of WAL the drop policy gave up. Kept
      // across schema changes of the other tables and across prefixes.
      "CREATE TABLE IF NOT EXISTS gaps(id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, wal_dir TEXT NOT NULL,"
      " first TEXT NOT NULL, last TEXT NOT NULL, segment_size INTEGER NOT NULL, segments INTEGER NOT NULL,"
      " bytes INTEGER NOT NULL, first_dropped_at INTEGER NOT NULL, last_dropped_at INTEGER NOT NULL,"
      " reason TEXT NOT NULL, published_key TEXT NOT NULL DEFAULT '', resolved_at INTEGER NOT NULL DEFAULT 0);");
  // Rows recorded for another prefix say nothing about this one.
  Statement get(db_->handle, "SELECT value FROM meta WHERE key='prefix'");
  const bool recorded = get.step();
  if (!recorded || get.text(0) != prefix_url) {
    if (recorded && opening_.outcome == JournalOpening::Outcome::reused) {
      opening_.outcome = JournalOpening::Outcome::other_prefix;
      opening_.detail = get.text(0);
    }
    db_->exec("BEGIN; DELETE FROM segments;");
    Statement put(db_->handle, "INSERT OR REPLACE INTO meta(key, value) VALUES ('prefix', ?1), ('schema', ?2)");
    put.bind(1, prefix_url).bind(2, std::to_string(kSchemaVersion)).step();
    db_->exec("COMMIT;");
  }
  writer_ = std::make_unique<Writer>(*this, options.commit_delay, options.log);
}

void log_journal_opening(Log& log, const std::string& journal_path, const JournalOpening& opening) {
  using Outcome = JournalOpening::Outcome;
  // What a lost journal costs, and why that never skips an upload.
  const std::string consequences =
      " Lost: the record of which segments this daemon uploaded, and the pg_wal directories it served. Nothing in the "
      "store is lost, and no upload is skipped: until a segment is uploaded again or found in the store (a HEAD), it "
      "counts as not stored; each cluster's pg_wal is found again from PostgreSQL's next wal-push, which also reads "
      "ahead its .ready backlog. Gaps of the drop policy not yet marked in the store are forgotten, but verify still "
      "reports the WAL missing there.";
  const std::string evidence = opening.moved_to.empty() ? std::string() : " The old files were kept as " + opening.moved_to + ".";
  switch (opening.outcome) {
    case Outcome::reused: return;
    case Outcome::first_start:
      log.info("wal_e.journal", "created the journal " + journal_path);
      return;
    case Outcome::missing:
      log.warning("wal_e.journal", "the journal " + journal_path + " is missing; started a new one",
                  "A daemon used this state directory before, so the journal was deleted." + evidence + consequences,
                  "Find out what removed it: the state directory must survive restarts.");
      return;
    case Outcome::damaged:
      log.warning("wal_e.journal", "the journal " + journal_path + " is damaged; moved it aside and started a new one",
                  "It could not be used: " + opening.detail + "." + evidence + consequences,
                  "Check the disk holding the state directory; the moved file may be inspected or deleted.");
      return;
    case Outcome::other_schema:
      log.info("wal_e.journal", "the journal was written by another release; its records were dropped", opening.detail);
      return;
    case Outcome::other_prefix:
      log.info("wal_e.journal", "the journal recorded uploads to another prefix; its segment records were dropped",
               "It recorded " + opening.detail + "; this daemon archives elsewhere, so they say nothing about what is stored.");
      return;
  }
}

// --- the batched writer -------------------------------------------------------

namespace {

struct WriteOp {
  enum class Kind { uploading, uploaded, failed, forget } kind;
  std::string wal_dir;
  std::string name;
  pg::FileIdentity identity;
  std::string text;  // the content hash, or the error
};

constexpr auto kBatchWindow = std::chrono::milliseconds(20);
constexpr std::size_t kPruneEvery = 1024;  // uploads between prunes
constexpr std::size_t kKeepPerDirectory = 16384;

void apply(sqlite3* db, const WriteOp& op) {
  const std::int64_t now = now_seconds();
  switch (op.kind) {
    case WriteOp::Kind::uploading: {
      Statement dir(db, "INSERT INTO wal_dirs(path, last_seen) VALUES (?1, ?2) ON CONFLICT(path) DO UPDATE SET last_seen=?2");
      dir.bind(1, op.wal_dir).bind(2, now).step();
      Statement s(db,
                  "INSERT INTO segments(wal_dir, name, state, attempts, updated_at) VALUES (?1, ?2, 'uploading', 1, ?3)"
                  " ON CONFLICT(wal_dir, name) DO UPDATE SET state='uploading', attempts=attempts+1, updated_at=?3");
      s.bind(1, op.wal_dir).bind(2, op.name).bind(3, now).step();
      break;
    }
    case WriteOp::Kind::uploaded: {
      Statement s(db,
                  "INSERT INTO segments(wal_dir, name, state, size, mtime_ns, inode, device, content_hash, last_error, updated_at)"
                  " VALUES (?1, ?2, 'uploaded', ?3, ?4, ?5, ?6, ?7, '', ?8)"
                  " ON CONFLICT(wal_dir, name) DO UPDATE SET state='uploaded', size=?3, mtime_ns=?4, inode=?5, device=?6,"
                  " content_hash=?7, last_error='', updated_at=?8");
      s.bind(1, op.wal_dir).bind(2, op.name).bind(3, static_cast<std::int64_t>(op.identity.size)).bind(4, op.identity.mtime_ns);
      s.bind(5, static_cast<std::int64_t>(op.identity.inode)).bind(6, static_cast<std::int64_t>(op.identity.device));
      s.bind(7, op.text).bind(8, now).step();
      break;
    }
    case WriteOp::Kind::failed: {
      Statement s(db, "UPDATE segments SET state='failed', last_error=?3, updated_at=?4 WHERE wal_dir=?1 AND name=?2");
      s.bind(1, op.wal_dir).bind(2, op.name).bind(3, op.text).bind(4, now).step();
      break;
    }
    case WriteOp::Kind::forget: {
      Statement s(db, "DELETE FROM segments WHERE wal_dir=?1 AND name=?2");
      s.bind(1, op.wal_dir).bind(2, op.name).step();
      break;
    }
  }
}

}  // namespace

struct Journal::Writer {
  Journal& journal;
  std::chrono::milliseconds delay;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable drained;
  std::deque<WriteOp> queue;
  bool busy = false;
  bool stopping = false;
  std::uint64_t commits = 0;
  std::size_t uploads_since_prune = 0;
  Log* log;
  bool failing = false;  // the last commit failed, and that was reported
  std::thread thread;

  Writer(Journal& j, std::chrono::milliseconds d, Log* l) : journal(j), delay(d), log(l) {
    thread = std::thread([this] { run(); });
  }
  ~Writer() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    thread.join();
  }

  void push(WriteOp op) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(op));
    }
    wake.notify_one();
  }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty() && stopping) return;
      // Gather what arrives within the window into the same transaction.
      busy = true;
      lock.unlock();
      std::this_thread::sleep_for(std::max(kBatchWindow, delay));
      lock.lock();
      std::deque<WriteOp> batch;
      batch.swap(queue);
      lock.unlock();
      commit(batch);
      lock.lock();
      busy = false;
      drained.notify_all();
    }
  }

  void commit(const std::deque<WriteOp>& batch) {
    std::lock_guard db_lock(journal.db_->mutex);
    try {
      journal.db_->exec("BEGIN");
      for (const auto& op : batch) {
        apply(journal.db_->handle, op);
        if (op.kind == WriteOp::Kind::uploaded) ++uploads_since_prune;
      }
      journal.db_->exec("COMMIT");
      ++commits;
      report_recovery();
    } catch (const std::exception& e) {
      // The journal is a cache: a lost batch costs HEADs later, nothing more.
      try {
        journal.db_->exec("ROLLBACK");
      } catch (const std::exception&) {
      }
      report_failure(e.what());
    }
    if (uploads_since_prune >= kPruneEvery) {
      uploads_since_prune = 0;
      try {
        Statement s(journal.db_->handle,
                    "DELETE FROM segments WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() OVER"
                    " (PARTITION BY wal_dir ORDER BY name DESC) AS rn FROM segments WHERE state='uploaded') WHERE rn > ?1)");
        s.bind(1, static_cast<std::int64_t>(kKeepPerDirectory)).step();
      } catch (const std::exception&) {
      }
    }
  }

  // Once per run of failures, not once per batch: a full disk fails every
  // commit until someone frees space.
  void report_failure(std::string_view what) {
    if (failing || log == nullptr) return;
    failing = true;
    if (what.starts_with("journal: ")) what.remove_prefix(9);
    log->error("wal_e.journal",
               "the journal " + journal.path_ + " cannot record uploads: " + std::string(what) + "; archiving goes on without it",
               "Free space on the state directory's file system; no restart is needed.");
  }
  void report_recovery() {
    if (!failing || log == nullptr) return;
    failing = false;
    log->info("wal_e.journal", "the journal " + journal.path_ + " records uploads again");
  }

  void flush() {
    std::unique_lock lock(mutex);
    drained.wait(lock, [this] { return queue.empty() && !busy; });
  }
};

void Journal::record_uploading(const std::string& wal_dir, const std::string& name) {
  writer_->push(WriteOp{WriteOp::Kind::uploading, wal_dir, name, {}, {}});
}

void Journal::record_uploaded(const std::string& wal_dir, const std::string& name, const pg::FileIdentity& id,
                              const std::string& content_hash) {
  writer_->push(WriteOp{WriteOp::Kind::uploaded, wal_dir, name, id, content_hash});
}

void Journal::record_failed(const std::string& wal_dir, const std::string& name, const std::string& error) {
  writer_->push(WriteOp{WriteOp::Kind::failed, wal_dir, name, {}, error});
}

void Journal::forget(const std::string& wal_dir, const std::string& name) {
  writer_->push(WriteOp{WriteOp::Kind::forget, wal_dir, name, {}, {}});
}

void Journal::flush() { writer_->flush(); }

// The writer commits what is queued before the database closes.
Journal::~Journal() { writer_.reset(); }

std::uint64_t Journal::commits() const {
  std::lock_guard lock(writer_->mutex);
  return writer_->commits;
}

std::vector<JournalEntry> Journal::unfinished() {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, (std::string("SELECT ") + kColumns +
                            " FROM segments WHERE state IN ('queued','uploading') ORDER BY wal_dir, name").c_str());
  std::vector<JournalEntry> out;
  while (s.step()) out.push_back(entry_from(s));
  return out;
}

std::vector<JournalEntry> Journal::recent_uploaded(std::size_t limit) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, (std::string("SELECT ") + kColumns +
                            " FROM segments WHERE state='uploaded' ORDER BY updated_at DESC LIMIT ?1").c_str());
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<JournalEntry> out;
  while (s.step()) out.push_back(entry_from(s));
  return out;
}

std::vector<std::string> Journal::wal_directories() {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, "SELECT path FROM wal_dirs ORDER BY last_seen DESC");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

namespace {

constexpr const char* kGapColumns =
    "id, wal_dir, first, last, segments, bytes, first_dropped_at, last_dropped_at, reason, published_key, segment_size";

GapEntry gap_from(const Statement& s) {
  GapEntry g;
  g.id = s.integer(0);
  g.wal_dir = s.text(1);
  g.first = pg::parse_segment_name(s.text(2)).value_or(pg::SegmentName{});
  g.last = pg::parse_segment_name(s.text(3)).value_or(pg::SegmentName{});
  g.segments = static_cast<std::uint64_t>(s.integer(4));
  g.bytes = static_cast<std::uint64_t>(s.integer(5));
  g.first_dropped_at = s.integer(6);
  g.last_dropped_at = s.integer(7);
  g.reason = s.text(8);
  g.published_key = s.text(9);
  g.segment_size = static_cast<std::uint64_t>(s.integer(10));
  return g;
}

}  // namespace

GapEntry Journal::record_dropped(const std::string& wal_dir, const pg::SegmentName& segment, std::uint64_t segment_size,
                                 std::uint64_t bytes, const std::string& reason) {
  std::lock_guard lock(db_->mutex);
  const std::int64_t now = now_seconds();
  db_->exec("BEGIN IMMEDIATE");
  try {
    std::optional<GapEntry> extended;
    Statement latest(db_->handle, (std::string("SELECT ") + kGapColumns +
                                   " FROM gaps WHERE prefix=?1 AND wal_dir=?2 AND resolved_at=0 ORDER BY id DESC LIMIT 1").c_str());
    latest.bind(1, prefix_url_).bind(2, wal_dir);
    if (latest.step() && static_cast<std::uint64_t>(latest.integer(10)) == segment_size && pg::valid_segment_size(segment_size)) {
      GapEntry g = gap_from(latest);
      if (pg::SegmentGeometry(segment_size).next(g.last) == segment) extended = g;
    }
    GapEntry g;
    if (extended) {
      g = *extended;
      g.last = segment;
      ++g.segments;
      g.bytes += bytes;
      g.last_dropped_at = now;
      Statement s(db_->handle, "UPDATE gaps SET last=?2, segments=?3, bytes=?4, last_dropped_at=?5 WHERE id=?1");
      s.bind(1, g.id).bind(2, g.last.str()).bind(3, static_cast<std::int64_t>(g.segments));
      s.bind(4, static_cast<std::int64_t>(g.bytes)).bind(5, now).step();
    } else {
      g = GapEntry{0, wal_dir, segment, segment, 1, bytes, now, now, reason, {}, segment_size};
      Statement s(db_->handle,
                  "INSERT INTO gaps(prefix, wal_dir, first, last, segment_size, segments, bytes, first_dropped_at,"
                  " last_dropped_at, reason) VALUES (?1, ?2, ?3, ?3, ?4, 1, ?5, ?6, ?6, ?7)");
      s.bind(1, prefix_url_).bind(2, wal_dir).bind(3, segment.str()).bind(4, static_cast<std::int64_t>(segment_size));
      s.bind(5, static_cast<std::int64_t>(bytes)).bind(6, now).bind(7, reason).step();
      g.id = sqlite3_last_insert_rowid(db_->handle);
    }
    db_->exec("COMMIT");
    return g;
  } catch (...) {
    try {
      db_->exec("ROLLBACK");
    } catch (const std::exception&) {
    }
    throw;
  }
}

std::vector<GapEntry> Journal::open_gaps() {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, (std::string("SELECT ") + kGapColumns + " FROM gaps WHERE prefix=?1 AND resolved_at=0 ORDER BY id").c_str());
  s.bind(1, prefix_url_);
  std::vector<GapEntry> out;
  while (s.step()) out.push_back(gap_from(s));
  return out;
}

void Journal::gap_published(std::int64_t id, const std::string& key) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, "UPDATE gaps SET published_key=?2 WHERE id=?1");
  s.bind(1, id).bind(2, key).step();
}

bool Journal::gap_settled(const GapEntry& gap, const pg::SegmentName& last_seen) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, "UPDATE gaps SET first=?2, last=?3, segments=?4, bytes=?5 WHERE id=?1 AND last=?6");
  s.bind(1, gap.id).bind(2, gap.first.str()).bind(3, gap.last.str()).bind(4, static_cast<std::int64_t>(gap.segments));
  s.bind(5, static_cast<std::int64_t>(gap.bytes)).bind(6, last_seen.str()).step();
  return sqlite3_changes(db_->handle) > 0;
}

bool Journal::gap_resolved(std::int64_t id, const pg::SegmentName& last_seen) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, "UPDATE gaps SET resolved_at=?2 WHERE id=?1 AND last=?3");
  s.bind(1, id).bind(2, now_seconds()).bind(3, last_seen.str()).step();
  return sqlite3_changes(db_->handle) > 0;
}

void Journal::prune(std::size_t keep) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle,
              "DELETE FROM segments WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() OVER"
              " (PARTITION BY wal_dir ORDER BY name DESC) AS rn FROM segments WHERE state='uploaded') WHERE rn > ?1)");
  s.bind(1, static_cast<std::int64_t>(keep)).step();
}

}  // namespace wale::daemon
