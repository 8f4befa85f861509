// The journal survives being deleted, truncated or overwritten while the
// daemon is stopped, and says so: the damaged file is kept beside a new
// journal, and the report names what was lost. A lost journal never makes
// a segment count as stored.
#include "daemon/journal.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <sqlite3.h>
#include <unistd.h>

#include "common/core/log.hpp"
#include "tests/unit/support/temp_dir.hpp"

namespace fs = std::filesystem;
using wale::Level;
using wale::TextLog;
using wale::daemon::Journal;
using wale::daemon::JournalOpening;
using wale::daemon::JournalOptions;
using wale::test::read_file;
using wale::test::TempDir;
using wale::test::write_file;
using Outcome = JournalOpening::Outcome;

namespace {

const std::string kPrefix = "file://localhost/srv/archive";
const std::string kWalDir = "/srv/pg/pg_wal";

JournalOptions ran_before() {
  JournalOptions o;
  o.ran_before = true;
  return o;
}

// A journal with enough rows to span several pages, closed cleanly.
void fill_journal(const std::string& state_dir) {
  Journal journal(state_dir, kPrefix);
  for (int i = 0; i < 400; ++i) {
    const std::string name = "0000000100000000000000" + std::to_string(10 + i % 90) + std::to_string(i);
    journal.record_uploaded(kWalDir, name, wale::pg::FileIdentity{16u << 20, i, static_cast<std::uint64_t>(i), 1},
                            std::string(32, 'a'));
  }
  journal.record_uploading(kWalDir, "000000010000000000000099");
  journal.flush();
}

std::vector<std::string> corrupt_copies(const std::string& state_dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(state_dir))
    if (e.path().filename().string().starts_with("journal.sqlite.corrupt-")) out.push_back(e.path().string());
  return out;
}

// The journal works after whatever happened when it was opened.
void check_usable(Journal& journal) {
  journal.record_uploaded(kWalDir, "0000000100000000000000AA", wale::pg::FileIdentity{1, 2, 3, 4}, "h");
  journal.flush();
  const auto rows = journal.recent_uploaded(10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "0000000100000000000000AA");
}

std::string logged(const std::string& path, const JournalOpening& opening) {
  std::string text;
  TextLog log(Level::info, [&](std::string_view t) { text += t; });
  wale::daemon::log_journal_opening(log, path, opening);
  return text;
}

}  // namespace

TEST_CASE("journal: a first start and a reuse are told apart", "[daemon][journal]") {
  TempDir dir("journal");
  {
    Journal journal(dir.path(), kPrefix);
    CHECK(journal.opening().outcome == Outcome::first_start);
    CHECK(logged(journal.path(), journal.opening()).find("INFO") != std::string::npos);
  }
  fill_journal(dir.path());
  Journal again(dir.path(), kPrefix, ran_before());
  CHECK(again.opening().outcome == Outcome::reused);
  CHECK(logged(again.path(), again.opening()).empty());
  CHECK(again.recent_uploaded(1000).size() == 400);
  CHECK(again.unfinished().size() == 1);
}

TEST_CASE("journal: deleted while stopped is reported as missing", "[daemon][journal]") {
  TempDir dir("journal");
  fill_journal(dir.path());
  REQUIRE(::unlink(dir.file("journal.sqlite").c_str()) == 0);
  Journal journal(dir.path(), kPrefix, ran_before());
  CHECK(journal.opening().outcome == Outcome::missing);
  const std::string text = logged(journal.path(), journal.opening());
  CHECK(text.find("WARNING") != std::string::npos);
  CHECK(text.find("is missing") != std::string::npos);
  CHECK(text.find("no upload is skipped") != std::string::npos);
  CHECK(journal.recent_uploaded(1000).empty());
  check_usable(journal);
}

TEST_CASE("journal: a damaged journal is moved aside, never deleted, and reported", "[daemon][journal]") {
  TempDir dir("journal");
  fill_journal(dir.path());
  const std::string path = dir.file("journal.sqlite");
  std::string bytes = read_file(path);
  REQUIRE(bytes.size() > 16384);

  std::string expected_detail;
  SECTION("the first 8 KiB overwritten") {
    bytes.replace(0, 8192, std::string(8192, '\x5a'));
    expected_detail = "file is not a database";
  }
  SECTION("truncated to half") {
    bytes.resize(bytes.size() / 2);
    expected_detail = "malformed";
  }
  SECTION("truncated to nothing") {
    bytes.clear();
    expected_detail = "empty (truncated to 0 bytes)";
  }
  SECTION("a page in the middle overwritten") {
    bytes.replace(8192, 4096, std::string(4096, '\x01'));
    expected_detail = "SQLite";
  }
  write_file(path, bytes);

  Journal journal(dir.path(), kPrefix, ran_before());
  const JournalOpening& opening = journal.opening();
  CHECK(opening.outcome == Outcome::damaged);
  CHECK(opening.detail.find(expected_detail) != std::string::npos);
  const auto copies = corrupt_copies(dir.path());
  REQUIRE(copies.size() == 1);
  CHECK(opening.moved_to == copies[0]);
  CHECK(read_file(copies[0]) == bytes);  // the evidence, byte for byte
  const std::string text = logged(journal.path(), opening);
  CHECK(text.find("WARNING") != std::string::npos);
  CHECK(text.find("is damaged") != std::string::npos);
  CHECK(text.find(copies[0]) != std::string::npos);
  CHECK(text.find("Nothing in the store is lost") != std::string::npos);
  CHECK(journal.recent_uploaded(1000).empty());  // nothing counts as stored
  check_usable(journal);
}

TEST_CASE("journal: a -wal file left without its database is kept aside, not replayed", "[daemon][journal]") {
  TempDir dir("journal");
  fill_journal(dir.path());
  write_file(dir.file("journal.sqlite-wal"), std::string(4096, '\x07'));
  REQUIRE(::unlink(dir.file("journal.sqlite").c_str()) == 0);
  Journal journal(dir.path(), kPrefix, ran_before());
  CHECK(journal.opening().outcome == Outcome::missing);
  REQUIRE_FALSE(journal.opening().moved_to.empty());
  CHECK(fs::exists(journal.opening().moved_to + "-wal"));
  check_usable(journal);
}

TEST_CASE("journal: another SQLite database at the journal's name is not taken for a journal", "[daemon][journal]") {
  TempDir dir("journal");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file("journal.sqlite").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  Journal journal(dir.path(), kPrefix, ran_before());
  CHECK(journal.opening().outcome == Outcome::damaged);
  CHECK(journal.opening().detail.find("without the journal's tables") != std::string::npos);
  CHECK(corrupt_copies(dir.path()).size() == 1);
  check_usable(journal);
}

TEST_CASE("journal: records of another prefix are dropped, and that is said", "[daemon][journal]") {
  TempDir dir("journal");
  fill_journal(dir.path());
  Journal journal(dir.path(), "s3://elsewhere/archive", ran_before());
  CHECK(journal.opening().outcome == Outcome::other_prefix);
  CHECK(journal.opening().detail == kPrefix);
  CHECK(journal.recent_uploaded(1000).empty());
  CHECK(logged(journal.path(), journal.opening()).find(kPrefix) != std::string::npos);
}

// A journal that cannot commit (a full disk, here another writer holding the
// lock past the busy timeout) loses the batch, which the store makes up for,
// but says so once, with the remedy, and says when commits work again.
TEST_CASE("journal: a failing commit is reported, and so is the recovery", "[daemon][journal]") {
  TempDir dir("journal");
  std::string text;
  TextLog log(Level::info, [&](std::string_view t) { text += t; });
  JournalOptions options;
  options.log = &log;
  Journal journal(dir.path(), kPrefix, options);
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(journal.path().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  journal.record_uploaded(kWalDir, "000000010000000000000001", wale::pg::FileIdentity{1, 2, 3, 4}, "h");
  journal.flush();
  CHECK(text.find("ERROR    MSG: the journal " + journal.path() + " cannot record uploads: database is locked") !=
        std::string::npos);
  CHECK(text.find("HINT: Free space on the state directory's file system") != std::string::npos);
  CHECK(text.find("records uploads again") == std::string::npos);

  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  journal.record_uploaded(kWalDir, "000000010000000000000002", wale::pg::FileIdentity{1, 2, 3, 5}, "h");
  journal.flush();
  CHECK(text.find("INFO     MSG: the journal " + journal.path() + " records uploads again") != std::string::npos);
  const auto rows = journal.recent_uploaded(10);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "000000010000000000000002");
}
