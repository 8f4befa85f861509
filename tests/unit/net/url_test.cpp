// URLs and authorities as the settings and the servers give them.
#include "common/net/url.hpp"

#include <catch2/catch.hpp>

using wale::net::parse_authority;
using wale::net::parse_url;

TEST_CASE("url: http and https URLs", "[net]") {
  const auto a = parse_url("https://oauth2.googleapis.com/token");
  REQUIRE(a);
  CHECK(a->endpoint.tls);
  CHECK(a->endpoint.host == "oauth2.googleapis.com");
  CHECK(a->endpoint.port == 443);
  CHECK(a->target == "/token");
  const auto b = parse_url("http://127.0.0.1:9120/upload/storage/v1/b/x/o?uploadType=resumable&upload_id=a%2Fb#frag");
  REQUIRE(b);
  CHECK_FALSE(b->endpoint.tls);
  CHECK(b->endpoint.port == 9120);
  CHECK(b->target == "/upload/storage/v1/b/x/o?uploadType=resumable&upload_id=a%2Fb");
  const auto c = parse_url("http://[::1]:80?x=1");
  REQUIRE(c);
  CHECK(c->endpoint.host == "::1");
  CHECK(c->target == "/?x=1");
  CHECK(parse_url("http://h")->target == "/");
  for (const char* bad : {"", "ftp://h/", "h:80", "http://", "http://:80/", "http://u:p@h/", "http://h:0/", "http://h:65536/",
                          "http://h:x/", "http://[::1/", "http://h:/"}) {
    INFO(bad);
    CHECK_FALSE(parse_url(bad));
  }
}

TEST_CASE("url: host[:port] authorities", "[net]") {
  const auto a = parse_authority("metadata.google.internal", false);
  REQUIRE(a);
  CHECK(a->host == "metadata.google.internal");
  CHECK(a->port == 80);
  CHECK(parse_authority("127.0.0.1:8080", false)->port == 8080);
  CHECK(parse_authority("h", true)->port == 443);
  for (const char* bad : {"", ":80", "h:", "h/x", "u@h", "h:99999"}) {
    INFO(bad);
    CHECK_FALSE(parse_authority(bad, false));
  }
}
