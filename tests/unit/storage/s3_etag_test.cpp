// The ETag of an upload's answer against the MD5 of the bytes sent: a
// different one is never taken for success (fault matrix, wrong ETag).
#include "common/storage/s3/etag.hpp"

#include <catch2/catch.hpp>

#include "common/codec/digest.hpp"

using wale::codec::md5_hex;
using wale::storage::s3::etag_contradicts;
using wale::storage::s3::md5_of_etag;

TEST_CASE("an ETag that is the MD5 of the body sent agrees", "[s3][etag]") {
  const std::string md5 = md5_hex("segment bytes");
  CHECK_FALSE(etag_contradicts("\"" + md5 + "\"", md5, ""));
  CHECK_FALSE(etag_contradicts(md5, md5, ""));  // unquoted, as some work-alikes send it
  std::string upper = md5;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK_FALSE(etag_contradicts("\"" + upper + "\"", md5, "AES256"));
  CHECK_FALSE(etag_contradicts("W/\"" + md5 + "\"", md5, ""));
}

TEST_CASE("an ETag of other bytes contradicts the upload", "[s3][etag]") {
  const std::string md5 = md5_hex("segment bytes");
  CHECK(etag_contradicts("\"" + md5_hex("other bytes") + "\"", md5, ""));
  CHECK(etag_contradicts("\"0123456789abcdef0123456789abcdef\"", md5, "AES256"));  // SSE-S3 keeps the MD5
  CHECK(etag_contradicts("\"" + md5 + "-2\"", md5, ""));                          // a multipart ETag for a plain PUT
  CHECK(etag_contradicts("\"" + md5.substr(0, 31) + "\"", md5, ""));
}

TEST_CASE("ETags that cannot be checked are not taken as contradictions", "[s3][etag]") {
  const std::string md5 = md5_hex("segment bytes");
  CHECK_FALSE(etag_contradicts("", md5, ""));
  CHECK_FALSE(etag_contradicts("\"\"", md5, ""));
  CHECK_FALSE(etag_contradicts("\"opaque-kms-etag\"", md5, "aws:kms"));
  CHECK_FALSE(etag_contradicts("\"opaque-kms-etag\"", md5, "aws:kms:dsse"));
}

TEST_CASE("the MD5 an object's ETag stands for", "[s3][etag]") {
  const std::string md5 = md5_hex("segment bytes");
  std::string upper = md5;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(md5_of_etag("\"" + upper + "\"", "") == md5);
  CHECK(md5_of_etag(md5, "AES256") == md5);
  CHECK(md5_of_etag("\"" + md5 + "-3\"", "").empty());  // multipart
  CHECK(md5_of_etag("\"" + md5 + "\"", "aws:kms").empty());
  CHECK(md5_of_etag("\"" + md5.substr(0, 31) + "g\"", "").empty());
  CHECK(md5_of_etag("", "").empty());
}
