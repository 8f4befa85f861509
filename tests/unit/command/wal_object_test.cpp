// wal-push's per-file work against an object already stored under the
// segment's name: the same content counts as stored, other readable content
// is a conflict and stays, and a damaged object (empty, or an lzop stream a
// writer left half-written) is replaced, except when encrypted.
#include "common/command/wal_object.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "common/archive/layout.hpp"
#include "common/command/wal_fetch.hpp"
#include "common/core/error.hpp"
#include "common/storage/file_store.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::codec::Compression;
using wale::codec::ObjectEncoding;
using wale::command::already_in_store;
using wale::command::fetch_wal_file;
using wale::command::FetchOutcome;
using wale::command::find_wal_object;
using wale::command::prepare_wal_object;
using wale::command::store_wal_object;
using wale::command::StoreOutcome;
using wale::test::read_file;
using wale::test::TempDir;
using wale::test::write_file;

namespace {

constexpr const char* kSegment = "000000010000000000000003";

struct Fixture {
  TempDir dir{"wal-object"};
  wale::storage::FileStore store{wale::storage::parse_store_url("file://localhost" + dir.file("store"))};
  wale::pg::WalSource source;
  std::string name;

  explicit Fixture(const std::string& content, std::string file_name = kSegment) : name(std::move(file_name)) {
    ::mkdir(dir.file("pg_wal").c_str(), 0700);
    ::mkdir(dir.file("pg_wal/archive_status").c_str(), 0700);
    write_file(dir.file("pg_wal/" + name), content);
    source = wale::pg::resolve_wal_source(dir.path(), "pg_wal/" + name);
  }
  std::string object_path(const std::string& suffix = ".lzo") const { return dir.file("store/wal_005/" + name + suffix); }
  // An object some other writer left under the segment's name.
  void plant(const std::string& body, const std::string& suffix = ".lzo") const {
    ::mkdir(dir.file("store").c_str(), 0700);
    ::mkdir(dir.file("store/wal_005").c_str(), 0700);
    write_file(object_path(suffix), body);
  }
  bool has(const std::string& suffix) const { return ::access(object_path(suffix).c_str(), F_OK) == 0; }
};

std::string content(char fill) { return std::string(64 * 1024, fill); }

ErrorKind kind_of_failure(Fixture& f, const wale::command::PreparedWalObject& object,
                          const wale::codec::ObjectEncoding& encoding = {}) {
  try {
    store_wal_object(f.store, object, encoding);
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("store_wal_object did not fail");
  return ErrorKind::permanent;
}

}  // namespace

TEST_CASE("a segment stored twice with the same content is already stored", "[command]") {
  Fixture f(content('a'));
  const auto object = prepare_wal_object(f.source);
  CHECK(store_wal_object(f.store, object) == StoreOutcome::stored);
  CHECK(store_wal_object(f.store, object) == StoreOutcome::already_stored);
  CHECK(already_in_store(f.store, f.source));
}

TEST_CASE("another readable object under the name is a conflict and is left alone", "[command]") {
  Fixture other(content('b'));
  store_wal_object(other.store, prepare_wal_object(other.source));
  const std::string theirs = read_file(other.object_path());

  Fixture f(content('a'));
  f.plant(theirs);
  CHECK(kind_of_failure(f, prepare_wal_object(f.source)) == ErrorKind::conflict);
  CHECK_THROWS_AS(already_in_store(f.store, f.source), Error);
  CHECK(read_file(f.object_path()) == theirs);
}

TEST_CASE("an empty or truncated object under the name is replaced", "[command]") {
  const std::string data = content('a');
  for (const std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{100}}) {
    INFO("bytes left by the interrupted writer: " << keep);
    Fixture f(data);
    const auto object = prepare_wal_object(f.source);
    REQUIRE(object.body.size() > keep);
    f.plant(object.body.substr(0, keep));
    CHECK_FALSE(already_in_store(f.store, f.source));
    CHECK(store_wal_object(f.store, object) == StoreOutcome::replaced_damaged);
    CHECK(read_file(f.object_path()) == object.body);
    CHECK(store_wal_object(f.store, object) == StoreOutcome::already_stored);
  }
}

TEST_CASE("an encrypted prefix never replaces an object it cannot decrypt", "[command]") {
  Fixture f(content('a'));
  const auto object = prepare_wal_object(f.source);
  const std::string foreign = "\x85\x01\x0c" + std::string(300, 'x');  // not decryptable here
  f.plant(foreign);
  // An empty keyring of its own, so that no real one is read.
  const std::string home = f.dir.file("gnupg");
  ::mkdir(home.c_str(), 0700);
  const char* previous = std::getenv("GNUPGHOME");
  const std::string saved = previous != nullptr ? previous : "";
  REQUIRE(::setenv("GNUPGHOME", home.c_str(), 1) == 0);
  const ErrorKind kind = kind_of_failure(f, object, wale::codec::ObjectEncoding{"0123456789ABCDEF"});
  if (previous != nullptr) ::setenv("GNUPGHOME", saved.c_str(), 1);
  else ::unsetenv("GNUPGHOME");
  CHECK(kind == ErrorKind::conflict);
  CHECK(read_file(f.object_path()) == foreign);
}

TEST_CASE("a file stored under another compression's suffix counts as stored, and is not stored twice", "[command]") {
  Fixture f(content('a'));
  const ObjectEncoding zstd{"", Compression::zstd};
  const ObjectEncoding lzop{"", Compression::lzop};
  REQUIRE(store_wal_object(f.store, prepare_wal_object(f.source, zstd), zstd) == StoreOutcome::stored);
  REQUIRE(f.has(".zst"));
  CHECK(already_in_store(f.store, f.source, lzop));
  CHECK(store_wal_object(f.store, prepare_wal_object(f.source, lzop), lzop) == StoreOutcome::already_stored);
  CHECK_FALSE(f.has(".lzo"));
  const auto found = find_wal_object(f.store, kSegment, Compression::lz4);
  REQUIRE(found.has_value());
  CHECK(found->key == std::string("wal_005/") + kSegment + ".zst");
  CHECK_FALSE(find_wal_object(f.store, "000000010000000000000004", Compression::lzop).has_value());
}

TEST_CASE("other content under another compression's suffix is a conflict", "[command]") {
  Fixture other(content('b'));
  const ObjectEncoding lz4{"", Compression::lz4};
  store_wal_object(other.store, prepare_wal_object(other.source, lz4), lz4);
  Fixture f(content('a'));
  f.plant(read_file(other.object_path(".lz4")), ".lz4");
  CHECK(kind_of_failure(f, prepare_wal_object(f.source)) == ErrorKind::conflict);
  CHECK_THROWS_AS(already_in_store(f.store, f.source), Error);
  CHECK_FALSE(f.has(".lzo"));
  CHECK(f.has(".lz4"));
}

TEST_CASE("a damaged object under another suffix goes once the file is stored under the configured one", "[command]") {
  Fixture f(content('a'));
  const ObjectEncoding zstd{"", Compression::zstd};
  f.plant(prepare_wal_object(f.source, zstd).body.substr(0, 9), ".zst");
  CHECK_FALSE(already_in_store(f.store, f.source));
  const auto object = prepare_wal_object(f.source);
  CHECK(store_wal_object(f.store, object) == StoreOutcome::replaced_damaged);
  CHECK(read_file(f.object_path(".lzo")) == object.body);
  CHECK_FALSE(f.has(".zst"));
}

TEST_CASE("wal-fetch finds a file whatever compression stored it, the configured one first", "[command]") {
  for (const auto stored : {Compression::lzop, Compression::lz4, Compression::zstd}) {
    for (const auto configured : {Compression::lzop, Compression::lz4, Compression::zstd}) {
      INFO(wale::codec::compression_name(stored) << " stored, " << wale::codec::compression_name(configured) << " configured");
      Fixture f("1\t0/7000A8\tno recovery target specified\n", "00000002.history");
      const ObjectEncoding encoding{"", stored};
      store_wal_object(f.store, prepare_wal_object(f.source, encoding), encoding);
      const std::string destination = f.dir.file("restored");
      const auto fetched = fetch_wal_file(f.store, "00000002.history", destination, ObjectEncoding{"", configured});
      CHECK(fetched.outcome == FetchOutcome::delivered);
      CHECK(read_file(destination) == "1\t0/7000A8\tno recovery target specified\n");
      CHECK(fetch_wal_file(f.store, "00000003.history", destination + "3", ObjectEncoding{"", configured}).outcome ==
            FetchOutcome::not_found);
    }
  }
}

TEST_CASE("a damaged lz4 or zstd WAL object is corrupt for wal-fetch, naming the key", "[command]") {
  for (const auto c : {Compression::lz4, Compression::zstd}) {
    Fixture f("1\t0/7000A8\tno recovery target specified\n", "00000002.history");
    const ObjectEncoding encoding{"", c};
    const auto object = prepare_wal_object(f.source, encoding);
    f.plant(object.body.substr(0, object.body.size() - 2), std::string(wale::archive::codec_suffix(c)));
    try {
      fetch_wal_file(f.store, "00000002.history", f.dir.file("restored"), encoding);
      FAIL("a truncated object was delivered");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::corrupt);
      CHECK_THAT(e.what(), Catch::Contains(object.key));
    }
    CHECK(::access(f.dir.file("restored").c_str(), F_OK) != 0);
  }
}
