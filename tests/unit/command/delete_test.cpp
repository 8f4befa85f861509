// wal-e delete on a file store holding a synthetic archive (spec §6.7):
// which keys each target chooses (depth and name rules, history files,
// .partial files, incomplete backups, WAL-E's timeline-agnostic segment
// numbers), retain's edge cases, dry runs, batches, usage errors, and two
// deletes at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "common/command/command.hpp"
#include "common/command/commands.hpp"
#include "common/config/options.hpp"
#include "common/core/error.hpp"
#include "common/core/log.hpp"
#include "common/storage/file_store.hpp"
#include "common/storage/store_url.hpp"
#include "tests/unit/support/temp_dir.hpp"


namespace fs = std::filesystem;
using wale::Level;
using wale::TextLog;
using wale::command::CommandContext;
using wale::storage::FileStore;
using wale::storage::ObjectInfo;
using wale::storage::parse_store_url;
using wale::test::TempDir;

namespace {

using Keys = std::set<std::string>;

// A FileStore that records the batches handed to remove().
class RecordingStore final : public wale::storage::BlobStore {
 public:
  explicit RecordingStore(FileStore& inner) : BlobStore(inner.url()), inner_(inner) {}
  wale::storage::PutOutcome put(const std::string& k, std::string_view b, const wale::storage::PutOptions& o) override {
    return inner_.put(k, b, o);
  }
  std::unique_ptr<wale::ByteSink> open_writer(const std::string& k, const wale::storage::PutOptions& o) override {
    return inner_.open_writer(k, o);
  }
  std::optional<ObjectInfo> head(const std::string& k) override { return inner_.head(k); }
  void get(const std::string& k, wale::ByteSink& s, std::optional<wale::storage::ByteRange> r) override { inner_.get(k, s, r); }
  void list(const std::string& p, const std::function<void(ObjectInfo&&)>& each) override { inner_.list(p, each); }
  void remove(const std::vector<std::string>& keys) override {
    batches.push_back(keys);
    inner_.remove(keys);
  }
  std::vector<std::vector<std::string>> batches;

 private:
  FileStore& inner_;
};

class Archive {
 public:
  Archive()
      : prefix_("file://localhost" + dir_.path()), store_(std::make_unique<FileStore>(parse_store_url(prefix_))) {}
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  void put(const std::string& key) { store_->put(key, "x", {}); }
  // The real WAL-E archive of tests/fixtures (its two directories only).
  void copy_fixture() {
    const fs::path from = fs::path(WALE_SOURCE_DIR) / "tests/fixtures/wale-archive-1";
    for (const char* dir : {"basebackups_005", "wal_005"})
      fs::copy(from / dir, dir_.file(dir), fs::copy_options::recursive);
  }
  void put_all(const Keys& keys) {
    for (const auto& k : keys) put(k);
  }
  Keys keys() const {
    Keys out;
    store_->list("", [&](ObjectInfo&& info) { out.insert(info.key); });
    return out;
  }
  FileStore& store() { return *store_; }
  const std::string& prefix() const { return prefix_; }

  struct Run {
    int status = -1;
    std::string log;
    Keys announced;  // keys logged as "deleting ..."
    std::vector<std::vector<std::string>> batches;
  };

  // Runs `wal-e ARGS` as run_in_process does, on this store.
  Run run(const std::vector<std::string>& args) {
    Run r;
    TextLog log(Level::debug, [&](std::string_view t) { r.log.append(t); });
    wale::config::ParsedCommand cmd;
    try {
      cmd = wale::config::parse_command_line(args, {{"WALE_FILE_PREFIX", prefix_}});
    } catch (const wale::Error& e) {
      wale::command::log_failure(log, e.what());
      r.status = wale::command::parse_failure_status(args.at(0), "/", e);
      return r;
    }
    RecordingStore recording(*store_);
    CommandContext ctx(cmd, "/", log, [](std::string_view) {}, &recording);
    r.status = wale::command::run_in_process(ctx);
    r.batches = recording.batches;
    const std::string marker = "DETAIL: The key being deleted is " + store_->url().url_for("");
    for (std::size_t at = 0; (at = r.log.find(marker, at)) != std::string::npos;) {
      at += marker.size();
      const auto end = r.log.find(".\n", at);
      r.announced.insert(r.log.substr(at, end - at));
    }
    return r;
  }

 private:
  TempDir dir_{"delete-test"};
  std::string prefix_;
  std::unique_ptr<FileStore> store_;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

Keys minus(const Keys& a, const Keys& b) {
  Keys out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

Keys backup_keys(const std::string& name, bool complete) {
  const std::string dir = "basebackups_005/" + name;
  Keys k{dir + "/extended_version.txt", dir + "/tar_partitions/part_00000000.tar.lzo", dir + "/tar_partitions/part_00000001.tar.lzo"};
  if (complete) k.insert(dir + "_backup_stop_sentinel.json");
  return k;
}

std::string wal(const std::string& file) { return "wal_005/" + file + ".lzo"; }

// Backups A (timeline 1, segment 2), an incomplete one at segment 4, B
// (timeline 1, segment 5) and C (timeline 2, segment 8); timeline 2 began
// in segment 7, whose timeline-1 copy is a .partial.
const std::string kA = "base_000000010000000000000002_00000040";
const std::string kIncomplete = "base_000000010000000000000004_00000028";
const std::string kB = "base_000000010000000000000005_00000040";
const std::string kC = "base_000000020000000000000008_00000040";

Keys segments(const std::string& tli, int from, int to) {
  Keys k;
  for (int i = from; i <= to; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s00000000%08X", tli.c_str(), i);
    k.insert(wal(buf));
  }
  return k;
}

// Keys WAL-E never deletes by position: at odd depths or with odd names.
const Keys kOddKeys{
    "basebackups_005/README",
    "basebackups_005/" + kA + "/notes.txt",
    "basebackups_005/" + kA + "/tar_partitions/deeper/part_00000009.tar.lzo",
    "basebackups_005/base_00000001000000000000000Z_00000040/extended_version.txt",
    "wal_005/notes.txt",
    "wal_005/archive/000000010000000000000001.lzo",
};

struct Synthetic {
  Keys a = backup_keys(kA, true), incomplete = backup_keys(kIncomplete, false), b = backup_keys(kB, true),
       c = backup_keys(kC, true);
  Keys a_oddly_named_volume{"basebackups_005/" + kA + "/tar_partitions/whatever"};
  Keys tl1 = segments("00000001", 1, 6);
  Keys tl2 = segments("00000002", 7, 10);
  Keys partial{wal("000000010000000000000007.partial")};
  Keys history{wal("00000002.history")};
  Keys backup_history_a{wal("000000010000000000000002.00000028.backup")};
  Keys backup_history_b{wal("000000010000000000000005.00000028.backup")};
  Keys backup_history_c{wal("000000020000000000000008.00000028.backup")};
  Keys foreign{"elsewhere/file"};

  Keys all() const {
    Keys k;
    for (const Keys* s : {&a, &incomplete, &b, &c, &a_oddly_named_volume, &tl1, &tl2, &partial, &history, &backup_history_a,
                          &backup_history_b, &backup_history_c, &foreign, &kOddKeys})
      k.insert(s->begin(), s->end());
    return k;
  }
};

Keys join(std::initializer_list<Keys> sets) {
  Keys out;
  for (const auto& s : sets) out.insert(s.begin(), s.end());
  return out;
}

}  // namespace

TEST_CASE("delete retain 2 removes exactly what is older than the second newest backup", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "--confirm", "retain", "2"});
  REQUIRE(run.status == 0);
  // Horizon: B, segment number 5. Timeline-1 WAL 1-4, A and the incomplete
  // backup (it started at 4), and A's backup history file.
  const Keys expected = join({s.a, s.a_oddly_named_volume, s.incomplete, segments("00000001", 1, 4), s.backup_history_a});
  CHECK(run.announced == expected);
  CHECK(archive.keys() == minus(s.all(), expected));
  CHECK(count_of(run.log, "MSG: deleting data in the store") == 1);
  CHECK(count_of(run.log, "MSG: Deleting 1 oldest base backups.") == 1);
  CHECK(count_of(run.log, "DETAIL: Found 3 total base backups.") == 1);
  CHECK(count_of(run.log, "HINT: Deleting keys older than " + archive.store().url().url_for("basebackups_005/" + kB +
                                                                                               "_backup_stop_sentinel.json") + ".") == 1);
  CHECK(count_of(run.log, "MSG: deleting a base backup sentinel file") == 1);
  CHECK(count_of(run.log, "MSG: deleting a extended version metadata file") == 2);
  CHECK(count_of(run.log, "MSG: deleting a base backup volume") == 5);
  CHECK(count_of(run.log, "MSG: deleting a wal file") == 4);
  CHECK(count_of(run.log, "MSG: deleting a backup history file") == 1);
  CHECK(count_of(run.log, "This is only a dry run") == 0);
  // Every odd key and the .partial file are kept, with WAL-E's warning.
  CHECK(count_of(run.log, "MSG: skipping non-qualifying key in 'delete before'") == kOddKeys.size() + 1);
  CHECK(count_of(run.log, "appears to be at an unexpected depth") == 2);
}

TEST_CASE("delete before a backup name is retain's sweep with that horizon", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "--confirm", "before", kC});
  REQUIRE(run.status == 0);
  // Horizon: segment number 8 whatever the timeline: timeline 2's segment 7
  // goes too; the history file and the .partial stay.
  const Keys expected = join({s.a, s.a_oddly_named_volume, s.incomplete, s.b, segments("00000001", 1, 6),
                              segments("00000002", 7, 7), s.backup_history_a, s.backup_history_b});
  CHECK(run.announced == expected);
  const Keys left = archive.keys();
  CHECK(left == minus(s.all(), expected));
  CHECK(left.count(wal("00000002.history")) == 1);
  CHECK(left.count(wal("000000010000000000000007.partial")) == 1);
  CHECK(count_of(run.log, "no complete base backup is named") == 0);
}

TEST_CASE("delete before deletes the named backup's older data only", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "--confirm", "before", kA});
  REQUIRE(run.status == 0);
  CHECK(run.announced == segments("00000001", 1, 1));
}

TEST_CASE("delete before a name no backup has still uses its segment and warns", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "before", "base_000000010000000000000003_00000000"});
  REQUIRE(run.status == 0);
  CHECK(run.announced == join({s.a, s.a_oddly_named_volume, segments("00000001", 1, 2), s.backup_history_a}));
  CHECK(count_of(run.log, "WARNING  MSG: no complete base backup is named base_000000010000000000000003_00000000") == 1);
  CHECK(archive.keys() == s.all());  // a dry run
}

TEST_CASE("delete before a WAL segment name is a clear error, not an assertion", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "--confirm", "before", "000000010000000000000005"});
  CHECK(run.status == 1);
  CHECK(count_of(run.log, "ERROR    MSG: wal-e delete before takes a base backup name, not the WAL segment name "
                          "'000000010000000000000005'") == 1);
  CHECK(count_of(run.log, "deleting data in the store") == 0);
  CHECK(archive.keys() == s.all());

  const auto garbage = archive.run({"delete", "--confirm", "before", "yesterday"});
  CHECK(garbage.status == 1);
  CHECK(count_of(garbage.log, "'yesterday' is not a base backup name") == 1);
  CHECK(archive.keys() == s.all());
}

TEST_CASE("delete retain with more backups kept than exist keeps all and deletes older WAL", "[command][delete]") {
  for (const char* n : {"3", "4", "100"}) {
    Archive archive;
    const Synthetic s;
    archive.put_all(s.all());
    const auto run = archive.run({"delete", "--confirm", "retain", n});
    REQUIRE(run.status == 0);
    // Horizon: the oldest complete backup, A (segment 2).
    CHECK(run.announced == segments("00000001", 1, 1));
    CHECK(count_of(run.log, "MSG: Retaining all 3 base backups.") == 1);
    CHECK(count_of(run.log, "HINT: Deleting keys older than " +
                                archive.store().url().url_for("basebackups_005/" + kA + "_backup_stop_sentinel.json")) == 1);
  }
}

TEST_CASE("delete retain 1 keeps only the newest backup, by segment number", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "--confirm", "retain", "1"});
  REQUIRE(run.status == 0);
  CHECK(run.announced == join({s.a, s.a_oddly_named_volume, s.incomplete, s.b, segments("00000001", 1, 6),
                               segments("00000002", 7, 7), s.backup_history_a, s.backup_history_b}));
  CHECK(count_of(run.log, "MSG: Deleting 2 oldest base backups.") == 1);
}

TEST_CASE("delete retain 0 keeps the oldest backup as WAL-E does and says so", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "--confirm", "retain", "0"});
  REQUIRE(run.status == 0);
  CHECK(run.announced == segments("00000001", 1, 1));
  CHECK(count_of(run.log, "MSG: Retaining all 3 base backups.") == 1);
  CHECK(count_of(run.log, "retain 0 keeps the oldest base backup") == 1);
}

TEST_CASE("delete retain with one backup logs WAL-E's singular message", "[command][delete]") {
  Archive archive;
  archive.put_all(join({backup_keys(kB, true), segments("00000001", 1, 6)}));
  const auto run = archive.run({"delete", "--confirm", "retain", "1"});
  REQUIRE(run.status == 0);
  CHECK(count_of(run.log, "MSG: Retaining existing base backup.") == 1);
  CHECK(run.announced == segments("00000001", 1, 4));
}

TEST_CASE("delete retain without complete backups deletes nothing", "[command][delete]") {
  Archive archive;
  const Keys keys = join({backup_keys(kA, false), segments("00000001", 1, 6)});
  archive.put_all(keys);
  const auto run = archive.run({"delete", "--confirm", "retain", "2"});
  REQUIRE(run.status == 0);
  CHECK(run.announced.empty());
  CHECK(count_of(run.log, "MSG: Not deleting any data.") == 1);
  CHECK(count_of(run.log, "DETAIL: No existing base backups.") == 1);
  CHECK(archive.keys() == keys);
}

TEST_CASE("delete is a dry run unless confirmed, and --dry-run wins", "[command][delete]") {
  const std::vector<std::vector<std::string>> dry{{"delete", "retain", "2"},
                                                  {"delete", "--dry-run", "retain", "2"},
                                                  {"delete", "--dry-run", "--confirm", "retain", "2"},
                                                  {"delete", "--confirm", "-n", "retain", "2"},
                                                  {"delete", "retain", "2", "--confirm", "--dry-run"}};
  for (const auto& args : dry) {
    Archive archive;
    const Synthetic s;
    archive.put_all(s.all());
    const auto run = archive.run(args);
    REQUIRE(run.status == 0);
    CHECK(archive.keys() == s.all());
    CHECK(run.batches.empty());
    CHECK(count_of(run.log, "MSG: performing dry run of data deletion") == 1);
    CHECK(run.announced.size() == 13);
    CHECK(count_of(run.log, "HINT: This is only a dry run -- no actual data is being deleted") == run.announced.size());
  }
}

TEST_CASE("delete removes sentinels first and in batches of at most 1000", "[command][delete]") {
  Archive archive;
  Keys keys = join({backup_keys(kA, true), backup_keys(kB, true)});
  for (int i = 0; i < 2100; ++i) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "00000001%08X%08X", i / 256, i % 256);
    keys.insert(wal(buf));
  }
  archive.put_all(keys);
  const auto run = archive.run({"delete", "--confirm", "before", "base_000000010000000A00000000_00000000"});
  REQUIRE(run.status == 0);
  REQUIRE(run.batches.size() >= 4);
  std::size_t total = 0;
  for (const auto& b : run.batches) {
    CHECK(b.size() <= 1000);
    total += b.size();
  }
  CHECK(total == keys.size());
  CHECK(archive.keys().empty());
  // The sentinels go before the data they make visible.
  CHECK(run.batches.front()[0] == "basebackups_005/" + kA + "_backup_stop_sentinel.json");
  CHECK(run.batches.front()[1] == "basebackups_005/" + kB + "_backup_stop_sentinel.json");
}

TEST_CASE("delete everything removes every key of both directories, whatever its name", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  const auto run = archive.run({"delete", "--confirm", "everything"});
  REQUIRE(run.status == 0);
  CHECK(archive.keys() == s.foreign);
  CHECK(run.announced == minus(s.all(), s.foreign));
  CHECK(count_of(run.log, "MSG: deleting part of wal logs") == 17);
  CHECK(count_of(run.log, "MSG: deleting part of a base backup") == run.announced.size() - 17);
}

TEST_CASE("delete old-versions removes the obsolete layouts and never version 005", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  const Keys old{"basebackups_004/base_000000010000000000000002_00000040_backup_stop_sentinel.json",
                 "basebackups_003/base_000000010000000000000002_00000040/tar_partitions/part_0.tar.lzo",
                 "wal_004/000000010000000000000002.lzo",
                 "wal_000/000000010000000000000001.lzo",
                 "basebackups_0/base_000000010000000000000002_40/x.lzo",
                 "wal_0/000000010000000000000001.lzo"};
  archive.put_all(join({s.all(), old}));
  const auto run = archive.run({"delete", "--confirm", "old-versions"});
  REQUIRE(run.status == 0);
  CHECK(run.announced == old);
  CHECK(archive.keys() == s.all());
}

TEST_CASE("delete twice, or two deletes at once, both succeed with the same result", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  int status[2] = {-1, -1};
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([&, i] {
        // Each with its own store, as two processes have.
        FileStore store(parse_store_url(archive.prefix()));
        const auto cmd = wale::config::parse_command_line({"delete", "--confirm", "retain", "1"}, {{"WALE_FILE_PREFIX", archive.prefix()}});
        wale::NullLog log;
        CommandContext ctx(cmd, "/", log, [](std::string_view) {}, &store);
        status[i] = wale::command::run_in_process(ctx);
      });
  }
  CHECK(status[0] == 0);
  CHECK(status[1] == 0);
  const Keys kept = join({s.c, s.tl2, s.partial, s.history, s.backup_history_c, s.foreign, kOddKeys});
  CHECK(archive.keys() == minus(kept, segments("00000002", 7, 7)));
  const auto again = archive.run({"delete", "--confirm", "retain", "1"});
  CHECK(again.status == 0);
  CHECK(again.announced.empty());
}

TEST_CASE("delete refuses malformed targets as argparse would", "[command][delete]") {
  Archive archive;
  const Synthetic s;
  archive.put_all(s.all());
  for (const auto& args : std::vector<std::vector<std::string>>{{"delete", "--confirm", "retain"},
                                                                {"delete", "--confirm", "retain", "two"},
                                                                {"delete", "--confirm", "retain", "-1"},
                                                                {"delete", "--confirm", "before"},
                                                                {"delete", "--confirm", "everything", "now"},
                                                                {"delete", "--confirm", "old-versions", "please"},
                                                                {"delete", "--confirm", "all"}}) {
    const auto run = archive.run(args);
    CHECK(run.status == 2);
    CHECK(count_of(run.log, "ERROR    MSG: wal-e delete") == 1);
    CHECK(count_of(run.log, "deleting") == 0);
  }
  CHECK(archive.keys() == s.all());
}

TEST_CASE("delete before on WAL-E's own archive removes what WAL-E removed", "[command][delete]") {
  Archive archive;
  archive.copy_fixture();
  const Keys before = archive.keys();
  const auto run = archive.run({"delete", "--confirm", "before", "base_000000010000000000000010_00000040"});
  REQUIRE(run.status == 0);
  const std::string backup = "basebackups_005/base_00000001000000000000000F_00000040";
  const Keys expected = join({Keys{backup + "_backup_stop_sentinel.json", backup + "/extended_version.txt",
                                   backup + "/tar_partitions/part_00000000.tar.lzo", backup + "/tar_partitions/part_00000001.tar.lzo",
                                   wal("00000001000000000000000F.00000028.backup")},
                              segments("00000001", 6, 15)});
  CHECK(run.announced == expected);
  CHECK(archive.keys() == minus(before, expected));
  CHECK(count_of(run.log, "WARNING") == 1);  // the name is no backup of this archive
}

TEST_CASE("delete retain 1 on WAL-E's own archive removes the WAL older than its backup", "[command][delete]") {
  Archive archive;
  archive.copy_fixture();
  const auto run = archive.run({"delete", "--confirm", "retain", "1"});
  REQUIRE(run.status == 0);
  CHECK(run.announced == segments("00000001", 6, 14));
  CHECK(count_of(run.log, "MSG: Retaining existing base backup.") == 1);
  CHECK(count_of(run.log, "WARNING") == 0);
}

TEST_CASE("delete applies WAL-E's rules to every compression suffix", "[command][delete]") {
  Archive archive;
  // A backup with its partitions in one suffix.
  const auto backup_in = [](const std::string& name, const std::string& suffix) {
    const std::string dir = "basebackups_005/" + name;
    return Keys{dir + "_backup_stop_sentinel.json", dir + "/extended_version.txt",
                dir + "/tar_partitions/part_00000000.tar" + suffix, dir + "/tar_partitions/part_00000001.tar" + suffix};
  };
  const auto wal_in = [](const std::string& file, const std::string& suffix) { return "wal_005/" + file + suffix; };
  const Keys a = backup_in(kA, ".zst"), b = backup_in(kB, ".lz4");
  // WAL of every suffix, segment 4 under two of them, a history file in zstd.
  const Keys old_wal{wal_in("000000010000000000000001", ".lz4"), wal_in("000000010000000000000002", ".lz4"),
                     wal_in("000000010000000000000003", ".zst"), wal_in("000000010000000000000004", ".lzo"),
                     wal_in("000000010000000000000004", ".zst"), wal_in("000000010000000000000002.00000028.backup", ".lz4")};
  const Keys new_wal{wal_in("000000010000000000000005", ".zst"), wal_in("000000010000000000000006", ".lzo"),
                     wal_in("000000010000000000000007", ".lz4"), wal_in("00000002.history", ".zst")};
  archive.put_all(join({a, b, old_wal, new_wal}));
  const auto run = archive.run({"delete", "--confirm", "before", kB});
  REQUIRE(run.status == 0);
  CHECK(run.announced == join({a, old_wal}));
  CHECK(archive.keys() == join({b, new_wal}));
  CHECK(count_of(run.log, "skipping non-qualifying key") == 0);
}
