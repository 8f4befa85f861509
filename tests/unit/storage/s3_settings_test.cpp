// WALE_S3_ENDPOINT: the forms WAL-E documents, and one clear usage error
// naming the variable for anything else (the empty host was found by
// names_fuzz; its input is kept in tests/fuzz/seeds/names/).
#include "common/storage/s3/s3_settings.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/core/error.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::storage::s3::Addressing;
using wale::storage::s3::parse_s3_endpoint;
using wale::storage::s3::S3Settings;

namespace {

S3Settings parsed(const std::string& text) {
  S3Settings s;
  parse_s3_endpoint(text, s);
  return s;
}

std::string refusal(const std::string& text) {
  try {
    parsed(text);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).starts_with("WALE_S3_ENDPOINT='"));
    return e.what();
  }
  FAIL("accepted: " << text);
  return {};
}

}  // namespace

TEST_CASE("s3 endpoint: the documented forms", "[storage][s3]") {
  const auto minio = parsed("http+path://minio.local:9000");
  CHECK_FALSE(minio.endpoint.tls);
  CHECK(minio.endpoint.host == "minio.local");
  CHECK(minio.endpoint.port == 9000);
  CHECK(minio.addressing == Addressing::path);
  const auto aws = parsed("https+virtualhost://s3.eu-west-1.amazonaws.com/");
  CHECK(aws.endpoint.tls);
  CHECK(aws.endpoint.port == 443);
  CHECK(aws.addressing == Addressing::virtual_host);
  CHECK(parsed("https+subdomain://s3.example.com").addressing == Addressing::virtual_host);
  const auto v6 = parsed("http+path://[::1]:8080");
  CHECK(v6.endpoint.host == "[::1]");
  CHECK(v6.endpoint.port == 8080);
  CHECK(parsed("http+path://[::1]").endpoint.port == 80);
}

TEST_CASE("s3 endpoint: anything else is refused naming the variable", "[storage][s3]") {
  CHECK(refusal("s3.amazonaws.com").find("is not of the form protocol+convention://host") != std::string::npos);
  CHECK(refusal("ftp+path://host").find("names the protocol 'ftp'") != std::string::npos);
  CHECK(refusal("https+dns://host").find("names the convention 'dns'") != std::string::npos);
  CHECK(refusal("https+path://user:pw@host").find("contains a user name or password") != std::string::npos);
  CHECK(refusal("https+path://host/bucket").find("contains a path or a query") != std::string::npos);
  CHECK(refusal("https+path://host:0").find("has a bad port") != std::string::npos);
  CHECK(refusal("https+path://host:99999").find("has a bad port") != std::string::npos);
  CHECK(refusal("https+path://").find("has no host") != std::string::npos);
  CHECK(refusal("http+path://:8/").find("has no host") != std::string::npos);  // found by names_fuzz
  CHECK(refusal("http+path://[]:8").find("has no host") != std::string::npos);
}
