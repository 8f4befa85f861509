// The Swift API's documents as Swift 2.30 writes them (shapes checked
// against the Debian all-in-one the integration tests run): container
// listings, SLO manifests and their etag, bulk-delete bodies and answers,
// /info, error pages; and the segment names of the large-object writer.
#include "common/storage/swift/swift_json.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/storage/swift/slo_writer.hpp"
#include "tests/unit/storage/swift/swift_test_support.hpp"

using wale::ErrorKind;
using wale::test::error_of;
using namespace wale::storage::swift;

TEST_CASE("swift json: container listing", "[storage][swift][json]") {
  // As the all-in-one answers ?format=json: a plain object, a Static Large
  // Object (its whole size in bytes, and slo_etag), and a subdir entry.
  const std::string body = R"([
    {"bytes": 6, "hash": "b1946ac92492d2347c6235b4d2611184", "name": "/p/wal_005/000000010000000000000002.lzo",
     "content_type": "application/octet-stream", "last_modified": "2026-12-04T03:53:31.483840"},
    {"bytes": 1000500, "hash": "b6bc025b14f75245402523de8781a160", "name": "/p/basebackups_005/base_x/tar_partitions/part_00000000.tar.lzo",
     "content_type": "application/octet-stream", "last_modified": "2026-12-04T03:53:40.871850", "slo_etag": "\"babcdf13cb552e0ffe6a5e58cb8ef9a9\""},
    {"subdir": "/p/other/"}])";
  const auto page = parse_listing(body);
  REQUIRE(page.size() == 2);
  CHECK(page[0].name == "/p/wal_005/000000010000000000000002.lzo");
  CHECK(page[0].bytes == 6);
  CHECK(page[0].last_modified == "2026-12-04T03:53:31.483840");
  CHECK(page[1].bytes == 1000500);
  CHECK(parse_listing("[]").empty());
  CHECK(parse_listing("").empty());  // 204 No Content from older clusters
  CHECK(parse_listing(R"([{"name": "/x", "bytes": 0}])").front().last_modified.empty());
  // Unicode names come back as UTF-8.
  CHECK(parse_listing(R"([{"name": "/caf\u00e9", "bytes": 1}])").front().name == "/caf\xc3\xa9");
  for (const char* bad : {"<html>", "{}", "[1]", R"([{"name": 3, "bytes": 1}])", R"([{"name": "/x", "bytes": -1}])", R"([{"name": "/x"}])"}) {
    INFO(bad);
    CHECK(error_of([&] { parse_listing(bad); }).kind() == ErrorKind::corrupt);
  }
}

TEST_CASE("swift json: SLO manifest and its etag", "[storage][swift][json]") {
  const std::vector<Segment> segments{{"/walbkt_segments/p/key/slo/u1/00000000", "d41d8cd98f00b204e9800998ecf8427e", 1000000},
                                      {"/walbkt_segments/p/key/slo/u1/00000001", "0cc175b9c0f1b6a831c399e269772661", 500}};
  const auto manifest = nlohmann::json::parse(slo_manifest(segments));
  REQUIRE(manifest.is_array());
  REQUIRE(manifest.size() == 2);
  CHECK(manifest[0] == nlohmann::json({{"path", "/walbkt_segments/p/key/slo/u1/00000000"},
                                       {"etag", "d41d8cd98f00b204e9800998ecf8427e"},
                                       {"size_bytes", 1000000}}));
  CHECK(manifest[1]["size_bytes"] == 500);
  // md5("d41d8cd98f00b204e9800998ecf8427e0cc175b9c0f1b6a831c399e269772661"), what Swift computes.
  CHECK(slo_etag(segments) == "8b2ebdea48beed0a3621a0be3c850207");
  // What the all-in-one answered for a manifest of two segments with these etags.
  CHECK(slo_etag({{"", "fdea452685ec4317e3eda06521a15f42", 1000000}, {"", "4c39799240e940b86717a57e245b4aeb", 500}}) ==
        "babcdf13cb552e0ffe6a5e58cb8ef9a9");
}

TEST_CASE("swift json: bulk delete", "[storage][swift][json]") {
  CHECK(bulk_delete_body("walbkt", {"/p/wal_005/a.lzo", "/p/d/o 1", "/p/x&y"}) ==
        "/walbkt//p/wal_005/a.lzo\n/walbkt//p/d/o%201\n/walbkt//p/x%26y\n");
  CHECK(bulk_delete_body("my container", {"k"}) == "/my%20container/k\n");

  auto r = parse_bulk_delete(R"({"Response Status": "200 OK", "Response Body": "", "Number Deleted": 2, "Number Not Found": 1, "Errors": []})");
  CHECK(r.status == "200 OK");
  CHECK(r.deleted == 2);
  CHECK(r.not_found == 1);
  CHECK(r.errors.empty());
  // Heartbeat spaces before the document, a refused object.
  r = parse_bulk_delete("  \r\n\r\n" R"({"Response Status": "400 Bad Request", "Response Body": "", "Number Deleted": 0,
      "Number Not Found": 0, "Errors": [["/walbkt//p/x", "403 Forbidden"]]})");
  CHECK(r.status == "400 Bad Request");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].first == "/walbkt//p/x");
  CHECK(r.errors[0].second == "403 Forbidden");
  CHECK(error_of([] { parse_bulk_delete("<html>cut"); }).kind() == ErrorKind::transient);
  CHECK(error_of([] { parse_bulk_delete("[]"); }).kind() == ErrorKind::corrupt);
  CHECK(error_of([] { parse_bulk_delete(R"({"Number Deleted": 1})"); }).kind() == ErrorKind::corrupt);
  CHECK(error_of([] { parse_bulk_delete(R"({"Response Status": "200 OK", "Number Deleted": "x"})"); }).kind() == ErrorKind::corrupt);
  // Counts that are not whole numbers (a float beyond 2^64 is what
  // store_answers_fuzz found: converting it was undefined behaviour).
  for (const char* count : {"1718107777777777777758836966057", "1e30", "-1", "2.5"})
    CHECK(error_of([&] { parse_bulk_delete(std::string(R"({"Response Status": "200 OK", "Number Not Found": )") + count + "}"); })
              .kind() == ErrorKind::corrupt);
}

TEST_CASE("swift json: /info", "[storage][swift][json]") {
  CHECK(bulk_delete_limit(R"({"swift": {"version": "2.30.1"}, "bulk_delete": {"max_deletes_per_request": 10000, "max_failed_deletes": 1000},
                             "slo": {"max_manifest_segments": 1000}})") == 10000u);
  CHECK(bulk_delete_limit(R"({"bulk_delete": {"max_deletes_per_request": 500}})") == 500u);
  CHECK(bulk_delete_limit(R"({"bulk_delete": {}})") == 10000u);
  CHECK_FALSE(bulk_delete_limit(R"({"swift": {"version": "2.30.1"}})"));
  CHECK_FALSE(bulk_delete_limit("<html>Not Found</html>"));
  CHECK_FALSE(bulk_delete_limit(R"({"bulk_delete": {"max_deletes_per_request": "many"}})"));
  CHECK_FALSE(bulk_delete_limit(R"({"bulk_delete": {"max_deletes_per_request": 1e30}})"));
  CHECK_FALSE(bulk_delete_limit(R"({"bulk_delete": {"max_deletes_per_request": -5}})"));
  CHECK_FALSE(bulk_delete_limit(R"({"bulk_delete": {"max_deletes_per_request": 0}})"));
}

TEST_CASE("swift json: server messages", "[storage][swift][json]") {
  CHECK(server_message("<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the "
                       "document you requested.</p></html>") ==
        "Unauthorized: This server could not verify that you are authorized to access the document you requested.");
  CHECK(server_message(R"({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}})") ==
        "Unauthorized: The request you have made requires authentication.");
  CHECK(server_message("Maximum limit is 10000\n") == "Maximum limit is 10000");
  CHECK(server_message(" \r\n").empty());
  CHECK(server_message("{not json").starts_with("{not json"));
  const std::string long_text(1000, 'x');
  CHECK(server_message(long_text).size() == 203);
}

TEST_CASE("swift json: segment names", "[storage][swift][slo]") {
  const std::string name = segment_name("db/basebackups_005/base_x/tar_partitions/part_00000001.tar.lzo", "0123-ab", 7);
  CHECK(name == "db/basebackups_005/base_x/tar_partitions/part_00000001.tar.lzo/slo/0123-ab/00000007");
  CHECK(segment_owner(name) == "db/basebackups_005/base_x/tar_partitions/part_00000001.tar.lzo");
  CHECK(segment_upload(name) == "0123-ab");
  CHECK(segment_owner(segment_name("k", "u", 12345678)) == "k");
  for (const char* foreign : {"k/slo/u/7", "k/slo//00000001", "k/slo/u", "k/other/u/00000001", "k/slo/u/0000000x", "plain"}) {
    INFO(foreign);
    CHECK_FALSE(segment_owner(foreign));
    CHECK(segment_upload(foreign).empty());
  }
}
