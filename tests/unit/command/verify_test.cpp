// wal-e verify on a file store holding a small but real archive (1 MiB
// segments with page headers, lzop objects, tar partitions, a timeline
// switch): a healthy archive is sound; each kind of damage is reported by
// name, in the log and in --json.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/archive/layout.hpp"
#include "common/archive/sentinel.hpp"
#include "common/archive/tar.hpp"
#include "common/archive/wal_gap.hpp"
#include "common/codec/compression.hpp"
#include "common/codec/digest.hpp"
#include "common/codec/lzop.hpp"
#include "common/command/command.hpp"
#include "common/config/options.hpp"
#include "common/core/error.hpp"
#include "common/core/log.hpp"
#include "common/pg/wal_name.hpp"
#include "common/storage/file_store.hpp"
#include "common/storage/store_url.hpp"
#include "tests/unit/support/temp_dir.hpp"


namespace fs = std::filesystem;
using wale::Level;
using wale::StringSink;
using wale::TextLog;
using wale::archive::BackupName;
using wale::command::CommandContext;
using wale::pg::SegmentName;
using wale::storage::FileStore;
using wale::storage::parse_store_url;
using wale::storage::PutOptions;
using wale::test::TempDir;
using Json = nlohmann::json;

namespace {

constexpr std::uint64_t kSegmentSize = std::uint64_t{1} << 20;

template <class T>
void put_le(std::string& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

// A 1 MiB segment that starts with its own long page header.
std::string segment_content(const SegmentName& name) {
  std::string s(kSegmentSize, '\0');
  const wale::pg::SegmentGeometry g(kSegmentSize);
  put_le<std::uint16_t>(s, 0, 0xD110);
  put_le<std::uint16_t>(s, 2, 0x0002);
  put_le<std::uint32_t>(s, 4, name.timeline);
  put_le<std::uint64_t>(s, 8, g.segment_number(name) * kSegmentSize);
  put_le<std::uint32_t>(s, 32, static_cast<std::uint32_t>(kSegmentSize));
  put_le<std::uint32_t>(s, 36, 8192);
  for (std::size_t i = 64; i < 64 * 1024; ++i) s[i] = static_cast<char>((i * 7 + name.segment) % 251);
  return s;
}

std::string tar_with(const std::string& member, const std::string& text) {
  StringSink out;
  wale::archive::TarWriter tar(out);
  wale::archive::TarMember m;
  m.name = member;
  m.size = text.size();
  tar.add(m);
  tar.write_data(text);
  tar.end_member();
  tar.close();
  return out.data();
}

BackupName backup(const std::string& name) { return *wale::archive::parse_backup_name(name); }

const std::string kA = "base_000000010000000000000002_00000040";
const std::string kB = "base_000000010000000000000005_00000028";
const std::string kC = "base_000000020000000000000008_00000040";

class Archive {
 public:
  Archive()
      : prefix_("file://localhost" + dir_.path()), store_(std::make_unique<FileStore>(parse_store_url(prefix_))) {}
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  // Stores content compressed as the key's suffix says (lzop for .lzo),
  // with this project's metadata or (as WAL-E writes) without.
  void put_object(const std::string& key, const std::string& content, bool metadata = true) {
    PutOptions options;
    if (metadata) {
      options.metadata[std::string(wale::storage::kMetaContentHash)] = wale::codec::content_hash_hex(content);
      options.metadata[std::string(wale::storage::kMetaSize)] = std::to_string(content.size());
    }
    StringSink body;
    const auto compressor = wale::codec::make_compressor(wale::archive::compression_of_key(key).value(), body);
    compressor->write(content);
    compressor->close();
    store_->put(key, body.data(), options);
  }
  void put_raw(const std::string& key, const std::string& body) { store_->put(key, body, {}); }
  // The real WAL-E archive of tests/fixtures (its two directories only).
  void copy_fixture() {
    const fs::path from = fs::path(WALE_SOURCE_DIR) / "tests/fixtures/wale-archive-1";
    for (const char* dir : {"basebackups_005", "wal_005"})
      fs::copy(from / dir, dir_.file(dir), fs::copy_options::recursive);
  }

  void segment(const std::string& name, bool metadata = true) {
    put_object(wale::archive::wal_key(name), segment_content(*wale::pg::parse_segment_name(name)), metadata);
  }
  void segments(std::uint32_t tli, std::uint32_t from, std::uint32_t to) {
    for (std::uint32_t i = from; i <= to; ++i) segment(SegmentName{tli, 0, i}.str());
  }
  void backup_of(const std::string& name, const std::string& stop, std::size_t partitions = 2, const std::string& extra = "") {
    const auto b = backup(name);
    put_raw(wale::archive::extended_version_key(b), "PostgreSQL 15");
    for (std::size_t i = 0; i < partitions; ++i)
      put_object(wale::archive::partition_key(b, i), tar_with(i + 1 == partitions ? "backup_label" : "base/1/1", "data " + name));
    wale::archive::Sentinel s;
    s.stop_segment = stop;
    s.stop_offset = "00000312";
    s.expanded_size_bytes = 100;
    std::string json = wale::archive::sentinel_json(s);
    if (!extra.empty()) json = json.substr(0, json.size() - 1) + ", " + extra + "}";
    put_raw(wale::archive::sentinel_key(b), json);
  }
  void remove(const std::string& key) { store_->remove({key}); }
  void flip_byte_in_middle(const std::string& key) {
    const auto path = store_->path_of(key);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const auto middle = f.tellg() / 2;
    f.seekg(middle);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5A);
    f.seekp(middle);
    f.write(&c, 1);
  }

  // A healthy archive: A and B on timeline 1, timeline 2 begun inside
  // segment 7 (whose timeline-1 copy is only a .partial), C on timeline 2.
  void build_healthy() {
    backup_of(kA, "000000010000000000000003");
    backup_of(kB, "000000010000000000000005");
    backup_of(kC, "000000020000000000000009");
    segments(1, 2, 6);
    put_object(wale::archive::wal_key("000000010000000000000007.partial"), segment_content(SegmentName{1, 0, 7}));
    put_object(wale::archive::wal_key("00000002.history"), "1\t0/7000A8\tno recovery target specified\n");
    put_object(wale::archive::wal_key("000000010000000000000002.00000028.backup"), "START WAL LOCATION: 0/200028\n");
    segments(2, 7, 10);
  }

  struct Run {
    int status = -1;
    std::string log;
    Json json;
  };

  Run verify(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"verify", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    Run r;
    std::string out;
    const auto cmd = wale::config::parse_command_line(args, {{"WALE_FILE_PREFIX", prefix_}});
    TextLog log(Level::debug, [&](std::string_view t) { r.log.append(t); });
    CommandContext ctx(cmd, "/", log, [&](std::string_view t) { out.append(t); }, store_.get());
    r.status = wale::command::run_in_process(ctx);
    if (!out.empty()) r.json = Json::parse(out);
    return r;
  }

 private:
  TempDir dir_{"verify-test"};
  std::string prefix_;
  std::unique_ptr<FileStore> store_;
};

std::set<std::string> problem_keys(const Json& j, const std::string& kind = "") {
  std::set<std::string> keys;
  for (const auto& p : j.at("problems"))
    if (kind.empty() || p.at("kind") == kind) keys.insert(p.at("key").get<std::string>());
  return keys;
}

std::vector<std::string> missing_wal(const Json& j) { return j.at("missing_wal").get<std::vector<std::string>>(); }

bool restorable(const Json& j, const std::string& name) {
  for (const auto& b : j.at("backups"))
    if (b.at("name") == name) return b.at("restorable").get<bool>();
  FAIL("no backup " << name << " in the report");
  return false;
}

}  // namespace

TEST_CASE("verify finds a healthy archive sound, plainly and deeply", "[command][verify]") {
  Archive a;
  a.build_healthy();
  for (const auto& extra : std::vector<std::vector<std::string>>{{}, {"--deep"}}) {
    const auto run = a.verify(extra);
    INFO(run.log);
    CHECK(run.status == 0);
    CHECK(run.json.at("sound") == true);
    CHECK(run.json.at("problems").empty());
    CHECK(missing_wal(run.json).empty());
    CHECK(run.json.at("backups").size() == 3);
    CHECK(restorable(run.json, kA));
    CHECK(restorable(run.json, kC));
    CHECK(run.log.find("INFO     MSG: the archive is sound") != std::string::npos);
    CHECK(run.log.find("ERROR") == std::string::npos);
  }
  const auto deep = a.verify({"--deep"});
  // 5 + 4 segments, .partial, history, backup history, 6 partitions.
  CHECK(deep.json.at("decoded_objects") == 18);
}

TEST_CASE("verify names a WAL segment missing in the middle", "[command][verify]") {
  Archive a;
  a.build_healthy();
  a.remove(wale::archive::wal_key("000000010000000000000004"));
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(run.json.at("sound") == false);
  CHECK(missing_wal(run.json) == std::vector<std::string>{"000000010000000000000004"});
  CHECK(problem_keys(run.json) == std::set<std::string>{"wal_005/000000010000000000000004.lzo"});
  CHECK(run.log.find("ERROR    MSG: WAL segment 000000010000000000000004 is missing") != std::string::npos);
  // A needs only segments 2-3 to become consistent; B and C are untouched.
  CHECK(restorable(run.json, kA));
  CHECK(restorable(run.json, kB));
}

TEST_CASE("verify wants the new timeline's copy of the segment holding the switch", "[command][verify]") {
  Archive a;
  a.build_healthy();
  a.remove(wale::archive::wal_key("000000020000000000000007"));
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(missing_wal(run.json) == std::vector<std::string>{"000000020000000000000007"});
}

TEST_CASE("verify names the WAL a backup needs to become consistent", "[command][verify]") {
  Archive a;
  a.build_healthy();
  a.remove(wale::archive::wal_key("000000020000000000000009"));
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(missing_wal(run.json) == std::vector<std::string>{"000000020000000000000009"});
  CHECK_FALSE(restorable(run.json, kC));
  CHECK(restorable(run.json, kB));
}

TEST_CASE("verify reports a long run of missing segments as one range", "[command][verify]") {
  Archive a;
  a.backup_of(kA, "000000010000000000000002");
  a.segments(1, 2, 2);
  a.segments(1, 0x70, 0x70);
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(missing_wal(run.json).size() == 0x70 - 3);
  CHECK(missing_wal(run.json).front() == "000000010000000000000003");
  CHECK(run.json.at("problems").size() == 1);
  CHECK(run.log.find("WAL segments 000000010000000000000003 through 00000001000000000000006F (109 segments) are missing") !=
        std::string::npos);
}

TEST_CASE("verify names a missing partition", "[command][verify]") {
  Archive a;
  a.build_healthy();
  const auto key = wale::archive::partition_key(backup(kB), 0);
  a.remove(key);
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json) == std::set<std::string>{key});
  CHECK(run.log.find("ERROR    MSG: backup " + kB + " is missing partition part_00000000.tar.lzo") != std::string::npos);
  CHECK_FALSE(restorable(run.json, kB));
  CHECK(restorable(run.json, kA));
}

TEST_CASE("verify counts partitions against the sentinel's partitions key", "[command][verify]") {
  Archive a;
  a.build_healthy();
  a.backup_of(kB, "000000010000000000000005", 2, "\"partitions\": 3");
  auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json) == std::set<std::string>{wale::archive::partition_key(backup(kB), 2)});

  a.backup_of(kB, "000000010000000000000005", 2, "\"partitions\": 2");
  run = a.verify();
  CHECK(run.status == 0);
}

TEST_CASE("verify names a backup without partitions", "[command][verify]") {
  Archive a;
  a.build_healthy();
  a.remove(wale::archive::partition_key(backup(kA), 0));
  a.remove(wale::archive::partition_key(backup(kA), 1));
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json, "missing_partition") == std::set<std::string>{wale::archive::partition_directory(backup(kA))});
}

TEST_CASE("verify names a backup whose sentinel is missing", "[command][verify]") {
  Archive a;
  a.build_healthy();
  const auto key = wale::archive::sentinel_key(backup(kB));
  a.remove(key);
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json) == std::set<std::string>{key});
  CHECK(run.log.find("ERROR    MSG: backup " + kB + " has no sentinel (incomplete)") != std::string::npos);
  for (const auto& b : run.json.at("backups"))
    if (b.at("name") == kB) CHECK(b.at("complete") == false);
}

TEST_CASE("verify reports a missing history file without flooding", "[command][verify]") {
  Archive a;
  a.build_healthy();
  a.remove(wale::archive::wal_key("00000002.history"));
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json) == std::set<std::string>{"wal_005/00000002.history.lzo"});
  CHECK(missing_wal(run.json).empty());
}

TEST_CASE("verify --deep names a corrupted object that plain verify cannot see", "[command][verify]") {
  Archive a;
  a.build_healthy();
  const auto key = wale::archive::wal_key("000000010000000000000004");
  a.flip_byte_in_middle(key);
  CHECK(a.verify().status == 0);
  const auto run = a.verify({"--deep"});
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json) == std::set<std::string>{key});
  CHECK(problem_keys(run.json, "damaged_object") == std::set<std::string>{key});
}

TEST_CASE("verify --deep checks contents against the recorded content hash and the page header", "[command][verify]") {
  Archive a;
  a.build_healthy();
  // Valid lzop holding the wrong segment: its header and checksum disagree.
  const auto wrong = wale::archive::wal_key("000000010000000000000005");
  a.put_raw(wrong, wale::codec::lzop_compress(segment_content(SegmentName{1, 0, 6})));
  // A partition whose tar stream is cut short.
  const auto cut = wale::archive::partition_key(backup(kC), 0);
  a.put_raw(cut, wale::codec::lzop_compress(tar_with("base/1/1", std::string(4000, 'x')).substr(0, 1000)));
  const auto run = a.verify({"--deep"});
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json, "damaged_object") == std::set<std::string>{wrong, cut});
  CHECK_FALSE(restorable(run.json, kC));
}

TEST_CASE("verify learns the segment size from objects WAL-E wrote", "[command][verify]") {
  Archive a;
  a.backup_of(kA, "000000010000000000000003");
  for (std::uint32_t i = 0xFFE; i <= 0xFFF; ++i) a.segment(SegmentName{1, 0, i}.str(), false);
  a.segment("000000010000000100000000", false);
  // With 1 MiB segments 0/FFF is followed by 1/000: nothing is missing
  // from 0/FFE on; 0/002 to 0/FFD are.
  const auto run = a.verify({"--deep"});
  CHECK(run.status == 1);
  CHECK(missing_wal(run.json).size() == 0xFFE - 2);
  CHECK(problem_keys(run.json, "damaged_object").empty());
}

TEST_CASE("verify of an empty archive says there is nothing to restore", "[command][verify]") {
  Archive a;
  const auto run = a.verify();
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json, "no_backup").size() == 1);
}

TEST_CASE("verify finds WAL-E's own archive sound, deeply too", "[command][verify]") {
  Archive a;
  a.copy_fixture();
  const auto run = a.verify({"--deep"});
  INFO(run.log);
  CHECK(run.status == 0);
  CHECK(run.json.at("sound") == true);
  // 19 segments, the backup history file and 2 partitions.
  CHECK(run.json.at("decoded_objects") == 22);
  CHECK(restorable(run.json, "base_00000001000000000000000F_00000040"));
}

TEST_CASE("verify reports a gap wal-ed's drop policy recorded once, as the gap", "[command][verify]") {
  Archive a;
  a.build_healthy();
  for (const char* name : {"000000010000000000000004", "000000010000000000000005"}) a.remove(wale::archive::wal_key(name));
  const wale::archive::WalGap gap{.first = SegmentName{1, 0, 4}, .last = SegmentName{1, 0, 5}, .segments = 2,
                                  .first_dropped_at = "2026-11-25T10:00:00Z", .last_dropped_at = "2026-11-25T10:01:00Z",
                                  .host = "db1", .pg_wal = "/pg_wal", .reason = "full"};
  const auto key = wale::archive::gap_key(gap.first, gap.last);
  a.put_raw(key, wale::archive::encode_gap(gap));
  const auto run = a.verify();
  INFO(run.log);
  CHECK(run.status == 1);
  CHECK(problem_keys(run.json) == std::set<std::string>{key});
  CHECK(problem_keys(run.json, "wal_gap") == std::set<std::string>{key});
  CHECK(missing_wal(run.json) == std::vector<std::string>{"000000010000000000000004", "000000010000000000000005"});
  CHECK(run.json.at("gaps").size() == 1);
  CHECK(run.json.at("gaps")[0].at("affects_restore") == true);
  CHECK(run.log.find("ERROR    MSG: archive has a gap from 000000010000000000000004 to 000000010000000000000005; take a new "
                     "base backup") != std::string::npos);
  CHECK(run.log.find("dropped 2026-11-25T10:00:00Z to 2026-11-25T10:01:00Z on db1") != std::string::npos);
}

TEST_CASE("verify does not count a gap older than every backup against the archive", "[command][verify]") {
  Archive a;
  a.build_healthy();
  const auto key = wale::archive::gap_key(SegmentName{1, 0, 0}, SegmentName{1, 0, 1});
  a.put_raw(key, wale::archive::encode_gap({SegmentName{1, 0, 0}, SegmentName{1, 0, 1}, 2, "", "", "", "", ""}));
  const auto run = a.verify();
  INFO(run.log);
  CHECK(run.status == 0);
  CHECK(run.json.at("gaps").size() == 1);
  CHECK(run.json.at("gaps")[0].at("affects_restore") == false);
}

TEST_CASE("verify reads every compression suffix, plainly and deeply", "[command][verify]") {
  using wale::archive::Compression;
  Archive a;
  a.build_healthy();
  // Segment 3 and the history file in zstd, segment 9 in lz4, B's partitions in lz4.
  a.remove(wale::archive::wal_key("000000010000000000000003"));
  a.put_object(wale::archive::wal_key("000000010000000000000003", Compression::zstd), segment_content(SegmentName{1, 0, 3}));
  a.remove(wale::archive::wal_key("000000020000000000000009"));
  a.put_object(wale::archive::wal_key("000000020000000000000009", Compression::lz4), segment_content(SegmentName{2, 0, 9}));
  a.remove(wale::archive::wal_key("00000002.history"));
  a.put_object(wale::archive::wal_key("00000002.history", Compression::zstd), "1\t0/7000A8\tno recovery target specified\n");
  for (std::uint64_t i = 0; i < 2; ++i) {
    a.remove(wale::archive::partition_key(backup(kB), i));
    a.put_object(wale::archive::partition_key(backup(kB), i, Compression::lz4),
                 tar_with(i == 1 ? "backup_label" : "base/1/1", "data " + kB));
  }
  for (const auto& extra : std::vector<std::vector<std::string>>{{}, {"--deep"}}) {
    const auto run = a.verify(extra);
    INFO(run.log);
    CHECK(run.status == 0);
    CHECK(run.json.at("problems").empty());
    CHECK(run.log.find("WARNING") == std::string::npos);
  }
  CHECK(a.verify({"--deep"}).json.at("decoded_objects") == 18);
  // A damaged zstd segment is found by --deep.
  a.flip_byte_in_middle(wale::archive::wal_key("000000010000000000000003", Compression::zstd));
  const auto damaged = a.verify({"--deep"});
  CHECK(problem_keys(damaged.json, "damaged_object") ==
        std::set<std::string>{wale::archive::wal_key("000000010000000000000003", Compression::zstd)});
}

TEST_CASE("verify reports a file stored under two suffixes, and --deep whether the copies differ", "[command][verify]") {
  using wale::archive::Compression;
  Archive a;
  a.build_healthy();
  const auto lzo = wale::archive::wal_key("000000010000000000000004");
  const auto zst = wale::archive::wal_key("000000010000000000000004", Compression::zstd);
  a.put_object(zst, segment_content(SegmentName{1, 0, 4}));
  const auto plain = a.verify();
  CHECK(plain.status == 0);
  CHECK(plain.log.find("WARNING  MSG: WAL file 000000010000000000000004 is stored under more than one suffix: " + lzo + ", " + zst) !=
        std::string::npos);
  const auto same = a.verify({"--deep"});
  CHECK(same.status == 0);
  CHECK(same.log.find("more than one suffix") == std::string::npos);  // proven identical
  CHECK(same.json.at("decoded_objects") == 19);

  std::string other = segment_content(SegmentName{1, 0, 4});
  other[100'000] = 'X';  // same header and size, other content
  a.put_object(zst, other);
  const auto differ = a.verify({"--deep"});
  CHECK(differ.status == 1);
  CHECK(problem_keys(differ.json, "conflicting_copies") == std::set<std::string>{lzo});
}
