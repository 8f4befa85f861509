// wal-push's per-file work against an object already stored under the
// segment's name: the same content counts as stored, other readable content
// is a conflict and stays, and a damaged object (empty, or an lzop stream a
// writer left half-written) is replaced, except when encrypted.
#include "common/command/wal_object.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include <sys/stat.h>

#include "common/core/error.hpp"
#include "common/storage/file_store.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::command::already_in_store;
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
  wale::PageBuffer compressed;  // what prepare() compresses into

  explicit Fixture(const std::string& content) {
    ::mkdir(dir.file("pg_wal").c_str(), 0700);
    ::mkdir(dir.file("pg_wal/archive_status").c_str(), 0700);
    write_file(dir.file(std::string("pg_wal/") + kSegment), content);
    source = wale::pg::resolve_wal_source(dir.path(), std::string("pg_wal/") + kSegment);
  }
  wale::command::PreparedWalObject prepare() { return prepare_wal_object(source, {}, compressed); }
  std::string object_path() const { return dir.file(std::string("store/wal_005/") + kSegment + ".lzo"); }
  // An object some other writer left under the segment's name.
  void plant(const std::string& body) const {
    ::mkdir(dir.file("store").c_str(), 0700);
    ::mkdir(dir.file("store/wal_005").c_str(), 0700);
    write_file(object_path(), body);
  }
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
  const auto object = f.prepare();
  CHECK(store_wal_object(f.store, object) == StoreOutcome::stored);
  CHECK(store_wal_object(f.store, object) == StoreOutcome::already_stored);
  CHECK(already_in_store(f.store, f.source));
}

TEST_CASE("another readable object under the name is a conflict and is left alone", "[command]") {
  Fixture other(content('b'));
  store_wal_object(other.store, other.prepare());
  const std::string theirs = read_file(other.object_path());

  Fixture f(content('a'));
  f.plant(theirs);
  CHECK(kind_of_failure(f, f.prepare()) == ErrorKind::conflict);
  CHECK_THROWS_AS(already_in_store(f.store, f.source), Error);
  CHECK(read_file(f.object_path()) == theirs);
}

TEST_CASE("an empty or truncated object under the name is replaced", "[command]") {
  const std::string data = content('a');
  for (const std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{100}}) {
    INFO("bytes left by the interrupted writer: " << keep);
    Fixture f(data);
    const auto object = f.prepare();
    REQUIRE(object.body.size() > keep);
    f.plant(std::string(object.body.substr(0, keep)));
    CHECK_FALSE(already_in_store(f.store, f.source));
    CHECK(store_wal_object(f.store, object) == StoreOutcome::replaced_damaged);
    CHECK(read_file(f.object_path()) == object.body);
    CHECK(store_wal_object(f.store, object) == StoreOutcome::already_stored);
  }
}

TEST_CASE("an encrypted prefix never replaces an object it cannot decrypt", "[command]") {
  Fixture f(content('a'));
  const auto object = f.prepare();
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
