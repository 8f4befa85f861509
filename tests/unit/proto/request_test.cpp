// The shim's request (argv, cwd, forwarded environment): secrets never
// cross the socket, malformed payloads are protocol errors; and the exit
// status of a failed wal-fetch (design.md, "Exit codes").
#include "proto/request.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "proto/exit_status.hpp"
#include "proto/frame.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::proto::decode_request;
using wale::proto::encode_request;
using wale::proto::FetchFailure;
using wale::proto::fetch_failure_status;
using wale::proto::forwarded_environment;
using wale::proto::is_forwarded_variable;
using wale::proto::ProtocolError;
using wale::proto::Request;
using wale::test::TempDir;

namespace {

// Creates DIR/NAME (a signal file for fetch_failure_status).
void touch(const TempDir& dir, const std::string& name) { std::ofstream(dir.file(name)).put('\n'); }

const std::vector<std::string> kSecrets{
    "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "PGPASSWORD",
    "WABS_ACCESS_KEY",       "WABS_SAS_TOKEN",     "GS_SECRET_ACCESS_KEY", "SWIFT_PASSWORD",  "PGPASSFILE",
    "GOOGLE_APPLICATION_CREDENTIALS"};

}  // namespace

TEST_CASE("the forwarded environment is the prefixes and libpq connection values", "[proto]") {
  const auto fwd = forwarded_environment();
  const auto has = [&](std::string_view name) { return std::find(fwd.begin(), fwd.end(), name) != fwd.end(); };
  for (const char* name : {"WALE_FILE_PREFIX", "WALE_S3_PREFIX", "WALE_WABS_PREFIX", "WALE_GS_PREFIX",
                           "WALE_SWIFT_PREFIX", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSSLMODE"}) {
    INFO(name);
    CHECK(has(name));
    CHECK(is_forwarded_variable(name));
  }
  for (const auto& secret : kSecrets) {
    INFO(secret);
    CHECK_FALSE(has(secret));
    CHECK_FALSE(is_forwarded_variable(secret));
  }
  CHECK_FALSE(is_forwarded_variable("HOME"));
  CHECK_FALSE(is_forwarded_variable(""));
  CHECK_FALSE(is_forwarded_variable("wale_s3_prefix"));
  CHECK_FALSE(is_forwarded_variable("WALE_S3_PREFIX_X"));
  // every forwarded name is recognised
  for (const auto name : fwd) CHECK(is_forwarded_variable(name));
}

TEST_CASE("requests round-trip", "[proto]") {
  Request r;
  r.argv = {"wal-fetch", "-p", "0", "000000010000000000000017", "pg_wal/RECOVERYXLOG", "with space", "ünïcode", ""};
  r.cwd = "/var/lib/postgresql/15/main";
  r.env = {{"WALE_S3_PREFIX", "s3://bucket/path"}, {"PGHOST", "/run/postgresql"}, {"PGPORT", "5433"}};
  const Request back = decode_request(encode_request(r));
  CHECK(back.argv == r.argv);
  CHECK(back.cwd == r.cwd);
  CHECK(back.env == r.env);
}

TEST_CASE("the client name round-trips, and a shim's request has none", "[proto]") {
  Request r;
  r.argv = {"--terse", "wal-push", "pg_wal/000000010000000000000001"};
  r.cwd = "/d";
  r.client = std::string(wale::proto::kArchiveModuleClient);
  CHECK(decode_request(encode_request(r)).client == "wal_e_archive");
  r.client.clear();
  CHECK(nlohmann::json::parse(encode_request(r)).count("client") == 0u);
  // The archive module's request, as module/daemon_link.c writes it.
  const Request module = decode_request(
      R"({"argv":["--terse","wal-push","pg_wal/000000010000000000000001"],"cwd":"/var/lib/pg","env":{"WALE_LOG_DESTINATION":"stderr"},"tty":false,"client":"wal_e_archive"})");
  CHECK(module.client == wale::proto::kArchiveModuleClient);
  CHECK(module.env.at("WALE_LOG_DESTINATION") == "stderr");
  CHECK(decode_request(R"({"argv":[],"cwd":"/","env":{}})").client.empty());
}

TEST_CASE("an empty request round-trips", "[proto]") {
  const Request back = decode_request(encode_request(Request{}));
  CHECK(back.argv.empty());
  CHECK(back.cwd.empty());
  CHECK(back.env.empty());
}

TEST_CASE("request encoding drops every non-forwarded variable", "[proto]") {
  Request r;
  r.argv = {"backup-push", "/var/lib/postgresql/15/main"};
  r.cwd = "/";
  r.env = {{"WALE_FILE_PREFIX", "file://localhost/backups"}, {"PGUSER", "postgres"}, {"HOME", "/home/x"}};
  for (std::size_t i = 0; i < kSecrets.size(); ++i) r.env[kSecrets[i]] = "s3cr3t-value-" + std::to_string(i);

  const std::string payload = encode_request(r);
  for (std::size_t i = 0; i < kSecrets.size(); ++i) {
    INFO(kSecrets[i]);
    CHECK(payload.find(kSecrets[i]) == std::string::npos);
    CHECK(payload.find("s3cr3t-value-" + std::to_string(i)) == std::string::npos);
  }
  CHECK(payload.find("HOME") == std::string::npos);
  CHECK(payload.find("s3cr3t") == std::string::npos);

  const Request back = decode_request(payload);
  CHECK(back.env.size() == 2u);
  CHECK(back.env.at("WALE_FILE_PREFIX") == "file://localhost/backups");
  CHECK(back.env.at("PGUSER") == "postgres");
}

TEST_CASE("request decoding drops non-forwarded variables too", "[proto]") {
  const std::string payload =
      R"({"argv":["wal-push","x"],"cwd":"/d","env":{"PGPASSWORD":"pw","AWS_SECRET_ACCESS_KEY":"k","WALE_S3_PREFIX":"s3://b"}})";
  const Request r = decode_request(payload);
  CHECK(r.argv == std::vector<std::string>{"wal-push", "x"});
  CHECK(r.cwd == "/d");
  CHECK(r.env.size() == 1u);
  CHECK(r.env.count("PGPASSWORD") == 0u);
  CHECK(r.env.count("AWS_SECRET_ACCESS_KEY") == 0u);
  CHECK(r.env.at("WALE_S3_PREFIX") == "s3://b");
}

TEST_CASE("the request payload is a JSON object with argv, cwd and env", "[proto]") {
  Request r;
  r.argv = {"wal-push", "pg_wal/000000010000000000000001"};
  r.cwd = "/data";
  r.env = {{"WALE_S3_PREFIX", "s3://b/p"}};
  const auto j = nlohmann::json::parse(encode_request(r));
  REQUIRE(j.is_object());
  CHECK(j.at("argv") == nlohmann::json::array({"wal-push", "pg_wal/000000010000000000000001"}));
  CHECK(j.at("cwd") == "/data");
  CHECK(j.at("env") == nlohmann::json{{"WALE_S3_PREFIX", "s3://b/p"}});
  // env is an object even when nothing is forwarded
  CHECK(nlohmann::json::parse(encode_request(Request{})).at("env").is_object());
}

TEST_CASE("malformed requests are protocol errors", "[proto]") {
  for (const char* payload : {"", "not json", "[]", "{}", R"({"argv":[],"cwd":"/"})", R"({"argv":[],"env":{}})",
                              R"({"cwd":"/","env":{}})", R"({"argv":"wal-push","cwd":"/","env":{}})",
                              R"({"argv":[1,2],"cwd":"/","env":{}})", R"({"argv":[],"cwd":7,"env":{}})",
                              R"({"argv":[],"cwd":"/","env":{"WALE_S3_PREFIX":3}})",
                              R"({"argv":[],"cwd":"/","env":{})"}) {
    INFO("payload " << payload);
    CHECK_THROWS_AS(decode_request(payload), ProtocolError);
  }
}

TEST_CASE("a deeply nested request is a protocol error, not a stack overflow", "[proto]") {
  std::string deep = R"({"argv": )";
  for (int i = 0; i < 100000; ++i) deep += '[';
  CHECK_THROWS_WITH(decode_request(deep), Catch::Contains("malformed request: JSON nested deeper than 64 levels"));
  std::string wide = R"({"argv": ["wal-push"], "cwd": "/", "env": {}, "x": [)";
  for (int i = 0; i < 60; ++i) wide += '[';
  for (int i = 0; i < 60; ++i) wide += ']';
  wide += "]}";
  CHECK(decode_request(wide).argv == std::vector<std::string>{"wal-push"});
}

TEST_CASE("a request whose env is not an object is a protocol error", "[proto]") {
  // decode_request promises a ProtocolError for a payload that is not a
  // well-formed request; env must be an object of strings. nlohmann's
  // items() iterates arrays and scalars too, so these pass silently.
  for (const char* payload : {R"({"argv":[],"cwd":"/","env":[]})", R"({"argv":[],"cwd":"/","env":["WALE_S3_PREFIX"]})",
                              R"({"argv":[],"cwd":"/","env":"WALE_S3_PREFIX=s3://b"})",
                              R"({"argv":[],"cwd":"/","env":5})", R"({"argv":[],"cwd":"/","env":null})"}) {
    INFO("payload " << payload);
    CHECK_THROWS_AS(decode_request(payload), ProtocolError);
  }
}

TEST_CASE("exit status constants follow PostgreSQL's contract", "[proto]") {
  using namespace wale::proto;
  CHECK(kExitOk == 0);
  CHECK(kExitFailure == 1);
  CHECK(kExitUsage == 2);
  // above 125: PostgreSQL stops recovery instead of ending it early
  CHECK(kExitAbortRecovery > 125);
  CHECK(kExitAbortRecovery <= 255);
}

TEST_CASE("fetch_failure_status: not found is always 1", "[proto]") {
  TempDir dir{"proto-test"};
  CHECK(fetch_failure_status(dir.path(), FetchFailure::not_found) == 1);
  touch(dir, "recovery.signal");
  CHECK(fetch_failure_status(dir.path(), FetchFailure::not_found) == 1);
  touch(dir, "standby.signal");
  CHECK(fetch_failure_status(dir.path(), FetchFailure::not_found) == 1);
  CHECK(fetch_failure_status("/nonexistent/wale/dir", FetchFailure::not_found) == 1);
}

TEST_CASE("fetch_failure_status: targeted recovery (recovery.signal) aborts on other failures", "[proto]") {
  TempDir dir{"proto-test"};
  touch(dir, "recovery.signal");
  CHECK(fetch_failure_status(dir.path(), FetchFailure::transient) == wale::proto::kExitAbortRecovery);
  CHECK(fetch_failure_status(dir.path(), FetchFailure::permanent) == wale::proto::kExitAbortRecovery);
  CHECK(fetch_failure_status(dir.path(), FetchFailure::transient) > 125);
}

TEST_CASE("fetch_failure_status: a standby keeps retrying transient failures", "[proto]") {
  TempDir dir{"proto-test"};
  touch(dir, "standby.signal");
  CHECK(fetch_failure_status(dir.path(), FetchFailure::transient) == 1);
  // corrupt object, usage or configuration error: still stop, never skip WAL
  CHECK(fetch_failure_status(dir.path(), FetchFailure::permanent) == wale::proto::kExitAbortRecovery);

  // standby.signal wins when both exist (PostgreSQL runs as a standby then)
  touch(dir, "recovery.signal");
  CHECK(fetch_failure_status(dir.path(), FetchFailure::transient) == 1);
  CHECK(fetch_failure_status(dir.path(), FetchFailure::permanent) == wale::proto::kExitAbortRecovery);

  // once promoted (the signal file gone) a transient failure aborts again
  ::unlink(dir.file("standby.signal").c_str());
  CHECK(fetch_failure_status(dir.path(), FetchFailure::transient) == wale::proto::kExitAbortRecovery);
}

TEST_CASE("fetch_failure_status: neither signal file", "[proto]") {
  TempDir dir{"proto-test"};
  CHECK(fetch_failure_status(dir.path(), FetchFailure::transient) == wale::proto::kExitAbortRecovery);
  CHECK(fetch_failure_status(dir.path(), FetchFailure::permanent) == wale::proto::kExitAbortRecovery);
  CHECK(fetch_failure_status("/nonexistent/wale/dir", FetchFailure::transient) == wale::proto::kExitAbortRecovery);
}
