#include "daemon/journal.hpp"

#include <ctime>
#include <mutex>

#include <sqlite3.h>
#include <unistd.h>

#include "common/core/error.hpp"

namespace wale::daemon {
namespace {

constexpr int kSchemaVersion = 1;

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
  e.sha256 = s.text(7);
  e.attempts = static_cast<int>(s.integer(8));
  e.last_error = s.text(9);
  return e;
}

constexpr const char* kColumns = "wal_dir, name, state, size, mtime_ns, inode, device, sha256, attempts, last_error";

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

Journal::Journal(const std::string& state_dir, const std::string& prefix_url)
    : path_(state_dir + "/journal.sqlite"), db_(std::make_unique<Db>()) {
  auto open = [&] {
    if (sqlite3_open_v2(path_.c_str(), &db_->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK)
      throw Error(ErrorKind::permanent, "cannot open the journal " + path_ + ": " + sqlite3_errmsg(db_->handle) +
                                            "; check that the state directory is writable by the daemon's user");
    sqlite3_busy_timeout(db_->handle, 5000);
    // WAL mode keeps every commit intact across a crash of the process;
    // synchronous=NORMAL may lose the last commits on power loss, which the
    // journal can afford: the store is the truth and PostgreSQL re-asks.
    db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    db_->exec(
        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS wal_dirs(path TEXT PRIMARY KEY, last_seen INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS segments(wal_dir TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,"
        " size INTEGER NOT NULL DEFAULT 0, mtime_ns INTEGER NOT NULL DEFAULT 0, inode INTEGER NOT NULL DEFAULT 0,"
        " device INTEGER NOT NULL DEFAULT 0, sha256 TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL, PRIMARY KEY (wal_dir, name));");
  };
  try {
    open();
    db_->exec("PRAGMA quick_check;");
  } catch (const Error&) {
    // A damaged journal is only a cache: start a new one.
    sqlite3_close_v2(db_->handle);
    db_->handle = nullptr;
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    open();
  }
  // Rows recorded for another prefix say nothing about this one.
  Statement get(db_->handle, "SELECT value FROM meta WHERE key='prefix'");
  const bool same = get.step() && get.text(0) == prefix_url;
  if (!same) {
    db_->exec("BEGIN; DELETE FROM segments;");
    Statement put(db_->handle, "INSERT OR REPLACE INTO meta(key, value) VALUES ('prefix', ?1), ('schema', ?2)");
    put.bind(1, prefix_url).bind(2, std::to_string(kSchemaVersion)).step();
    db_->exec("COMMIT;");
  }
}

Journal::~Journal() = default;

void Journal::record_uploading(const std::string& wal_dir, const std::string& name) {
  std::lock_guard lock(db_->mutex);
  db_->exec("BEGIN");
  try {
    Statement dir(db_->handle,
                  "INSERT INTO wal_dirs(path, last_seen) VALUES (?1, ?2) ON CONFLICT(path) DO UPDATE SET last_seen=?2");
    dir.bind(1, wal_dir).bind(2, now_seconds()).step();
    Statement s(db_->handle,
                "INSERT INTO segments(wal_dir, name, state, attempts, updated_at) VALUES (?1, ?2, 'uploading', 1, ?3)"
                " ON CONFLICT(wal_dir, name) DO UPDATE SET state='uploading', attempts=attempts+1, updated_at=?3");
    s.bind(1, wal_dir).bind(2, name).bind(3, now_seconds()).step();
  } catch (...) {
    db_->exec("ROLLBACK");
    throw;
  }
  db_->exec("COMMIT");
}

void Journal::record_uploaded(const std::string& wal_dir, const std::string& name, const pg::FileIdentity& id,
                              const std::string& sha256) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle,
              "INSERT INTO segments(wal_dir, name, state, size, mtime_ns, inode, device, sha256, last_error, updated_at)"
              " VALUES (?1, ?2, 'uploaded', ?3, ?4, ?5, ?6, ?7, '', ?8)"
              " ON CONFLICT(wal_dir, name) DO UPDATE SET state='uploaded', size=?3, mtime_ns=?4, inode=?5, device=?6,"
              " sha256=?7, last_error='', updated_at=?8");
  s.bind(1, wal_dir).bind(2, name).bind(3, static_cast<std::int64_t>(id.size)).bind(4, id.mtime_ns);
  s.bind(5, static_cast<std::int64_t>(id.inode)).bind(6, static_cast<std::int64_t>(id.device)).bind(7, sha256);
  s.bind(8, now_seconds()).step();
}

void Journal::record_failed(const std::string& wal_dir, const std::string& name, const std::string& error) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, "UPDATE segments SET state='failed', last_error=?3, updated_at=?4 WHERE wal_dir=?1 AND name=?2");
  s.bind(1, wal_dir).bind(2, name).bind(3, error).bind(4, now_seconds()).step();
}

void Journal::forget(const std::string& wal_dir, const std::string& name) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle, "DELETE FROM segments WHERE wal_dir=?1 AND name=?2");
  s.bind(1, wal_dir).bind(2, name).step();
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

void Journal::prune(std::size_t keep) {
  std::lock_guard lock(db_->mutex);
  Statement s(db_->handle,
              "DELETE FROM segments WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() OVER"
              " (PARTITION BY wal_dir ORDER BY name DESC) AS rn FROM segments WHERE state='uploaded') WHERE rn > ?1)");
  s.bind(1, static_cast<std::int64_t>(keep)).step();
}

}  // namespace wale::daemon
