// The Cloud Storage JSON API documents: object resources and listing pages
// as GCS and the Firebase emulator write them, error documents and what
// they become (one line, a kind, advice naming the variable), the
// multipart/related upload body, and WAL-E's text of an object's time.
#include "common/storage/gcs/gcs_json.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/core/error.hpp"
#include "common/storage/gcs/gcs_errors.hpp"
#include "common/storage/s3/s3_xml.hpp"

using wale::Error;
using wale::ErrorKind;
using namespace wale::storage::gcs;

namespace {

// An object resource as the JSON API returns it (objects.get).
constexpr const char* kObject = R"({
  "kind": "storage#object",
  "id": "walbkt//archive/wal_005/000000010000000000000001.lzo/1700000000123000",
  "selfLink": "https://www.googleapis.com/storage/v1/b/walbkt/o/%2Farchive%2Fwal_005%2F000000010000000000000001.lzo",
  "mediaLink": "https://storage.googleapis.com/download/storage/v1/b/walbkt/o/%2Farchive%2Fwal_005%2F000000010000000000000001.lzo?generation=1700000000123000&alt=media",
  "name": "/archive/wal_005/000000010000000000000001.lzo",
  "bucket": "walbkt",
  "generation": "1700000000123000",
  "metageneration": "1",
  "contentType": "application/octet-stream",
  "storageClass": "STANDARD",
  "size": "5242881",
  "md5Hash": "XUFAKrxLKna5cZ2REBfFkg==",
  "crc32c": "mnG7TA==",
  "etag": "CLiJ8ZTNx4IDEAE=",
  "timeCreated": "2023-11-14T22:13:20.123Z",
  "updated": "2023-11-14T22:13:20.123Z",
  "timeStorageClassUpdated": "2023-11-14T22:13:20.123Z",
  "metadata": {"wale-xxh128": "0123456789abcdef0123456789abcdef", "wale-size": "16777216"}
})";

Error failure(int status, const std::string& body, CredentialSource source = CredentialSource::service_account) {
  GcsSettings s;
  s.bucket = "walbkt";
  s.credentials.source = source;
  s.credentials.client_email = "wal-e@p.iam.gserviceaccount.com";
  return service_failure("cannot store gs://walbkt/archive/x", status, body, s);
}

std::string google_error(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}, {"errors", {{{"message", message}, {"domain", "global"}, {"reason", reason}}}}}}}
      .dump();
}

}  // namespace

TEST_CASE("gcs: an object resource", "[gcs]") {
  const ObjectResource o = parse_object_resource(kObject, "x");
  CHECK(o.name == "/archive/wal_005/000000010000000000000001.lzo");
  CHECK(o.size == 5242881);
  CHECK(o.updated == "2023-11-14T22:13:20.123Z");
  CHECK(o.md5_hash == "XUFAKrxLKna5cZ2REBfFkg==");
  CHECK(o.crc32c == "mnG7TA==");
  CHECK(o.metadata.size() == 2);
  CHECK(o.metadata.at("wale-size") == "16777216");
  // the emulator writes no metadata member when there is none
  const ObjectResource bare = parse_object_resource(R"({"name":"/a","size":"0"})", "x");
  CHECK(bare.metadata.empty());
  CHECK(bare.size == 0);
  for (const char* bad : {"", "[]", "{}", R"({"name":"/a"})", R"({"name":"/a","size":"12x"})", R"({"size":"1"})"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_object_resource(bad, "the upload of gs://b/a"), Error);
  }
}

TEST_CASE("gcs: listing pages", "[gcs]") {
  const ObjectListPage page = parse_object_list(
      R"({"kind":"storage#objects","nextPageToken":"CgZhL2IvYw==","items":[{"name":"/p/a","size":"1","updated":"2024-01-01T00:00:00.000Z"},{"name":"/p/b","size":"22","updated":"2024-01-01T00:00:01.5Z"}]})",
      "x");
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[1].name == "/p/b");
  CHECK(page.items[1].size == 22);
  CHECK(page.next_page_token == "CgZhL2IvYw==");
  // the last page: no token; an empty listing: no items either
  CHECK(parse_object_list(R"({"kind":"storage#objects"})", "x").items.empty());
  CHECK(parse_object_list(R"({"kind":"storage#objects","items":[]})", "x").next_page_token.empty());
  CHECK_THROWS_AS(parse_object_list(R"({"items":{}})", "x"), Error);
  CHECK_THROWS_AS(parse_object_list("<xml/>", "x"), Error);
}

TEST_CASE("gcs: error documents", "[gcs]") {
  const ServiceError e = parse_service_error(google_error(403, "forbidden", "wal-e@p.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object."));
  CHECK(e.reason == "forbidden");
  CHECK_THAT(e.message, Catch::StartsWith("wal-e@p.iam"));
  // the emulator's download 404 is text; a proxy's page says nothing
  CHECK(parse_service_error("No such object: walbkt/%2Fa").message == "No such object: walbkt/%2Fa");
  CHECK(parse_service_error("<Error><Code>SlowDown</Code></Error>").message.empty());
  CHECK(parse_service_error("").message.empty());
}

TEST_CASE("gcs: failures are one line with status, reason, message, endpoint and advice", "[gcs]") {
  const Error forbidden = failure(403, google_error(403, "forbidden", "no access"));
  CHECK(forbidden.kind() == ErrorKind::permanent);
  CHECK(std::string(forbidden.what()) ==
        "cannot store gs://walbkt/archive/x: HTTP 403 forbidden (no access) from storage.googleapis.com; check that the "
        "service account wal-e@p.iam.gserviceaccount.com of GOOGLE_APPLICATION_CREDENTIALS may create, read, list and "
        "delete objects in bucket walbkt (role Storage Object Admin)");
  const Error unauthorized = failure(401, google_error(401, "required", "Invalid Credentials"));
  CHECK(unauthorized.kind() == ErrorKind::permanent);
  CHECK_THAT(unauthorized.what(), Catch::Contains("HTTP 401 required (Invalid Credentials)") && Catch::Contains("check GOOGLE_APPLICATION_CREDENTIALS"));
  CHECK_THAT(failure(401, "", CredentialSource::none).what(), Catch::Contains("the endpoint wants credentials: set GOOGLE_APPLICATION_CREDENTIALS"));
  CHECK_THAT(failure(403, "", CredentialSource::metadata_server).what(), Catch::Contains("this VM's service account"));

  const Error no_bucket = failure(404, google_error(404, "notFound", "The specified bucket does not exist."));
  CHECK(no_bucket.kind() == ErrorKind::permanent);
  CHECK_THAT(no_bucket.what(), Catch::EndsWith("; create the bucket walbkt or fix WALE_GS_PREFIX"));
  CHECK(bucket_missing(google_error(404, "notFound", "The specified bucket does not exist.")));
  CHECK_FALSE(bucket_missing(google_error(404, "notFound", "No such object: walbkt/a")));
  CHECK(failure(404, google_error(404, "notFound", "No such object: walbkt/a")).kind() == ErrorKind::not_found);

  for (int status : {408, 429, 500, 502, 503, 504}) CHECK(failure(status, "").kind() == ErrorKind::transient);
  // a body damaged on the way: the service's MD5 or CRC-32C check failed
  CHECK(failure(400, google_error(400, "invalid", "Provided MD5 hash \"x\" doesn't match calculated MD5 hash \"y\".")).kind() ==
        ErrorKind::transient);
  CHECK(failure(400, google_error(400, "invalid", "Invalid argument.")).kind() == ErrorKind::permanent);
  CHECK(std::string(failure(400, google_error(400, "invalid", "two\nlines")).what()).find('\n') == std::string::npos);
}

TEST_CASE("gcs: the JSON of a new object", "[gcs]") {
  const auto j = nlohmann::json::parse(object_metadata_json("/p/k", "application/json", {{"wale-size", "3"}}, "bWQ1", "Y3Jj"));
  CHECK(j == nlohmann::json{{"name", "/p/k"}, {"contentType", "application/json"}, {"metadata", {{"wale-size", "3"}}},
                            {"md5Hash", "bWQ1"}, {"crc32c", "Y3Jj"}});
  const auto bare = nlohmann::json::parse(object_metadata_json("/k", "application/octet-stream", {}));
  CHECK(bare == nlohmann::json{{"name", "/k"}, {"contentType", "application/octet-stream"}});
}

TEST_CASE("gcs: a multipart/related upload body", "[gcs]") {
  std::string media = "media \r\n--with what looks like a boundary";
  media.push_back('\0');
  const MultipartBody m = multipart_related(R"({"name":"/k"})", media, "application/octet-stream");
  REQUIRE_THAT(m.content_type, Catch::StartsWith("multipart/related; boundary="));
  const std::string boundary = m.content_type.substr(m.content_type.find('=') + 1);
  CHECK(media.find(boundary) == std::string::npos);
  CHECK(m.body == "--" + boundary + "\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n{\"name\":\"/k\"}\r\n--" + boundary +
                      "\r\ncontent-type: application/octet-stream\r\n\r\n" + media + "\r\n--" + boundary + "--\r\n");
}

TEST_CASE("gcs: WAL-E prints an object's time as Python's str() of a UTC datetime", "[gcs]") {
  using wale::storage::s3::parse_iso8601_ns;
  CHECK(python_datetime_text(parse_iso8601_ns("2023-11-14T22:13:20.123Z")) == "2023-11-14 22:13:20.123000+00:00");
  CHECK(python_datetime_text(parse_iso8601_ns("2023-11-14T22:13:20.000Z")) == "2023-11-14 22:13:20+00:00");
  CHECK(python_datetime_text(parse_iso8601_ns("2023-11-14T22:13:20Z")) == "2023-11-14 22:13:20+00:00");
}
