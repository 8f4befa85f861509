// gs:// settings: every variable of the Google Cloud Storage backend, what
// it defaults to, and the usage error every bad value gives (naming the
// variable, never a secret); open_store opens the GCS backend.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "common/config/store_settings.hpp"
#include "common/core/error.hpp"
#include "common/storage/gcs/gcs_store.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::config::Environment;
using wale::config::gs_settings;
using wale::config::parse_command_line;
using wale::config::require_prefix;
using wale::storage::gcs::CredentialSource;
using wale::storage::gcs::GcsSettings;
using wale::test::TempDir;
using wale::test::write_file;

namespace {

GcsSettings resolve(Environment env, std::vector<std::string> args = {}) {
  if (!env.count("WALE_GS_PREFIX") && args.empty()) env["WALE_GS_PREFIX"] = "gs://walbkt/archive";
  args.push_back("backup-list");
  const auto cmd = parse_command_line(args, env);
  return gs_settings(require_prefix(cmd), cmd);
}

Error usage_error(const Environment& env) {
  try {
    resolve(env);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
    return e;
  }
  FAIL("no usage error");
  return Error(ErrorKind::permanent, "unreachable");
}

std::string service_account_json(const std::string& key) {
  return nlohmann::json{{"type", "service_account"},
                        {"project_id", "p"},
                        {"private_key_id", "kid"},
                        {"private_key", key},
                        {"client_email", "wal-e@p.iam.gserviceaccount.com"},
                        {"client_id", "1"},
                        {"token_uri", "http://127.0.0.1:1/token"}}
      .dump();
}

}  // namespace

TEST_CASE("gs settings: defaults on Google Cloud", "[config][gcs]") {
  const GcsSettings s = resolve({});
  CHECK(s.bucket == "walbkt");
  CHECK(s.endpoint.tls);
  CHECK(s.endpoint.host == "storage.googleapis.com");
  CHECK(s.endpoint.port == 443);
  CHECK(s.endpoint_origin.empty());
  CHECK(s.credentials.source == CredentialSource::metadata_server);
  CHECK(s.credentials.metadata_host == "metadata.google.internal");
  CHECK(s.chunk_size == 16u << 20);
  CHECK(s.list_page_size == 1000);
  CHECK(s.max_connections == 16);
  CHECK(resolve({}, {"--gs-prefix", "gs://other/p"}).bucket == "other");
  CHECK(resolve({{"GCE_METADATA_HOST", "127.0.0.1:8080"}}).credentials.metadata_host == "127.0.0.1:8080");
}

TEST_CASE("gs settings: a service-account key file", "[config][gcs]") {
  TempDir dir("gs-settings");
  const std::string key = wale::test::read_file(std::string(WALE_SOURCE_DIR) + "/tests/fixtures/gcs/test-service-account.key.pem");
  write_file(dir.file("sa.json"), service_account_json(key));
  const GcsSettings s = resolve({{"GOOGLE_APPLICATION_CREDENTIALS", dir.file("sa.json")}});
  CHECK(s.credentials.source == CredentialSource::service_account);
  CHECK(s.credentials.client_email == "wal-e@p.iam.gserviceaccount.com");
  CHECK(s.credentials.private_key_pem == key);
  CHECK(s.credentials.private_key_id == "kid");
  CHECK(s.credentials.token_uri == "http://127.0.0.1:1/token");
  CHECK(s.credentials.file == dir.file("sa.json"));

  write_file(dir.file("user.json"),
             R"({"type":"authorized_user","client_id":"c.apps.googleusercontent.com","client_secret":"s","refresh_token":"r"})");
  const GcsSettings u = resolve({{"GOOGLE_APPLICATION_CREDENTIALS", dir.file("user.json")}});
  CHECK(u.credentials.source == CredentialSource::authorized_user);
  CHECK(u.credentials.token_uri == "https://oauth2.googleapis.com/token");
  CHECK(u.credentials.refresh_token == "r");

  // Credentials given are used with an emulator too.
  CHECK(resolve({{"GOOGLE_APPLICATION_CREDENTIALS", dir.file("sa.json")}, {"STORAGE_EMULATOR_HOST", "127.0.0.1:9"}}).credentials.source ==
        CredentialSource::service_account);
}

TEST_CASE("gs settings: bad credentials files name the variable and keep the secret", "[config][gcs]") {
  TempDir dir("gs-settings");
  const auto with = [&](const std::string& text) {
    write_file(dir.file("c.json"), text);
    return usage_error({{"GOOGLE_APPLICATION_CREDENTIALS", dir.file("c.json")}});
  };
  CHECK_THAT(usage_error({{"GOOGLE_APPLICATION_CREDENTIALS", dir.file("absent.json")}}).what(),
             Catch::Contains("GOOGLE_APPLICATION_CREDENTIALS='" + dir.file("absent.json") + "' cannot be read"));
  CHECK_THAT(with("not json").what(), Catch::Contains("GOOGLE_APPLICATION_CREDENTIALS=") && Catch::Contains("is not JSON"));
  CHECK_THAT(with("[]").what(), Catch::Contains("is not a JSON object"));
  CHECK_THAT(with(R"({"private_key":"SECRET-KEY"})").what(), Catch::Contains("has no \"type\"") && !Catch::Contains("SECRET-KEY"));
  CHECK_THAT(with(R"({"type":"external_account"})").what(), Catch::Contains("of type 'external_account'"));
  CHECK_THAT(with(R"({"type":"service_account","private_key":"SECRET-KEY"})").what(),
             Catch::Contains("without \"client_email\"") && !Catch::Contains("SECRET-KEY"));
  CHECK_THAT(with(R"({"type":"service_account","client_email":"a@b"})").what(), Catch::Contains("without \"private_key\""));
  CHECK_THAT(with(R"({"type":"authorized_user","client_id":"c","client_secret":"SECRET"})").what(),
             Catch::Contains("without \"refresh_token\"") && !Catch::Contains("SECRET"));
  CHECK_THAT(with(R"({"type":"service_account","client_email":"a@b","private_key":"k","token_uri":"ftp://x"})").what(),
             Catch::Contains("token_uri"));
}

TEST_CASE("gs settings: endpoints", "[config][gcs]") {
  const GcsSettings e = resolve({{"WALE_GS_ENDPOINT", "http://127.0.0.1:9120"}});
  CHECK_FALSE(e.endpoint.tls);
  CHECK(e.endpoint.host == "127.0.0.1");
  CHECK(e.endpoint.port == 9120);
  CHECK(e.endpoint_origin == "WALE_GS_ENDPOINT");
  // an emulator over plain HTTP: no credentials unless given
  CHECK(e.credentials.source == CredentialSource::none);

  const GcsSettings p = resolve({{"WALE_GS_ENDPOINT", "https://storage-wal.p.googleapis.com/"}});
  CHECK(p.endpoint.tls);
  CHECK(p.endpoint.port == 443);
  // a private endpoint over TLS is Google's: the metadata server's credentials
  CHECK(p.credentials.source == CredentialSource::metadata_server);

  const GcsSettings h = resolve({{"STORAGE_EMULATOR_HOST", "localhost:4443"}});
  CHECK_FALSE(h.endpoint.tls);
  CHECK(h.endpoint.host == "localhost");
  CHECK(h.endpoint.port == 4443);
  CHECK(h.endpoint_origin == "STORAGE_EMULATOR_HOST");
  CHECK(h.credentials.source == CredentialSource::none);
  CHECK(resolve({{"STORAGE_EMULATOR_HOST", "http://127.0.0.1:9"}}).endpoint.port == 9);
  CHECK(resolve({{"STORAGE_EMULATOR_HOST", "https://emulator:9"}}).credentials.source == CredentialSource::none);
  // a metadata server named explicitly is asked even for an emulator
  const GcsSettings m = resolve({{"STORAGE_EMULATOR_HOST", "127.0.0.1:9"}, {"GCE_METADATA_HOST", "127.0.0.1:8"}});
  CHECK(m.credentials.source == CredentialSource::metadata_server);
  CHECK(m.credentials.metadata_host == "127.0.0.1:8");

  // WALE_GS_ENDPOINT wins over STORAGE_EMULATOR_HOST
  const GcsSettings both = resolve({{"WALE_GS_ENDPOINT", "http://127.0.0.1:1"}, {"STORAGE_EMULATOR_HOST", "127.0.0.1:2"}});
  CHECK(both.endpoint.port == 1);
  CHECK(both.endpoint_origin == "WALE_GS_ENDPOINT");

  for (const char* bad : {"127.0.0.1:9120", "ftp://h", "http://h:0", "http://u:p@h:1", "https://h/path", "http://h:1?x"}) {
    INFO(bad);
    CHECK_THAT(usage_error({{"WALE_GS_ENDPOINT", bad}}).what(), Catch::Contains(std::string("WALE_GS_ENDPOINT='") + bad + "'"));
  }
  for (const char* bad : {"h:", "h:x", "ftp://h:1", "u@h:1", "h:1/path"}) {
    INFO(bad);
    CHECK_THAT(usage_error({{"STORAGE_EMULATOR_HOST", bad}}).what(), Catch::Contains(std::string("STORAGE_EMULATOR_HOST='") + bad + "'"));
  }
  CHECK_THAT(usage_error({{"GCE_METADATA_HOST", "http://x"}}).what(), Catch::Contains("GCE_METADATA_HOST='http://x' is not host[:port]"));
}

TEST_CASE("gs settings: chunk size, page size, pool, bucket", "[config][gcs]") {
  CHECK(resolve({{"WALE_GS_CHUNK_SIZE", "262144"}}).chunk_size == 262144);
  CHECK(resolve({{"WALE_GS_CHUNK_SIZE", "1048576"}}).chunk_size == 1048576);
  for (const char* bad : {"262145", "100000"}) {
    INFO(bad);
    CHECK_THAT(usage_error({{"WALE_GS_CHUNK_SIZE", bad}}).what(), Catch::Contains("WALE_GS_CHUNK_SIZE=") && Catch::Contains("262144"));
  }
  for (const char* bad : {"0", "-1", "x", "1.5"}) {
    INFO(bad);
    CHECK_THAT(usage_error({{"WALE_GS_CHUNK_SIZE", bad}}).what(), Catch::Contains("WALE_GS_CHUNK_SIZE"));
  }
  CHECK(resolve({{"WALE_LIST_PAGE_SIZE", "7"}}).list_page_size == 7);
  CHECK(resolve({{"WALE_LIST_PAGE_SIZE", "5000"}}).list_page_size == 1000);
  CHECK_THAT(usage_error({{"WALE_GS_PREFIX", "gs:///path"}}).what(), Catch::Contains("names no bucket"));
}

TEST_CASE("gs settings: GS_ACCESS_KEY_ID, --gs-access-key-id and GS_SECRET_ACCESS_KEY are accepted and unused, as in WAL-E", "[config][gcs]") {
  const auto cmd = parse_command_line({"--gs-access-key-id", "GOOG1", "backup-list"},
                                      {{"WALE_GS_PREFIX", "gs://b/p"}, {"GS_SECRET_ACCESS_KEY", "x"}, {"GS_ACCESS_KEY_ID", "y"}});
  const auto prefix = require_prefix(cmd);
  CHECK_NOTHROW(wale::config::check_options_apply(cmd, prefix.url));
  CHECK(gs_settings(prefix, cmd).credentials.source == CredentialSource::metadata_server);
  // but not for another store
  const auto s3 = parse_command_line({"--gs-access-key-id", "GOOG1", "backup-list"}, {{"WALE_FILE_PREFIX", "file:///x"}});
  CHECK_THROWS_AS(wale::config::check_options_apply(s3, require_prefix(s3).url), Error);
}

TEST_CASE("gs settings: open_store opens the Google Cloud Storage backend", "[config][gcs]") {
  const auto cmd = parse_command_line({"backup-list"}, {{"WALE_GS_PREFIX", "gs://b/p"}, {"STORAGE_EMULATOR_HOST", "127.0.0.1:1"}});
  auto store = wale::config::open_store(require_prefix(cmd), cmd);
  auto* gcs = dynamic_cast<wale::storage::gcs::GcsStore*>(store.get());
  REQUIRE(gcs != nullptr);
  CHECK(gcs->object_name("wal_005/x.lzo") == "/p/wal_005/x.lzo");
  CHECK(gcs->object_path("wal_005/x.lzo") == "/storage/v1/b/b/o/%2Fp%2Fwal_005%2Fx.lzo");
}
