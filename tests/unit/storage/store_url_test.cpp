// WAL-E storage URLs (spec §1.1, §1.2): scheme selection, store name and
// canonical path prefix, file:// host handling, and the errors for URLs
// WAL-E would refuse.
#include "common/storage/store_url.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/core/error.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::storage::parse_store_url;
using wale::storage::Scheme;
using wale::storage::scheme_name;
using wale::storage::StoreUrl;

namespace {

// The error a URL is refused with; fails the test when it is accepted.
Error refusal_of(const std::string& url) {
  try {
    (void)parse_store_url(url);
  } catch (const Error& e) {
    return e;
  }
  FAIL("parse_store_url accepted '" << url << "'");
  return Error(ErrorKind::permanent, "unreachable");
}

}  // namespace

TEST_CASE("scheme names", "[storage]") {
  CHECK(scheme_name(Scheme::file) == "file");
  CHECK(scheme_name(Scheme::s3) == "s3");
  CHECK(scheme_name(Scheme::wabs) == "wabs");
  CHECK(scheme_name(Scheme::gs) == "gs");
  CHECK(scheme_name(Scheme::swift) == "swift");
}

TEST_CASE("s3 URLs: bucket and canonical path prefix", "[storage]") {
  SECTION("s3://b/x/y => x/y/") {
    const StoreUrl u = parse_store_url("s3://b/x/y");
    CHECK(u.scheme == Scheme::s3);
    CHECK(u.store == "b");
    CHECK(u.path_prefix == "x/y/");
    CHECK(u.text == "s3://b/x/y");
  }
  SECTION("a trailing slash is kept, not doubled") {
    const StoreUrl u = parse_store_url("s3://b/x/y/");
    CHECK(u.store == "b");
    CHECK(u.path_prefix == "x/y/");
    CHECK(u.text == "s3://b/x/y/");
  }
  SECTION("s3://b => empty prefix") {
    const StoreUrl u = parse_store_url("s3://b");
    CHECK(u.scheme == Scheme::s3);
    CHECK(u.store == "b");
    CHECK(u.path_prefix.empty());
  }
  SECTION("s3://b/ => empty prefix") {
    const StoreUrl u = parse_store_url("s3://b/");
    CHECK(u.store == "b");
    CHECK(u.path_prefix.empty());
  }
  SECTION("leading slashes of the path are removed") {
    const StoreUrl u = parse_store_url("s3://b///x");
    CHECK(u.store == "b");
    CHECK(u.path_prefix == "x/");
  }
  SECTION("one path component") {
    const StoreUrl u = parse_store_url("s3://my-bucket.example/wal-e");
    CHECK(u.store == "my-bucket.example");
    CHECK(u.path_prefix == "wal-e/");
  }
}

TEST_CASE("the other schemes", "[storage]") {
  const StoreUrl w = parse_store_url("wabs://container/path/to");
  CHECK(w.scheme == Scheme::wabs);
  CHECK(w.store == "container");
  CHECK(w.path_prefix == "path/to/");

  const StoreUrl g = parse_store_url("gs://bucket/p");
  CHECK(g.scheme == Scheme::gs);
  CHECK(g.store == "bucket");
  CHECK(g.path_prefix == "p/");

  const StoreUrl s = parse_store_url("swift://container");
  CHECK(s.scheme == Scheme::swift);
  CHECK(s.store == "container");
  CHECK(s.path_prefix.empty());
}

TEST_CASE("file URLs: the host is kept as the store but ignored", "[storage]") {
  const StoreUrl local = parse_store_url("file://localhost/abs/dir");
  CHECK(local.scheme == Scheme::file);
  CHECK(local.store == "localhost");
  CHECK(local.path_prefix == "abs/dir/");

  const StoreUrl empty_host = parse_store_url("file:///abs/dir");
  CHECK(empty_host.scheme == Scheme::file);
  CHECK(empty_host.store.empty());
  CHECK(empty_host.path_prefix == "abs/dir/");

  const StoreUrl other_host = parse_store_url("file://elsewhere/abs/dir/");
  CHECK(other_host.path_prefix == "abs/dir/");

  // file://localhost/x and file:///x are the same place (spec §1.2)
  CHECK(local.same_place(empty_host));
  CHECK(empty_host.same_place(local));
  CHECK(local.same_place(other_host));
  CHECK_FALSE(local.same_place(parse_store_url("file://localhost/abs/other")));
  CHECK_FALSE(local.same_place(parse_store_url("file://localhost/abs")));
  CHECK_FALSE(local.same_place(parse_store_url("file://localhost/abs/dir/sub")));
}

TEST_CASE("same_place compares scheme, store and canonical prefix", "[storage]") {
  const StoreUrl a = parse_store_url("s3://b/x/y");
  CHECK(a.same_place(parse_store_url("s3://b/x/y/")));
  CHECK(a.same_place(parse_store_url("s3://b//x/y")));
  CHECK(a.same_place(a));
  CHECK_FALSE(a.same_place(parse_store_url("s3://c/x/y")));
  CHECK_FALSE(a.same_place(parse_store_url("s3://b/x")));
  CHECK_FALSE(a.same_place(parse_store_url("s3://b/x/y/z")));
  CHECK_FALSE(a.same_place(parse_store_url("gs://b/x/y")));
  CHECK_FALSE(a.same_place(parse_store_url("wabs://b/x/y")));
  CHECK_FALSE(a.same_place(parse_store_url("file://b/x/y")));
  CHECK(parse_store_url("s3://b").same_place(parse_store_url("s3://b/")));
}

TEST_CASE("url_for builds the URLs WAL-E writes in its logs", "[storage]") {
  CHECK(parse_store_url("s3://b/x/y").url_for("wal_005/000000010000000000000017.lzo") ==
        "s3://b/x/y/wal_005/000000010000000000000017.lzo");
  CHECK(parse_store_url("s3://b").url_for("wal_005/000000010000000000000017.lzo") ==
        "s3://b/wal_005/000000010000000000000017.lzo");
  CHECK(parse_store_url("file://localhost/abs/dir").url_for("wal_005/00000002.history.lzo") ==
        "file://localhost/abs/dir/wal_005/00000002.history.lzo");
  CHECK(parse_store_url("file:///abs/dir").url_for("k") == "file:///abs/dir/k");
  CHECK(parse_store_url("gs://bucket/p").url_for("") == "gs://bucket/p/");
}

TEST_CASE("unknown schemes are usage errors naming the URL", "[storage]") {
  for (const char* url : {"ftp://host/path", "http://host/path", "https://bucket/x", "S4://b/x", "sftp://x/y",
                          "://b/x", "s3+path://b/x"}) {
    INFO("url " << url);
    const Error e = refusal_of(url);
    CHECK(e.kind() == ErrorKind::usage);
    CHECK_THAT(std::string(e.what()), Catch::Contains(url));
  }
  const Error ftp = refusal_of("ftp://host/path");
  CHECK_THAT(std::string(ftp.what()), Catch::Contains("'ftp'"));
  CHECK_THAT(std::string(ftp.what()), Catch::Contains("s3") && Catch::Contains("file"));
}

TEST_CASE("a prefix that is not a URL is a usage error", "[storage]") {
  for (const char* url : {"", "/var/lib/wal-e", "s3:/b/x", "bucket/path", "file:/abs/dir"}) {
    INFO("url '" << url << "'");
    const Error e = refusal_of(url);
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
  }
}

TEST_CASE("an empty path component inside the prefix is refused", "[storage]") {
  // S3 collapses '//' in request paths, so such a key could never be read back.
  const Error e = refusal_of("s3://b/x//y");
  CHECK(e.kind() == ErrorKind::usage);
  CHECK_THAT(std::string(e.what()), Catch::Contains("//"));
}
