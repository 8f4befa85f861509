// Backup sentinels and restore specifications from a hostile store or
// user: malformed, huge or deeply nested JSON, and tablespace entries that
// would lead a restore outside its target, end in one clear error, never in
// a crash, a stack overflow or unbounded memory.
#include "common/archive/sentinel.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "common/archive/backup_catalog.hpp"
#include "common/archive/layout.hpp"
#include "common/core/error.hpp"
#include "common/storage/file_store.hpp"
#include "common/storage/store_url.hpp"
#include "proto/bounded_json.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::archive::merge_restore_spec;
using wale::archive::parse_sentinel;
using wale::archive::RestoreSpec;

namespace {

std::string nested(std::size_t depth, const std::string& open, const std::string& close) {
  std::string out;
  out.reserve(depth * (open.size() + close.size()));
  for (std::size_t i = 0; i < depth; ++i) out += open;
  for (std::size_t i = 0; i < depth; ++i) out += close;
  return out;
}

// The one-line error parse_sentinel ends in.
std::string sentinel_error(const std::string& text) {
  try {
    parse_sentinel(text);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::corrupt);
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
    return e.what();
  }
  FAIL("accepted: " << text.substr(0, 200));
  return {};
}

const std::string kWaleSentinel =
    R"({"wal_segment_backup_stop": "00000001000000000000000F", "wal_segment_offset_backup_stop": "00000312", )"
    R"("expanded_size_bytes": 28610348, "spec": {"base_prefix": "/srv/pgdata/", "tablespaces": ["16385"], )"
    R"("16385": {"loc": "/srv/ts1/", "link": "pg_tblspc/16385"}}})";

}  // namespace

TEST_CASE("sentinel: WAL-E's sentinel parses", "[archive][sentinel]") {
  const auto s = parse_sentinel(kWaleSentinel);
  CHECK(s.stop_segment == "00000001000000000000000F");
  CHECK(s.expanded_size_bytes == 28610348);
  REQUIRE(s.spec);
  REQUIRE(s.spec->tablespaces.size() == 1);
  CHECK(s.spec->tablespaces[0].location == "/srv/ts1/");
}

TEST_CASE("sentinel: malformed JSON is refused", "[archive][sentinel]") {
  for (const std::string text : {"", "{", "{\"wal_segment_backup_stop\": }", "\xff\xfe", "[1, 2", "{\"a\": 1} trailing", "nul"})
    CHECK(sentinel_error(text).find("not valid JSON") != std::string::npos);
}

TEST_CASE("sentinel: deep nesting is refused without exhausting the stack", "[archive][sentinel]") {
  CHECK(sentinel_error(nested(100000, "[", "]")).find("nested deeper than 64 levels") != std::string::npos);
  CHECK(sentinel_error(nested(100000, "{\"a\":", "}")).find("nested deeper than 64 levels") != std::string::npos);
  // Unclosed, too: the limit applies while parsing, not after.
  CHECK(sentinel_error(std::string(100000, '[')).find("nested deeper") != std::string::npos);
  // Where nesting used to be printed (a tablespace "OID" that is an array).
  const std::string deep_oid = R"({"spec": {"base_prefix": "", "tablespaces": [)" + nested(50, "[", "]") + "]}}";
  CHECK(sentinel_error(deep_oid).find("not a tablespace OID") != std::string::npos);
  CHECK_NOTHROW(wale::proto::parse_bounded_json(nested(64, "[", "]")));
  CHECK_THROWS_WITH(wale::proto::parse_bounded_json(nested(65, "[", "]")), Catch::Contains("nested deeper than 64 levels"));
}

TEST_CASE("sentinel: tablespace entries cannot lead outside the restore", "[archive][sentinel]") {
  const auto spec = [](const std::string& tablespaces, const std::string& entries) {
    return R"({"spec": {"base_prefix": "", "tablespaces": )" + tablespaces + entries + "}}";
  };
  CHECK(sentinel_error(spec(R"(["../../etc"])", "")).find("'../../etc', which is not a tablespace OID") != std::string::npos);
  CHECK(sentinel_error(spec(R"([""])", "")).find("not a tablespace OID") != std::string::npos);
  CHECK(sentinel_error(spec(R"(["1\n2"])", "")).find("'1?2'") != std::string::npos);
  CHECK(sentinel_error(spec(R"(["16385"])", R"(, "16385": {"loc": "/x/", "link": "../../../etc/cron.d/x"})"))
            .find("links tablespace 16385 elsewhere than pg_tblspc/16385") != std::string::npos);
  CHECK(sentinel_error(spec(R"(["16385"])", R"(, "16385": "/x/")")).find("is not an object") != std::string::npos);
  CHECK(sentinel_error(spec(R"(["16385"])", R"(, "16385": {"loc": 5})")).find("malformed restore specification") !=
        std::string::npos);
}

TEST_CASE("sentinel: a --restore-spec file is held to the same rules", "[archive][sentinel]") {
  CHECK_THROWS_WITH(merge_restore_spec(RestoreSpec{}, nested(100000, "[", "]")), Catch::Contains("nested deeper"));
  CHECK_THROWS_WITH(merge_restore_spec(RestoreSpec{}, R"({"tablespaces": ["/tmp"], "/tmp": {"loc": "/x/"}})"),
                    Catch::Contains("not a tablespace OID"));
  const auto ok = merge_restore_spec(RestoreSpec{}, R"({"base_prefix": "/srv/new/", "tablespaces": [16385], "16385": {"loc": "/t/"}})");
  REQUIRE(ok.tablespaces.size() == 1);
  CHECK(ok.tablespaces[0].link == "pg_tblspc/16385");
}

TEST_CASE("sentinel: a huge sentinel in the store is refused before it is held in memory", "[archive][sentinel]") {
  wale::test::TempDir dir("sentinel");
  wale::storage::FileStore store(wale::storage::parse_store_url("file://localhost" + dir.path()));
  const auto name = *wale::archive::parse_backup_name("base_000000010000000000000002_00000040");
  std::string huge = R"({"wal_segment_backup_stop": ")";
  huge.append(wale::archive::kMaxSentinelBytes, 'x');
  huge += "\"}";
  std::filesystem::create_directories(dir.file(std::string(wale::archive::kBackupDirectory)));
  wale::test::write_file(dir.file(wale::archive::sentinel_key(name)), huge);
  try {
    wale::archive::fetch_sentinel(store, name);
    FAIL("a huge sentinel was accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::corrupt);
    CHECK(std::string(e.what()).find("is larger than 1048576 bytes, far more than any backup sentinel") != std::string::npos);
  }
  wale::test::write_file(dir.file(wale::archive::sentinel_key(name)), "{\"spec\": [");
  CHECK_THROWS_WITH(wale::archive::fetch_sentinel(store, name),
                    Catch::Contains("base_000000010000000000000002_00000040_backup_stop_sentinel.json: the backup sentinel is not valid JSON"));
}
