// Resolving the Azure backend's settings (wabs://): every variable, the
// defaults, which credential wins, and a one-line usage error naming the
// variable for every bad value (never quoting a secret).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/config/store_settings.hpp"
#include "common/core/error.hpp"
#include "common/storage/azure/azure_store.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::config::Environment;
using wale::config::open_store;
using wale::config::parse_command_line;
using wale::config::ParsedCommand;
using wale::config::require_prefix;
using namespace wale::storage::azure;

namespace {

using Args = std::vector<std::string>;

const std::string kKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const std::string kSas = "sv=2021-08-06&ss=b&srt=sco&sp=racwdl&se=2030-01-01T00%3A00%3A00Z&sig=SECRETSIG%3D";

Environment base_env() {
  return {{"WALE_WABS_PREFIX", "wabs://walbox/archive"}, {"WABS_ACCOUNT_NAME", "myaccount"}, {"WABS_ACCESS_KEY", kKey}};
}

AzureSettings settings_for(const Environment& env, Args globals = {}, Args command = {"backup-list"}) {
  globals.insert(globals.end(), command.begin(), command.end());
  const ParsedCommand cmd = parse_command_line(globals, env);
  wale::config::check_options_apply(cmd, require_prefix(cmd).url);
  auto store = open_store(require_prefix(cmd), cmd);
  auto* azure = dynamic_cast<AzureStore*>(store.get());
  REQUIRE(azure != nullptr);
  return azure->settings();
}

// The usage error resolving `env` gives; fails the test when there is none.
std::string refusal(const Environment& env, Args globals = {}) {
  try {
    (void)settings_for(env, std::move(globals));
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    const std::string what = e.what();
    CHECK(what.find('\n') == std::string::npos);
    CHECK(what.find(kKey) == std::string::npos);
    CHECK(what.find("SECRETSIG") == std::string::npos);
    return what;
  }
  FAIL("no usage error");
  return "";
}

}  // namespace

TEST_CASE("wabs settings: an account key and the defaults", "[config][azure]") {
  const AzureSettings s = settings_for(base_env());
  CHECK(s.container == "walbox");
  CHECK(s.account == "myaccount");
  CHECK(s.authorization == Authorization::shared_key);
  CHECK(s.access_key == kKey);
  CHECK(s.sas_token.empty());
  CHECK(s.endpoint.tls);
  CHECK(s.endpoint.host == "myaccount.blob.core.windows.net");
  CHECK(s.endpoint.port == 443);
  CHECK(s.base_path.empty());
  CHECK(s.ca_file.empty());
  CHECK(s.block_size == 8u << 20);
  CHECK(s.block_concurrency == 2);
  CHECK(s.max_connections == 16);
  CHECK(s.list_page_size == 5000);
}

TEST_CASE("wabs settings: -a/--wabs-account-name and --wabs-prefix", "[config][azure]") {
  Environment env = base_env();
  env.erase("WABS_ACCOUNT_NAME");
  env.erase("WALE_WABS_PREFIX");
  const AzureSettings s = settings_for(env, {"-a", "other01", "--wabs-prefix", "wabs://box-2/p"});
  CHECK(s.account == "other01");
  CHECK(s.container == "box-2");
  CHECK(s.endpoint.host == "other01.blob.core.windows.net");
  CHECK_THAT(refusal(env, {"--wabs-account-name", "Bad_Name", "--wabs-prefix", "wabs://box/p"}),
             Catch::Contains("--wabs-account-name='Bad_Name' is not an Azure storage account name"));
}

TEST_CASE("wabs settings: a SAS token, with or without '?'; the key wins when both are set", "[config][azure]") {
  Environment env = base_env();
  env.erase("WABS_ACCESS_KEY");
  env["WABS_SAS_TOKEN"] = "?" + kSas;
  AzureSettings s = settings_for(env);
  CHECK(s.authorization == Authorization::sas);
  CHECK(s.sas_token == kSas);
  env["WABS_SAS_TOKEN"] = kSas;
  CHECK(settings_for(env).sas_token == kSas);
  env["WABS_ACCESS_KEY"] = kKey;
  s = settings_for(env);
  CHECK(s.authorization == Authorization::shared_key);
  CHECK(s.sas_token.empty());
}

TEST_CASE("wabs settings: WALE_WABS_ENDPOINT", "[config][azure]") {
  Environment env = base_env();
  env["WALE_WABS_ENDPOINT"] = "http://127.0.0.1:10000/devstoreaccount1/";
  AzureSettings s = settings_for(env);
  CHECK_FALSE(s.endpoint.tls);
  CHECK(s.endpoint.host == "127.0.0.1");
  CHECK(s.endpoint.port == 10000);
  CHECK(s.base_path == "/devstoreaccount1");
  env["WALE_WABS_ENDPOINT"] = "https://myaccount.blob.core.windows.net";
  s = settings_for(env);
  CHECK(s.endpoint.tls);
  CHECK(s.endpoint.port == 443);
  CHECK(s.endpoint.host == "myaccount.blob.core.windows.net");
  CHECK(s.base_path.empty());
  env["WALE_WABS_ENDPOINT"] = "http://blob.azurestack.local";
  CHECK(settings_for(env).endpoint.port == 80);
  // A SAS token on an explicit endpoint needs no account name.
  env.erase("WABS_ACCOUNT_NAME");
  env.erase("WABS_ACCESS_KEY");
  env["WABS_SAS_TOKEN"] = kSas;
  CHECK(settings_for(env).account.empty());
}

TEST_CASE("wabs settings: blocks, CA file, listing pages, connections", "[config][azure]") {
  Environment env = base_env();
  env["WALE_WABS_BLOCK_SIZE"] = "4194304";
  env["WALE_WABS_BLOCK_CONCURRENCY"] = "5";
  env["WALE_WABS_CA_FILE"] = WALE_SOURCE_DIR "/tests/unit/storage/azure/test-ca.pem";
  env["WALE_LIST_PAGE_SIZE"] = "7";
  AzureSettings s = settings_for(env, {}, {"backup-push", "-p", "3", "/data"});
  CHECK(s.block_size == 4u << 20);
  CHECK(s.block_concurrency == 5);
  CHECK(s.ca_file == WALE_SOURCE_DIR "/tests/unit/storage/azure/test-ca.pem");
  CHECK(s.list_page_size == 7);
  CHECK(s.max_connections == 3);
  env["WALE_LIST_PAGE_SIZE"] = "100000";
  CHECK(settings_for(env).list_page_size == 5000);
}

TEST_CASE("wabs settings: every bad value is a usage error naming its variable", "[config][azure]") {
  struct Case {
    std::string variable;
    std::string value;  // "" removes the variable
    std::string expected;
  };
  const std::vector<Case> cases{
      {"WABS_ACCESS_KEY", "", "set WABS_ACCESS_KEY (the account key) or WABS_SAS_TOKEN"},
      {"WABS_ACCESS_KEY", "not base64!", "WABS_ACCESS_KEY is not base64"},
      {"WABS_ACCESS_KEY", "abc", "WABS_ACCESS_KEY is not base64"},
      {"WABS_ACCOUNT_NAME", "", "set WABS_ACCOUNT_NAME"},
      {"WABS_ACCOUNT_NAME", "ab", "WABS_ACCOUNT_NAME='ab' is not an Azure storage account name"},
      {"WABS_ACCOUNT_NAME", "My_Account", "WABS_ACCOUNT_NAME='My_Account' is not"},
      {"WALE_WABS_PREFIX", "wabs://Upper/x", "WALE_WABS_PREFIX='wabs://Upper/x' does not name an Azure container"},
      {"WALE_WABS_PREFIX", "wabs:///x", "does not name an Azure container"},
      {"WALE_WABS_PREFIX", "wabs://a--b/x", "does not name an Azure container"},
      {"WALE_WABS_ENDPOINT", "ftp://h", "WALE_WABS_ENDPOINT='ftp://h' names the protocol 'ftp'"},
      {"WALE_WABS_ENDPOINT", "127.0.0.1:10000", "WALE_WABS_ENDPOINT='127.0.0.1:10000' is not a URL"},
      {"WALE_WABS_ENDPOINT", "http://", "has no host"},
      {"WALE_WABS_ENDPOINT", "http://:80", "has no host"},
      {"WALE_WABS_ENDPOINT", "http://u:p@h", "contains a user name or password"},
      {"WALE_WABS_ENDPOINT", "http://h:0", "has a bad port"},
      {"WALE_WABS_ENDPOINT", "http://h:99999", "has a bad port"},
      {"WALE_WABS_ENDPOINT", "http://h:x", "has a bad port"},
      {"WALE_WABS_ENDPOINT", "http://h/a?b=c", "contains a query or a fragment"},
      {"WALE_WABS_ENDPOINT", "http://h/a b", "has a path with characters"},
      {"WALE_WABS_ENDPOINT", "http://h/a//b", "has an empty path segment"},
      {"WALE_WABS_CA_FILE", "/nonexistent/ca.pem", "WALE_WABS_CA_FILE='/nonexistent/ca.pem' cannot be read"},
      {"WALE_WABS_BLOCK_SIZE", "1000", "WALE_WABS_BLOCK_SIZE must be between"},
      {"WALE_WABS_BLOCK_SIZE", "4194304001", "WALE_WABS_BLOCK_SIZE must be between"},
      {"WALE_WABS_BLOCK_SIZE", "8M", "WALE_WABS_BLOCK_SIZE"},
      {"WALE_WABS_BLOCK_CONCURRENCY", "0", "WALE_WABS_BLOCK_CONCURRENCY"},
      {"WALE_WABS_BLOCK_CONCURRENCY", "two", "WALE_WABS_BLOCK_CONCURRENCY"},
  };
  for (const auto& c : cases) {
    INFO(c.variable << "='" << c.value << "'");
    Environment env = base_env();
    if (c.value.empty()) env.erase(c.variable);
    else env[c.variable] = c.value;
    CHECK_THAT(refusal(env), Catch::Contains(c.expected));
  }
}

TEST_CASE("wabs settings: bad SAS tokens are refused without being quoted", "[config][azure]") {
  for (const std::string token : {"?", "sv=2021-08-06&sp=r", "sv=1&sig=", "SECRETSIG", "sig=SECRETSIG&=x", "sig=SECRETSIG x"}) {
    INFO(token);
    Environment env = base_env();
    env.erase("WABS_ACCESS_KEY");
    env["WABS_SAS_TOKEN"] = token;
    CHECK_THAT(refusal(env), Catch::Contains("WABS_SAS_TOKEN"));
  }
}

TEST_CASE("wabs settings: -a applies to wabs:// prefixes only", "[config][azure]") {
  const ParsedCommand cmd = parse_command_line({"-a", "acct", "backup-list"}, {{"WALE_S3_PREFIX", "s3://b/p"}});
  try {
    wale::config::check_options_apply(cmd, require_prefix(cmd).url);
    FAIL("-a was accepted for an s3:// prefix");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK_THAT(std::string(e.what()), Catch::Contains("--wabs-account-name applies to wabs:// prefixes"));
  }
}
