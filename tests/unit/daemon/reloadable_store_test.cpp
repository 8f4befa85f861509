// The daemon's store: a reload swaps the backend for what starts next, and
// it counts what the store answered.
#include <catch2/catch.hpp>

#include "common/core/error.hpp"
#include "common/storage/file_store.hpp"
#include "daemon/reloadable_store.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::daemon::ReloadableStore;
using wale::storage::FileStore;
using wale::storage::parse_store_url;
using wale::test::TempDir;

namespace {

std::unique_ptr<FileStore> file_store(const std::string& dir) { return std::make_unique<FileStore>(parse_store_url("file://localhost" + dir)); }

}  // namespace

TEST_CASE("a reload swaps the backend for the next operations", "[daemon][store]") {
  TempDir a("store-a"), b("store-b");
  ReloadableStore store(file_store(a.path()));
  store.put("wal_005/one", "1", {});
  CHECK_FALSE(store.failing());
  // A streaming upload opened before the reload ends on its own backend.
  auto writer = store.open_writer("basebackups_005/part", {});
  store.replace(file_store(b.path()));
  writer->write("data");
  writer->close();
  writer.reset();
  store.put("wal_005/two", "2", {});
  CHECK(wale::test::read_file(a.file("wal_005/one")) == "1");
  CHECK(wale::test::read_file(a.file("basebackups_005/part")) == "data");
  CHECK(wale::test::read_file(b.file("wal_005/two")) == "2");
  CHECK_FALSE(store.head("wal_005/one"));
  CHECK(store.head("wal_005/two"));
}

TEST_CASE("the store counts errors by kind and whether writes are refused", "[daemon][store]") {
  TempDir dir("store");
  ReloadableStore store(file_store(dir.path()));
  wale::StringSink sink;
  CHECK_THROWS_AS(store.get("wal_005/absent", sink), wale::Error);
  CHECK(store.errors()[static_cast<std::size_t>(wale::ErrorKind::not_found)] == 1);
  CHECK_FALSE(store.failing());  // a failed read says nothing about writes
  // A store directory that cannot be written: the write fails, and says so.
  store.put("x/y", "1", {});
  wale::test::check_output("chmod 0500 " + wale::test::shell_quote(dir.file("x")));
  const bool as_root = ::geteuid() == 0;
  if (!as_root) {
    CHECK_THROWS_AS(store.put("x/z", "2", {}), wale::Error);
    CHECK(store.failing());
  }
  wale::test::check_output("chmod 0700 " + wale::test::shell_quote(dir.file("x")));
  store.put("x/z", "2", {});
  CHECK_FALSE(store.failing());
  CHECK(wale::daemon::error_kind_name(wale::ErrorKind::transient) == "transient");
}
