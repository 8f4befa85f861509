// The file:// backend: put/head/get(range)/list/remove, no-replace puts,
// streaming writers, metadata in extended attributes, and WAL-E's
// file-backend timestamps.
#include "common/storage/file_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/core/error.hpp"
#include "common/core/page_buffer.hpp"
#include "common/core/stream.hpp"
#include "common/storage/store_url.hpp"
#include "tests/unit/support/temp_dir.hpp"

namespace fs = std::filesystem;
using wale::Error;
using wale::ErrorKind;
using wale::StringSink;
using wale::storage::ByteRange;
using wale::storage::file_timestamp;
using wale::storage::FileStore;
using wale::storage::ObjectInfo;
using wale::storage::parse_store_url;
using wale::storage::PutOptions;
using wale::storage::PutOutcome;
using wale::test::TempDir;

namespace {

// A store rooted in a fresh temporary directory (or a subdirectory of it).
struct Fixture {
  TempDir dir{"file-store-test"};
  FileStore store;
  explicit Fixture(const std::string& sub = "") : store(parse_store_url("file://localhost" + dir.path() + sub)) {}
  std::string root_path() const { return store.root(); }
};

std::string get_all(FileStore& store, const std::string& key, std::optional<ByteRange> range = {}) {
  StringSink sink;
  store.get(key, sink, range);
  return sink.data();
}

std::vector<std::string> list_keys(FileStore& store, const std::string& prefix) {
  std::vector<std::string> keys;
  store.list(prefix, [&](ObjectInfo&& info) { keys.push_back(info.key); });
  return keys;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> all_files(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) out.push_back(fs::relative(e.path(), root).string());
  std::sort(out.begin(), out.end());
  return out;
}

bool has_temporary_files(const std::string& root) {
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().filename().string().find(".wal-e-tmp.") != std::string::npos) return true;
  return false;
}

// Whether the file system under `dir` takes user.* extended attributes.
bool user_xattrs_supported(const std::string& dir) {
  const std::string probe = dir + "/.xattr-probe";
  std::ofstream(probe).put('x');
  const bool ok = ::setxattr(probe.c_str(), "user.wale-probe", "1", 1, 0) == 0;
  ::unlink(probe.c_str());
  return ok;
}

}  // namespace

TEST_CASE("the store root is the URL's path", "[storage]") {
  Fixture f;
  CHECK(f.store.root() == f.dir.path());
  CHECK(f.store.path_of("wal_005/x.lzo") == f.dir.path() + "/wal_005/x.lzo");
  CHECK(f.store.url().scheme == wale::storage::Scheme::file);

  // file:///x and file://localhost/x/ are the same root
  FileStore same(parse_store_url("file://" + f.dir.path() + "/"));
  CHECK(same.root() == f.dir.path());
}

TEST_CASE("put, head and get", "[storage]") {
  Fixture f;
  const std::string key = "wal_005/000000010000000000000001.lzo";
  CHECK_FALSE(f.store.head(key).has_value());

  CHECK(f.store.put(key, "compressed bytes", {}) == PutOutcome::stored);
  CHECK(read_file(f.dir.file(key)) == std::optional<std::string>{"compressed bytes"});

  const auto info = f.store.head(key);
  REQUIRE(info.has_value());
  CHECK(info->key == key);
  CHECK(info->size == 16u);
  CHECK(info->mtime_ns > 0);
  CHECK(info->last_modified == file_timestamp(info->mtime_ns));
  CHECK(get_all(f.store, key) == "compressed bytes");
  CHECK_FALSE(has_temporary_files(f.dir.path()));

  // an empty object
  CHECK(f.store.put("empty", "", {}) == PutOutcome::stored);
  REQUIRE(f.store.head("empty").has_value());
  CHECK(f.store.head("empty")->size == 0u);
  CHECK(get_all(f.store, "empty").empty());

  // binary content, larger than the read buffer
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 24);
  CHECK(f.store.put("big/object", big, {}) == PutOutcome::stored);
  CHECK(get_all(f.store, "big/object") == big);
  CHECK(f.store.head("big/object")->size == big.size());
}

TEST_CASE("put of page-aligned bodies (written with O_DIRECT) stores exactly the bytes given", "[storage]") {
  Fixture f;
  // Whole blocks only, a partial last block, and views that are not aligned
  // (the ordinary write), with metadata and the no-replace rule.
  for (const std::size_t size : {std::size_t{64 * 1024}, std::size_t{64 * 1024 + 1}, std::size_t{3 * 1024 * 1024 + 4095}}) {
    for (const std::size_t offset : {std::size_t{0}, std::size_t{1}}) {
      INFO("size " << size << ", offset in the buffer " << offset);
      wale::PageBuffer buffer(size + offset);
      std::string bytes(size + offset, '\0');
      for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 24);
      buffer.write(bytes);
      const std::string_view body = buffer.view().substr(offset);
      const std::string key = "direct/" + std::to_string(size) + "-" + std::to_string(offset);
      PutOptions options;
      options.if_absent = true;
      options.metadata["wale-size"] = std::to_string(size);
      REQUIRE(f.store.put(key, body, options) == PutOutcome::stored);
      CHECK(get_all(f.store, key) == body);
      const auto info = f.store.head(key);
      REQUIRE(info.has_value());
      CHECK(info->size == size);
      CHECK(info->metadata.at("wale-size") == std::to_string(size));
      CHECK(f.store.put(key, body, options) == PutOutcome::already_exists);
    }
  }
  CHECK_FALSE(has_temporary_files(f.dir.path()));
}

TEST_CASE("put replaces an object unless if_absent is set", "[storage]") {
  Fixture f;
  CHECK(f.store.put("k", "first", {}) == PutOutcome::stored);
  CHECK(f.store.put("k", "second", {}) == PutOutcome::stored);
  CHECK(get_all(f.store, "k") == "second");

  PutOptions no_replace;
  no_replace.if_absent = true;
  CHECK(f.store.put("k", "third", no_replace) == PutOutcome::already_exists);
  CHECK(get_all(f.store, "k") == "second");
  CHECK_FALSE(has_temporary_files(f.dir.path()));

  CHECK(f.store.put("new/key", "fresh", no_replace) == PutOutcome::stored);
  CHECK(get_all(f.store, "new/key") == "fresh");
  CHECK(f.store.put("new/key", "again", no_replace) == PutOutcome::already_exists);
  CHECK(get_all(f.store, "new/key") == "fresh");
  CHECK_FALSE(has_temporary_files(f.dir.path()));
}

TEST_CASE("get with a byte range", "[storage]") {
  Fixture f;
  f.store.put("r", "0123456789", {});
  CHECK(get_all(f.store, "r", ByteRange{2, 3}) == "234");
  CHECK(get_all(f.store, "r", ByteRange{0, 10}) == "0123456789");
  CHECK(get_all(f.store, "r", ByteRange{0, 100}) == "0123456789");
  CHECK(get_all(f.store, "r", ByteRange{7, std::nullopt}) == "789");
  CHECK(get_all(f.store, "r", ByteRange{9, 1}) == "9");
  CHECK(get_all(f.store, "r", ByteRange{10, std::nullopt}).empty());
  CHECK(get_all(f.store, "r", ByteRange{50, 5}).empty());
  CHECK(get_all(f.store, "r", ByteRange{3, 0}).empty());
  CHECK(get_all(f.store, "r", ByteRange{}) == "0123456789");

  // a range across the read buffer's boundary
  std::string big(2 * 1024 * 1024 + 5, 'a');
  big[1024 * 1024] = 'B';
  big[big.size() - 1] = 'Z';
  f.store.put("big", big, {});
  CHECK(get_all(f.store, "big", ByteRange{1024 * 1024 - 1, 3}) == "aBa");
  CHECK(get_all(f.store, "big", ByteRange{big.size() - 2, std::nullopt}) == "aZ");
  CHECK(get_all(f.store, "big", ByteRange{1, std::nullopt}).size() == big.size() - 1);
}

TEST_CASE("get of a missing object is not_found, naming the URL", "[storage]") {
  Fixture f;
  StringSink sink;
  try {
    f.store.get("wal_005/000000010000000000000099.lzo", sink, {});
    FAIL("got a missing object");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK_THAT(std::string(e.what()), Catch::Contains("wal_005/000000010000000000000099.lzo"));
  }
  CHECK(sink.data().empty());
  // a key below a file is missing too, not an I/O failure
  f.store.put("file", "x", {});
  CHECK_FALSE(f.store.head("file/below").has_value());
  try {
    f.store.get("file/below", sink, {});
    FAIL("got an object below a file");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
  }
}

TEST_CASE("list: sorted, by prefix, without temporary files", "[storage]") {
  Fixture f;
  const std::vector<std::string> keys{
      "wal_005/000000010000000000000002.lzo",
      "wal_005/000000010000000000000001.lzo",
      "wal_005/00000002.history.lzo",
      "wal_005/00000001000000000000000F.00000028.backup.lzo",
      "basebackups_005/base_00000001000000000000000F_00000040_backup_stop_sentinel.json",
      "basebackups_005/base_00000001000000000000000F_00000040/extended_version.txt",
      "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000001.tar.lzo",
      "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000000.tar.lzo",
  };
  for (const auto& k : keys) f.store.put(k, k, {});
  // a temporary file of an unfinished upload, and one of an open writer
  std::ofstream(f.dir.file("wal_005/.000000010000000000000003.lzo.wal-e-tmp.abcdefgh")).put('x');
  auto writer = f.store.open_writer("wal_005/000000010000000000000004.lzo", {});
  writer->write("partial");

  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  CHECK(list_keys(f.store, "") == sorted);

  CHECK(list_keys(f.store, "wal_005/") ==
        std::vector<std::string>{"wal_005/000000010000000000000001.lzo", "wal_005/000000010000000000000002.lzo",
                                 "wal_005/00000001000000000000000F.00000028.backup.lzo",
                                 "wal_005/00000002.history.lzo"});
  CHECK(list_keys(f.store, "wal_005/00000001000000000000000") ==
        std::vector<std::string>{"wal_005/000000010000000000000001.lzo", "wal_005/000000010000000000000002.lzo",
                                 "wal_005/00000001000000000000000F.00000028.backup.lzo"});
  CHECK(list_keys(f.store, "wal_005/000000010000000000000002") ==
        std::vector<std::string>{"wal_005/000000010000000000000002.lzo"});
  CHECK(list_keys(f.store, "wal") == list_keys(f.store, "wal_005/"));
  CHECK(list_keys(f.store, "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/") ==
        std::vector<std::string>{
            "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000000.tar.lzo",
            "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000001.tar.lzo"});
  // the sentinel is found by the backup-name prefix, beside the directory
  CHECK(list_keys(f.store, "basebackups_005/base_00000001000000000000000F_00000040_") ==
        std::vector<std::string>{
            "basebackups_005/base_00000001000000000000000F_00000040_backup_stop_sentinel.json"});
  CHECK(list_keys(f.store, "nothing/").empty());
  CHECK(list_keys(f.store, "wal_005/000000010000000000000002.lzo") ==
        std::vector<std::string>{"wal_005/000000010000000000000002.lzo"});

  // listed entries carry size and time
  std::vector<ObjectInfo> infos;
  f.store.list("wal_005/00000002", [&](ObjectInfo&& i) { infos.push_back(std::move(i)); });
  REQUIRE(infos.size() == 1u);
  CHECK(infos[0].size == std::string("wal_005/00000002.history.lzo").size());
  CHECK(infos[0].last_modified == file_timestamp(infos[0].mtime_ns));
  CHECK(infos[0].mtime_ns > 0);

  writer.reset();  // abandoned: its temporary file goes away
  CHECK(list_keys(f.store, "") == sorted);
}

TEST_CASE("list of a store whose directory does not exist yet is empty", "[storage]") {
  Fixture f("/not/yet");
  CHECK(list_keys(f.store, "").empty());
  CHECK(list_keys(f.store, "wal_005/").empty());
  f.store.put("wal_005/x.lzo", "x", {});
  CHECK(list_keys(f.store, "") == std::vector<std::string>{"wal_005/x.lzo"});
  CHECK(read_file(f.dir.file("not/yet/wal_005/x.lzo")) == std::optional<std::string>{"x"});
}

TEST_CASE("list is in key order across directory boundaries, like an object store", "[storage]") {
  // Object stores list keys in byte order of the whole key. '.' (0x2E) sorts
  // before '/' (0x2F), so "a.x" comes before "a/b"; sorting names directory
  // by directory puts "a/b" first.
  Fixture f;
  f.store.put("a/b", "1", {});
  f.store.put("a.x", "2", {});
  f.store.put("a-y", "3", {});
  CHECK(list_keys(f.store, "") == std::vector<std::string>{"a-y", "a.x", "a/b"});
}

TEST_CASE("head of a directory is not an object", "[storage]") {
  // spec §2.1: there are no directory marker objects; list() does not report
  // directories, and an object store's HEAD of "wal_005" answers 404.
  Fixture f;
  f.store.put("wal_005/000000010000000000000001.lzo", "x", {});
  CHECK(list_keys(f.store, "wal_005") == std::vector<std::string>{"wal_005/000000010000000000000001.lzo"});
  CHECK_FALSE(f.store.head("wal_005").has_value());
}

TEST_CASE("remove deletes objects and emptied directories, never the root", "[storage]") {
  Fixture f;
  const std::string backup = "basebackups_005/base_00000001000000000000000F_00000040";
  f.store.put(backup + "/extended_version.txt", "v", {});
  f.store.put(backup + "/tar_partitions/part_00000000.tar.lzo", "p0", {});
  f.store.put(backup + "/tar_partitions/part_00000001.tar.lzo", "p1", {});
  f.store.put(backup + "_backup_stop_sentinel.json", "{}", {});
  f.store.put("wal_005/000000010000000000000001.lzo", "w", {});

  // absent keys are not an error
  f.store.remove({"wal_005/000000010000000000000099.lzo", "no/such/dir/key"});
  CHECK(list_keys(f.store, "").size() == 5u);

  // removing one partition keeps the directory that still holds the other
  f.store.remove({backup + "/tar_partitions/part_00000000.tar.lzo"});
  CHECK(fs::is_directory(f.dir.file(backup + "/tar_partitions")));

  f.store.remove({backup + "/tar_partitions/part_00000001.tar.lzo", backup + "/extended_version.txt",
                  backup + "_backup_stop_sentinel.json"});
  CHECK_FALSE(fs::exists(f.dir.file(backup)));
  CHECK_FALSE(fs::exists(f.dir.file("basebackups_005")));
  CHECK(fs::is_directory(f.dir.file("wal_005")));
  CHECK(list_keys(f.store, "") == std::vector<std::string>{"wal_005/000000010000000000000001.lzo"});

  f.store.remove({"wal_005/000000010000000000000001.lzo"});
  CHECK(list_keys(f.store, "").empty());
  CHECK(all_files(f.dir.path()).empty());
  CHECK(fs::is_directory(f.dir.path()));  // the root stays
  f.store.remove({});
  CHECK(fs::is_directory(f.dir.path()));
}

TEST_CASE("remove never deletes the root, even when it is a subdirectory left empty", "[storage]") {
  Fixture f("/store/root");
  f.store.put("top", "x", {});
  f.store.remove({"top"});
  CHECK(fs::is_directory(f.dir.file("store/root")));
  CHECK(all_files(f.dir.file("store/root")).empty());
}

TEST_CASE("open_writer streams an object; abandoning it leaves nothing", "[storage]") {
  Fixture f;
  {
    auto w = f.store.open_writer("basebackups_005/b/tar_partitions/part_00000000.tar.lzo", {});
    w->write("part ");
    w->write("one");
    CHECK_FALSE(f.store.head("basebackups_005/b/tar_partitions/part_00000000.tar.lzo").has_value());
    w->close();
  }
  CHECK(get_all(f.store, "basebackups_005/b/tar_partitions/part_00000000.tar.lzo") == "part one");

  {
    auto w = f.store.open_writer("basebackups_005/b/tar_partitions/part_00000001.tar.lzo", {});
    w->write("never finished");
  }
  CHECK_FALSE(f.store.head("basebackups_005/b/tar_partitions/part_00000001.tar.lzo").has_value());
  CHECK_FALSE(has_temporary_files(f.dir.path()));
  CHECK(list_keys(f.store, "") == std::vector<std::string>{"basebackups_005/b/tar_partitions/part_00000000.tar.lzo"});

  PutOptions no_replace;
  no_replace.if_absent = true;
  {
    auto w = f.store.open_writer("basebackups_005/b/tar_partitions/part_00000000.tar.lzo", no_replace);
    w->write("other");
    w->close();
  }
  CHECK(get_all(f.store, "basebackups_005/b/tar_partitions/part_00000000.tar.lzo") == "part one");
  CHECK_FALSE(has_temporary_files(f.dir.path()));
}

TEST_CASE("metadata round trip through extended attributes", "[storage]") {
  Fixture f;
  if (!user_xattrs_supported(f.dir.path())) {
    WARN("the file system under " << f.dir.path() << " has no user xattrs; metadata round trip not checked");
    // Without xattrs the object must still be stored.
    PutOptions o;
    o.metadata = {{"wale-size", "5"}};
    CHECK(f.store.put("k", "hello", o) == PutOutcome::stored);
    CHECK(get_all(f.store, "k") == "hello");
    return;
  }
  PutOptions o;
  o.metadata = {{std::string(wale::storage::kMetaContentHash),
                 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
                {std::string(wale::storage::kMetaSize), "5"}};
  CHECK(f.store.put("wal_005/000000010000000000000001.lzo", "compressed", o) == PutOutcome::stored);
  const auto info = f.store.head("wal_005/000000010000000000000001.lzo");
  REQUIRE(info.has_value());
  CHECK(info->metadata == o.metadata);

  // stored as user.<name>
  char value[128] = {};
  const ssize_t n = ::getxattr(f.dir.file("wal_005/000000010000000000000001.lzo").c_str(), "user.wale-size", value,
                               sizeof(value));
  REQUIRE(n == 1);
  CHECK(std::string(value, 1) == "5");

  // an object without metadata has none; a replaced object gets the new one
  CHECK(f.store.put("plain", "x", {}) == PutOutcome::stored);
  CHECK(f.store.head("plain")->metadata.empty());
  PutOptions other;
  other.metadata = {{"wale-size", "1"}};
  f.store.put("plain", "y", other);
  CHECK(f.store.head("plain")->metadata == std::map<std::string, std::string>{{"wale-size", "1"}});

  // a streamed object carries metadata too
  auto w = f.store.open_writer("streamed", o);
  w->write("abc");
  w->close();
  CHECK(f.store.head("streamed")->metadata == o.metadata);
}

TEST_CASE("file_timestamp: UTC ISO-8601, microseconds only when non-zero", "[storage]") {
  constexpr std::int64_t kSec = 1'000'000'000;
  CHECK(file_timestamp(0) == "1970-01-01T00:00:00");
  CHECK(file_timestamp(1700000000 * kSec) == "2023-11-14T22:13:20");
  CHECK(file_timestamp(1700000000 * kSec + 123456000) == "2023-11-14T22:13:20.123456");
  CHECK(file_timestamp(1700000000 * kSec + 5000) == "2023-11-14T22:13:20.000005");
  CHECK(file_timestamp(1700000000 * kSec + 500000000) == "2023-11-14T22:13:20.500000");
  // Nanoseconds round to the nearest microsecond (Python keeps microseconds only).
  CHECK(file_timestamp(1700000000 * kSec + 999999000) == "2023-11-14T22:13:20.999999");
  CHECK(file_timestamp(1700000000 * kSec + 999999999) == "2023-11-14T22:13:21");
  CHECK(file_timestamp(1700000000 * kSec + 499) == "2023-11-14T22:13:20");
  CHECK(file_timestamp(1700000000 * kSec + 999) == "2023-11-14T22:13:20.000001");
  CHECK(file_timestamp(951782400 * kSec) == "2000-02-29T00:00:00");
  CHECK(file_timestamp(4102444799 * kSec + 1000) == "2099-12-31T23:59:59.000001");
}

TEST_CASE("file_timestamp rounds to the nearest microsecond, as WAL-E's utcfromtimestamp does", "[storage]") {
  // WAL-E: datetime.utcfromtimestamp(os.stat(path).st_mtime).isoformat().
  // utcfromtimestamp rounds the fraction half-even to microseconds, it does
  // not truncate (checked with Python 3.11).
  constexpr std::int64_t kSec = 1'000'000'000;
  CHECK(file_timestamp(1700000000 * kSec + 123456789) == "2023-11-14T22:13:20.123457");
  CHECK(file_timestamp(1700000000 * kSec + 999999600) == "2023-11-14T22:13:21");
}

TEST_CASE("head reports the file's modification time", "[storage]") {
  Fixture f;
  f.store.put("t", "x", {});
  const std::string path = f.dir.file("t");
  // set a known mtime: 2023-11-14T22:13:20.250000
  struct timespec times[2];
  times[0].tv_sec = 1700000000;
  times[0].tv_nsec = 250000000;
  times[1] = times[0];
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  const auto info = f.store.head("t");
  REQUIRE(info.has_value());
  CHECK(info->mtime_ns == std::int64_t{1700000000} * 1'000'000'000 + 250000000);
  CHECK(info->last_modified == "2023-11-14T22:13:20.250000");

  times[0].tv_nsec = 0;
  times[1] = times[0];
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  CHECK(f.store.head("t")->last_modified == "2023-11-14T22:13:20");
}
