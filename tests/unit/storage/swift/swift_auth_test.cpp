// Swift authentication: the Keystone v2 and v3 requests for every way
// WAL-E's SWIFT_* variables combine, and the catalog look-up in the
// answers, against the exchanges in keystone/ (hand-written from Keystone's
// API reference; see keystone/README.md); the v1 (tempauth) headers; the
// advice a refused authentication gives.
#include "common/storage/swift/swift_auth.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/storage/s3/s3_xml.hpp"
#include "tests/unit/storage/swift/swift_test_support.hpp"

using nlohmann::json;
using wale::ErrorKind;
using wale::test::error_of;
using wale::test::swift_settings_of;
using namespace wale::storage::swift;

namespace {

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::vector<std::filesystem::path> exchanges() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(WALE_SOURCE_DIR) + "/tests/unit/storage/swift/keystone"))
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("swift auth: Keystone exchanges", "[storage][swift][auth]") {
  const auto files = exchanges();
  REQUIRE(files.size() >= 12);
  for (const auto& file : files) {
    INFO("exchange " << file.filename().string());
    const json exchange = read_json(file);
    INFO(exchange.at("about").get<std::string>());
    CHECK_THAT(exchange.at("source").get<std::string>(), Catch::Contains("not recorded"));
    wale::config::Environment env;
    for (const auto& [name, value] : exchange.at("environment").items()) env[name] = value.get<std::string>();
    const SwiftSettings settings = swift_settings_of(env);
    REQUIRE(settings.auth_version != AuthVersion::v1);
    const bool v3 = settings.auth_version == AuthVersion::v3;

    // The request, as keystoneclient would send it.
    const json& request = exchange.at("request");
    CHECK(settings.auth_url.text() + auth_request_target(settings).substr(settings.auth_url.path.size()) == request.at("url"));
    const json body = v3 ? keystone_v3_request(settings) : keystone_v2_request(settings);
    CHECK(body == request.at("body"));

    // The answer.
    const json& response = exchange.at("response");
    const std::string answer = response.at("body").dump();
    const std::int64_t date_ns = wale::storage::s3::parse_http_date_ns(response.at("headers").at("Date").get<std::string>());
    auto parse = [&] {
      return v3 ? parse_keystone_v3(answer, response.at("headers").at("X-Subject-Token").get<std::string>(), settings, date_ns)
                : parse_keystone_v2(answer, settings, date_ns);
    };
    const json& expect = exchange.at("expect");
    if (expect.contains("error")) {
      const auto e = error_of(parse);
      CHECK(e.kind() == ErrorKind::permanent);
      CHECK_THAT(std::string(e.what()), Catch::Contains(expect.at("error").get<std::string>()));
      continue;
    }
    const AuthAnswer a = parse();
    CHECK(a.storage_url == expect.at("storage_url"));
    CHECK(a.token == expect.at("token"));
    REQUIRE(a.lifetime.has_value());
    CHECK(a.lifetime->count() == expect.at("lifetime_seconds").get<long>());
  }
}

TEST_CASE("swift auth: the password is in the request body and nowhere else", "[storage][swift][auth]") {
  const SwiftSettings s = swift_settings_of({{"WALE_SWIFT_PREFIX", "swift://c"}, {"SWIFT_AUTHURL", "https://k:5000/v3"},
                                            {"SWIFT_AUTH_VERSION", "3"}, {"SWIFT_USER", "u"}, {"SWIFT_PASSWORD", "pw-here"},
                                            {"SWIFT_PROJECT_NAME", "p"}});
  CHECK(keystone_v3_request(s)["auth"]["identity"]["password"]["user"]["password"] == "pw-here");
  for (int status : {400, 401, 403, 404}) CHECK(credential_advice(s, status).find("pw-here") == std::string::npos);
}

TEST_CASE("swift auth: malformed Keystone answers", "[storage][swift][auth]") {
  const SwiftSettings s = swift_settings_of({{"WALE_SWIFT_PREFIX", "swift://c"}, {"SWIFT_AUTHURL", "https://k:5000/v2.0"},
                                            {"SWIFT_USER", "u"}, {"SWIFT_PASSWORD", "pw"}, {"SWIFT_TENANT", "t"}});
  CHECK_THAT(error_of([&] { parse_keystone_v2("<html>oops</html>", s, 0); }).what(), Catch::Contains("not JSON"));
  CHECK_THAT(error_of([&] { parse_keystone_v2(R"({"access": {}})", s, 0); }).what(), Catch::Contains("no access.token.id"));
  CHECK_THAT(error_of([&] { parse_keystone_v3(R"({"token": {"catalog": []}})", "", s, 0); }).what(),
             Catch::Contains("no X-Subject-Token"));
  CHECK_THAT(error_of([&] { parse_keystone_v3(R"({"nothing": 1})", "tok", s, 0); }).what(), Catch::Contains("no token"));
  // No expiry (or one that is not a timestamp): the token is used until a 401.
  const AuthAnswer a = parse_keystone_v2(
      R"({"access": {"token": {"id": "t", "expires": "soon"}, "serviceCatalog": [{"type": "object-store", "endpoints": [{"region": null, "publicURL": "https://s/v1/AUTH_x"}]}]}})",
      s, 0);
  CHECK(a.storage_url == "https://s/v1/AUTH_x");
  CHECK_FALSE(a.lifetime.has_value());
}

TEST_CASE("swift auth: v1 (tempauth) answers", "[storage][swift][auth]") {
  wale::net::HttpResponse r;
  r.status = 200;
  r.headers = {{"x-storage-url", "http://127.0.0.1:8080/v1/AUTH_test"}, {"x-auth-token", "AUTH_tk1"},
               {"x-storage-token", "AUTH_tk1"}, {"x-auth-token-expires", "86399"}};
  AuthAnswer a = parse_v1(r, "http://127.0.0.1:8080/auth/v1.0");
  CHECK(a.storage_url == "http://127.0.0.1:8080/v1/AUTH_test");
  CHECK(a.token == "AUTH_tk1");
  REQUIRE(a.lifetime.has_value());
  CHECK(a.lifetime->count() == 86399);

  // swauth and older servers: X-Storage-Token only, no expiry.
  r.headers = {{"x-storage-url", "https://s.example.com/v1/AUTH_a"}, {"x-storage-token", "AUTH_tk2"}};
  a = parse_v1(r, "https://s.example.com/auth/v1.0");
  CHECK(a.token == "AUTH_tk2");
  CHECK_FALSE(a.lifetime.has_value());

  // A 200 without the headers (a web page at the wrong URL).
  r.headers = {{"content-type", "text/html"}};
  const auto e = error_of([&] { parse_v1(r, "http://h/x"); });
  CHECK(e.kind() == ErrorKind::permanent);
  CHECK_THAT(std::string(e.what()), Catch::Contains("SWIFT_AUTHURL") && Catch::Contains("http://h/x"));
}

TEST_CASE("swift auth: advice names the variables of each version", "[storage][swift][auth]") {
  SwiftSettings s;
  s.auth_version = AuthVersion::v1;
  CHECK(credential_advice(s, 401) == "; check SWIFT_USER and SWIFT_PASSWORD");
  CHECK(credential_advice(s, 404) == "; check SWIFT_AUTHURL");
  s.auth_version = AuthVersion::v2;
  CHECK_THAT(credential_advice(s, 401), Catch::Contains("SWIFT_PASSWORD") && Catch::Contains("SWIFT_TENANT"));
  CHECK_THAT(credential_advice(s, 404), Catch::Contains("SWIFT_AUTH_VERSION"));
  CHECK_THAT(credential_advice(s, 405), Catch::Contains("SWIFT_AUTHURL and SWIFT_AUTH_VERSION"));
  s.auth_version = AuthVersion::v3;
  CHECK_THAT(credential_advice(s, 401), Catch::Contains("SWIFT_USER_ID") && Catch::Contains("SWIFT_PROJECT_DOMAIN_*"));
}

TEST_CASE("swift auth: request targets", "[storage][swift][auth]") {
  SwiftSettings s;
  s.auth_url = *parse_http_url("http://127.0.0.1:8080/auth/v1.0");
  s.auth_version = AuthVersion::v1;
  CHECK(auth_request_target(s) == "/auth/v1.0");
  s.auth_url = *parse_http_url("http://127.0.0.1:8080");
  CHECK(auth_request_target(s) == "/");
  s.auth_url = *parse_http_url("https://k/identity/v2.0/");
  s.auth_version = AuthVersion::v2;
  CHECK(auth_request_target(s) == "/identity/v2.0/tokens");
  s.auth_url = *parse_http_url("https://k/identity/v3");
  s.auth_version = AuthVersion::v3;
  CHECK(auth_request_target(s) == "/identity/v3/auth/tokens");
}
