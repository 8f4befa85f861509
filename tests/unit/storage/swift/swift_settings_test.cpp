// Swift settings as wal-e resolves them from WAL-E's variables: every
// variable reaches its field, every bad or missing value is a one-line
// usage error naming the variable, and no message shows the password.
#include "common/storage/swift/swift_settings.hpp"

#include <catch2/catch.hpp>

#include "tests/unit/storage/swift/swift_test_support.hpp"

using wale::ErrorKind;
using wale::config::Environment;
using wale::test::error_of;
using wale::test::swift_settings_of;
using namespace wale::storage::swift;

namespace {

// A self-signed certificate that is only ever loaded, never trusted for a connection.
const std::string kCaFile = std::string(WALE_SOURCE_DIR) + "/tests/unit/storage/swift/test-ca.pem";

Environment tempauth() {
  return {{"WALE_SWIFT_PREFIX", "swift://walbkt/db/one"},
          {"SWIFT_AUTHURL", "http://127.0.0.1:8080/auth/v1.0"},
          {"SWIFT_AUTH_VERSION", "1"},
          {"SWIFT_USER", "test:tester"},
          {"SWIFT_PASSWORD", "testing-secret"}};
}

Environment with(Environment env, const Environment& changes) {
  for (const auto& [k, v] : changes) env[k] = v;
  return env;
}

Environment without(Environment env, const std::string& name) {
  env.erase(name);
  return env;
}

// A usage error whose one line names `variable` and never the password.
void check_usage(const Environment& env, const std::string& variable) {
  const auto e = error_of([&] { (void)swift_settings_of(env); });
  CHECK(e.kind() == ErrorKind::usage);
  const std::string what = e.what();
  CHECK_THAT(what, Catch::Contains(variable));
  CHECK(what.find('\n') == std::string::npos);
  CHECK(what.find("testing-secret") == std::string::npos);
}

}  // namespace

TEST_CASE("swift settings: tempauth (v1) and the defaults", "[storage][swift][settings]") {
  const SwiftSettings s = swift_settings_of(tempauth());
  CHECK(s.container == "walbkt");
  CHECK(s.auth_version == AuthVersion::v1);
  CHECK(s.auth_url.text() == "http://127.0.0.1:8080/auth/v1.0");
  CHECK_FALSE(s.auth_url.endpoint.tls);
  CHECK(s.auth_url.endpoint.port == 8080);
  CHECK(s.user == "test:tester");  // v1 keeps account:user whole
  CHECK(s.password == "testing-secret");
  CHECK(s.tenant_name.empty());
  CHECK(s.endpoint_type == "publicURL");
  CHECK(s.segment_size == 8u << 20);
  CHECK(s.segment_concurrency == 2);
  CHECK(s.list_page_size == 0);  // no limit sent: the cluster's maximum
  CHECK(s.ca_file.empty());
}

TEST_CASE("swift settings: every variable reaches its field", "[storage][swift][settings]") {
  const SwiftSettings s = swift_settings_of({{"WALE_SWIFT_PREFIX", "swift://c"},
                                            {"SWIFT_AUTHURL", "https://[2001:db8::1]:5000/identity/"},
                                            {"SWIFT_AUTH_VERSION", "3"},
                                            {"SWIFT_USER", "u"},
                                            {"SWIFT_PASSWORD", "p"},
                                            {"SWIFT_TENANT", "tn"},
                                            {"SWIFT_TENANT_ID", "ti"},
                                            {"SWIFT_REGION", "r"},
                                            {"SWIFT_ENDPOINT_TYPE", "internal"},
                                            {"SWIFT_DOMAIN_ID", "di"},
                                            {"SWIFT_DOMAIN_NAME", "dn"},
                                            {"SWIFT_USER_ID", "ui"},
                                            {"SWIFT_USER_DOMAIN_ID", "udi"},
                                            {"SWIFT_USER_DOMAIN_NAME", "udn"},
                                            {"SWIFT_PROJECT_ID", "pi"},
                                            {"SWIFT_PROJECT_NAME", "pn"},
                                            {"SWIFT_PROJECT_DOMAIN_ID", "pdi"},
                                            {"SWIFT_PROJECT_DOMAIN_NAME", "pdn"},
                                            {"WALE_SWIFT_CA_FILE", kCaFile},
                                            {"WALE_SWIFT_SEGMENT_SIZE", "1048576"},
                                            {"WALE_SWIFT_SEGMENT_CONCURRENCY", "5"},
                                            {"WALE_LIST_PAGE_SIZE", "7"}});
  CHECK(s.auth_version == AuthVersion::v3);
  CHECK(s.auth_url.endpoint.tls);
  CHECK(s.auth_url.endpoint.host == "2001:db8::1");
  CHECK(s.auth_url.endpoint.port == 5000);
  CHECK(s.auth_url.path == "/identity/v3");  // versionless: /v3 appended
  CHECK(s.user == "u");
  CHECK(s.tenant_name == "tn");
  CHECK(s.tenant_id == "ti");
  CHECK(s.region == "r");
  CHECK(s.endpoint_type == "internal");
  CHECK(s.user_id == "ui");
  CHECK(s.user_domain_id == "udi");
  CHECK(s.user_domain_name == "udn");
  CHECK(s.project_id == "pi");
  CHECK(s.project_name == "pn");
  CHECK(s.project_domain_id == "pdi");
  CHECK(s.project_domain_name == "pdn");
  CHECK(s.ca_file == kCaFile);
  CHECK(s.segment_size == 1048576);
  CHECK(s.segment_concurrency == 5);
  CHECK(s.list_page_size == 7);
}

TEST_CASE("swift settings: versions and URLs", "[storage][swift][settings]") {
  const Environment keystone = {{"WALE_SWIFT_PREFIX", "swift://c/p"}, {"SWIFT_USER", "u"}, {"SWIFT_PASSWORD", "p"}, {"SWIFT_TENANT", "t"}};
  // WAL-E's default version is 2.
  CHECK(swift_settings_of(with(keystone, {{"SWIFT_AUTHURL", "https://k:5000/v2.0"}})).auth_version == AuthVersion::v2);
  for (const auto& [version, expected] : std::vector<std::pair<std::string, AuthVersion>>{
           {"1", AuthVersion::v1}, {"1.0", AuthVersion::v1}, {"2", AuthVersion::v2}, {"2.0", AuthVersion::v2},
           {"3", AuthVersion::v3}, {"3.0", AuthVersion::v3}}) {
    INFO(version);
    CHECK(parse_auth_version(version) == expected);
  }
  // A versioned URL is used as given, whatever the version says (WAL-E
  // then fails against Keystone, and so do we, with advice).
  for (const auto& [url, version, path] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"https://k:5000", "2", "/v2.0"},
           {"https://k:5000/", "3", "/v3"},
           {"https://k:5000/v2", "2", "/v2"},
           {"https://k:5000/v3.0/", "3", "/v3.0"},
           {"https://k:5000/v3", "2", "/v3"},
           {"https://k/identity", "2", "/identity/v2.0"},
           {"http://h:8080/auth/v1.0", "1", "/auth/v1.0"},
           {"http://h:8080", "1", ""}}) {
    INFO(url << " version " << version);
    CHECK(swift_settings_of(with(keystone, {{"SWIFT_AUTHURL", url}, {"SWIFT_AUTH_VERSION", version}})).auth_url.path == path);
  }
  const auto default_port = swift_settings_of(with(keystone, {{"SWIFT_AUTHURL", "https://keystone.example.com/v3"}}));
  CHECK(default_port.auth_url.endpoint.port == 443);
  CHECK(default_port.auth_url.text() == "https://keystone.example.com/v3");
}

TEST_CASE("swift settings: tenant:user for Keystone", "[storage][swift][settings]") {
  const Environment v2 = {{"WALE_SWIFT_PREFIX", "swift://c/p"}, {"SWIFT_AUTHURL", "https://k/v2.0"}, {"SWIFT_PASSWORD", "p"}};
  SwiftSettings s = swift_settings_of(with(v2, {{"SWIFT_USER", "acme:alice"}}));
  CHECK(s.tenant_name == "acme");
  CHECK(s.user == "alice");
  // python-swiftclient lets the user's tenant win over SWIFT_TENANT.
  s = swift_settings_of(with(v2, {{"SWIFT_USER", "acme:alice"}, {"SWIFT_TENANT", "other"}}));
  CHECK(s.tenant_name == "acme");
  check_usage(with(v2, {{"SWIFT_USER", "a:b:c"}}), "SWIFT_USER");
}

TEST_CASE("swift settings: every missing or bad value names its variable", "[storage][swift][settings]") {
  const Environment v1 = tempauth();
  check_usage(with(v1, {{"WALE_SWIFT_PREFIX", "swift://"}}), "WALE_SWIFT_PREFIX");
  check_usage(with(v1, {{"WALE_SWIFT_PREFIX", "swift:///path"}}), "WALE_SWIFT_PREFIX");
  check_usage(without(v1, "SWIFT_AUTHURL"), "SWIFT_AUTHURL");
  for (const char* url : {"ftp://h/auth", "127.0.0.1:8080/auth/v1.0", "http://", "http://u:p@h/auth", "http://h:0/x", "http://h:99999/x",
                          "http://h:port/x", "http://h/x?y=1", "http://h/x#f", "http://[::1/x", "http://h:/x"}) {
    INFO(url);
    check_usage(with(v1, {{"SWIFT_AUTHURL", url}}), "SWIFT_AUTHURL");
  }
  for (const char* version : {"4", "v3", "2.1", "one"}) {
    INFO(version);
    check_usage(with(v1, {{"SWIFT_AUTH_VERSION", version}}), "SWIFT_AUTH_VERSION");
  }
  for (const char* type : {"private", "PublicURL", "publicurl", "URL"}) {
    INFO(type);
    check_usage(with(v1, {{"SWIFT_ENDPOINT_TYPE", type}}), "SWIFT_ENDPOINT_TYPE");
  }
  check_usage(without(v1, "SWIFT_PASSWORD"), "SWIFT_PASSWORD");
  check_usage(without(v1, "SWIFT_USER"), "SWIFT_USER");
  check_usage(with(v1, {{"WALE_SWIFT_SEGMENT_SIZE", "1048575"}}), "WALE_SWIFT_SEGMENT_SIZE");
  check_usage(with(v1, {{"WALE_SWIFT_SEGMENT_SIZE", "8M"}}), "WALE_SWIFT_SEGMENT_SIZE");
  check_usage(with(v1, {{"WALE_SWIFT_SEGMENT_SIZE", "5368709121"}}), "WALE_SWIFT_SEGMENT_SIZE");
  check_usage(with(v1, {{"WALE_SWIFT_SEGMENT_CONCURRENCY", "0"}}), "WALE_SWIFT_SEGMENT_CONCURRENCY");
  check_usage(with(v1, {{"WALE_LIST_PAGE_SIZE", "0"}}), "WALE_LIST_PAGE_SIZE");
  // A CA file that cannot be loaded names its variable (not S3's).
  const auto ca = error_of([&] { (void)swift_settings_of(with(v1, {{"WALE_SWIFT_CA_FILE", "/nonexistent/ca.pem"}})); });
  CHECK_THAT(std::string(ca.what()), Catch::Contains("WALE_SWIFT_CA_FILE"));

  const Environment v2 = {{"WALE_SWIFT_PREFIX", "swift://c/p"}, {"SWIFT_AUTHURL", "https://k/v2.0"}, {"SWIFT_PASSWORD", "testing-secret"}};
  check_usage(with(v2, {{"SWIFT_USER", "u"}}), "SWIFT_TENANT");
  check_usage(with(v2, {{"SWIFT_TENANT", "t"}}), "SWIFT_USER");
  check_usage(with(v2, {{"SWIFT_TENANT", "t"}, {"SWIFT_USER_ID", "ui"}}), "SWIFT_USER");  // v2 takes names only

  const Environment v3 = with(v2, {{"SWIFT_AUTH_VERSION", "3"}, {"SWIFT_AUTHURL", "https://k/v3"}});
  check_usage(with(v3, {{"SWIFT_USER", "u"}}), "SWIFT_PROJECT_NAME");
  check_usage(with(v3, {{"SWIFT_PROJECT_NAME", "p"}}), "SWIFT_USER_ID");
  CHECK(swift_settings_of(with(v3, {{"SWIFT_USER_ID", "ui"}, {"SWIFT_PROJECT_ID", "pi"}})).user_id == "ui");
}

TEST_CASE("swift settings: parse_http_url", "[storage][swift][settings]") {
  auto url = parse_http_url("http://127.0.0.1:8080/v1/AUTH_test/");
  REQUIRE(url);
  CHECK(url->endpoint.host == "127.0.0.1");
  CHECK(url->endpoint.port == 8080);
  CHECK(url->path == "/v1/AUTH_test");
  CHECK(url->text() == "http://127.0.0.1:8080/v1/AUTH_test");
  url = parse_http_url("https://swift.example.com");
  REQUIRE(url);
  CHECK(url->endpoint.port == 443);
  CHECK(url->path.empty());
  url = parse_http_url("http://[::1]:9/x");
  REQUIRE(url);
  CHECK(url->endpoint.host == "::1");
  CHECK(url->text() == "http://[::1]:9/x");
  url = parse_http_url("HTTPS://h/x");  // schemes are case-insensitive
  REQUIRE(url);
  CHECK(url->endpoint.tls);
  CHECK_FALSE(parse_http_url("http:/h/x"));
}
