// Azure SharedKey: the string to sign and the signature for the requests
// this backend makes (Put Blob, List Blobs with an opaque marker, Put Block,
// a ranged Get on a path-style endpoint).
//
// Origin of the expected values: computed independently with Python's
// hashlib/hmac from Microsoft's "Authorize with Shared Key" rules (the
// signer in tests/integration/azure_blob.py, which Azurite accepts), for
// the fixed date and keys below: Azurite's published well-known key and a
// key of the bytes 0..63.
#include "common/storage/azure/shared_key.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"

using namespace wale::storage::azure;

namespace {

constexpr const char* kDate = "Fri, 04 Dec 2026 04:17:24 GMT";
const std::string kAzuriteKey =
    *wale::codec::from_base64("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==");
const std::string kKey0to63 = *wale::codec::from_base64(
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==");

}  // namespace

TEST_CASE("shared key: Put Blob on a path-style endpoint signs the account twice", "[storage][azure]") {
  SharedKeyRequest r;
  r.method = "PUT";
  r.path = "/devstoreaccount1/wal/archive/wal_005/000000010000000000000001.lzo";
  r.headers = {{"x-ms-blob-type", "BlockBlob"}, {"Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="}, {"x-ms-meta-wale_size", "11"},
               {"x-ms-version", "2021-08-06"},  {"x-ms-date", kDate},                  {"If-None-Match", "*"}};
  r.content_length = 11;
  CHECK(string_to_sign(r, "devstoreaccount1") ==
        "PUT\n\n\n11\nXrY7u+Ae7tCTyyK7j1rNww==\n\n\n\n\n*\n\n\n"
        "x-ms-blob-type:BlockBlob\nx-ms-date:Fri, 04 Dec 2026 04:17:24 GMT\nx-ms-meta-wale_size:11\nx-ms-version:2021-08-06\n"
        "/devstoreaccount1/devstoreaccount1/wal/archive/wal_005/000000010000000000000001.lzo");
  CHECK(shared_key_authorization(r, "devstoreaccount1", kAzuriteKey) ==
        "SharedKey devstoreaccount1:xSdktBF+3/keX8wexUAsMTUTOr99N6JTfNLMwrGNfUU=");
}

TEST_CASE("shared key: List Blobs sorts the query and keeps an opaque marker verbatim", "[storage][azure]") {
  SharedKeyRequest r;
  r.method = "GET";
  r.path = "/wal";
  const std::string marker =
      "2!88!MDAwMDE1IWFyY2hpdmUvd2FsXzAwNS8wMDAwMDAwMTAwMDAwMDAwMDAwMDAwMEYubHpvITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--";
  r.query = {{"restype", "container"}, {"comp", "list"}, {"prefix", "archive/wal_005/"}, {"maxresults", "7"}, {"marker", marker}};
  r.headers = {{"x-ms-version", "2021-08-06"}, {"x-ms-date", kDate}};
  CHECK(string_to_sign(r, "myaccount") ==
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 04 Dec 2026 04:17:24 GMT\nx-ms-version:2021-08-06\n/myaccount/wal\n"
        "comp:list\nmarker:" + marker + "\nmaxresults:7\nprefix:archive/wal_005/\nrestype:container");
  CHECK(shared_key_authorization(r, "myaccount", kKey0to63) == "SharedKey myaccount:/We1M1yiOTNMvvIRnSEliJfS09zDLnye6Mmg5pz25UY=");
}

TEST_CASE("shared key: Put Block signs the body length and the decoded block id", "[storage][azure]") {
  SharedKeyRequest r;
  r.method = "PUT";
  r.path = "/wal/archive/basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo";
  r.query = {{"comp", "block"}, {"blockid", "d2FsZTAwMDAwMDAx"}};
  r.headers = {{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}, {"x-ms-version", "2021-08-06"}, {"x-ms-date", kDate}};
  r.content_length = 4194304;
  CHECK(shared_key_authorization(r, "myaccount", kKey0to63) == "SharedKey myaccount:y5+W37kgfcHO/7+Ktyb/2+6HJDjhODNyMnQMMWWDPf0=");
}

TEST_CASE("shared key: a ranged Get signs x-ms-range and the path as sent", "[storage][azure]") {
  SharedKeyRequest r;
  r.method = "GET";
  r.path = "/devstoreaccount1/wal/x%20y/z";
  r.headers = {{"X-Ms-Range", " bytes=6-10 "}, {"x-ms-version", "2021-08-06"}, {"x-ms-date", kDate}};
  CHECK(string_to_sign(r, "devstoreaccount1") ==
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 04 Dec 2026 04:17:24 GMT\nx-ms-range:bytes=6-10\nx-ms-version:2021-08-06\n"
        "/devstoreaccount1/devstoreaccount1/wal/x%20y/z");
  CHECK(shared_key_authorization(r, "devstoreaccount1", kAzuriteKey) ==
        "SharedKey devstoreaccount1:q0gOIDSFpo0KtHJANBSBJHPJysaqwM/2CAFlBPxN0z4=");
}

TEST_CASE("shared key: empty bodies sign an empty Content-Length; repeated values are sorted", "[storage][azure]") {
  SharedKeyRequest r;
  r.method = "DELETE";
  r.path = "/c/b";
  r.headers = {{"content-length", "0"}, {"x-ms-date", kDate}};
  r.query = {{"B", "2"}, {"b", "1"}};
  CHECK(string_to_sign(r, "acct") == "DELETE\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:" + std::string(kDate) + "\n/acct/c/b\nb:1,2");
}

TEST_CASE("shared key: header values with line breaks are refused without quoting them", "[storage][azure]") {
  SharedKeyRequest r;
  r.method = "GET";
  r.path = "/c";
  r.headers = {{"x-ms-meta-a", "secret\nx-ms-meta-b:forged"}};
  try {
    (void)string_to_sign(r, "acct");
    FAIL("no error");
  } catch (const wale::Error& e) {
    CHECK(e.kind() == wale::ErrorKind::usage);
    CHECK(std::string(e.what()).find("secret") == std::string::npos);
  }
}

TEST_CASE("shared key: x-ms-date is an English RFC 1123 date", "[storage][azure]") {
  const std::string now = rfc1123_now();
  REQUIRE(now.size() == 29);
  CHECK(now.substr(3, 2) == ", ");
  CHECK(now.ends_with(" GMT"));
}
