// Every global option, per-command option and environment variable of
// WAL-E (shared/spec/wal-e-format.md §7), table-driven: each is accepted
// with WAL-E's meaning, the command line wins over the environment, and
// defaults are WAL-E's.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/config/options.hpp"
#include "common/core/error.hpp"

using wale::config::Environment;
using wale::config::parse_command_line;

namespace {

struct GlobalRow {
  const char* long_flag;
  const char* short_flag;  // "" when none
  const char* env;         // "" when none
  const char* key;
};

// §7.1 global options (before the subcommand) and their env fallbacks.
const std::vector<GlobalRow> kGlobals{
    {"--aws-access-key-id", "-k", "AWS_ACCESS_KEY_ID", "aws_access_key_id"},
    {"--gs-access-key-id", "", "GS_ACCESS_KEY_ID", "gs_access_key_id"},
    {"--wabs-account-name", "-a", "WABS_ACCOUNT_NAME", "wabs_account_name"},
    {"--s3-prefix", "", "WALE_S3_PREFIX", "s3_prefix"},
    {"--wabs-prefix", "", "WALE_WABS_PREFIX", "wabs_prefix"},
    {"--gs-prefix", "", "WALE_GS_PREFIX", "gs_prefix"},
    {"--file-prefix", "", "WALE_FILE_PREFIX", "file_prefix"},
    {"--gpg-key-id", "", "WALE_GPG_KEY_ID", "gpg_key_id"},
};

struct EnvRow {
  const char* env;
  const char* key;
  const char* default_value;  // "" when none
};

// §7.3 environment variables WAL-E reads (besides the global options').
const std::vector<EnvRow> kEnvironment{
    {"WALE_SWIFT_PREFIX", "swift_prefix", ""},
    {"WALE_LOG_DESTINATION", "log_destination", "stderr,syslog"},
    {"WALE_SYSLOG_FACILITY", "syslog_facility", "user"},
    {"WALE_RETRIES", "retries", "100"},
    {"WALE_S3_ENDPOINT", "s3_endpoint", ""},
    {"WALE_S3_STORAGE_CLASS", "s3_storage_class", "STANDARD"},
    {"AWS_SECRET_ACCESS_KEY", "aws_secret_access_key", ""},
    {"AWS_SECURITY_TOKEN", "aws_security_token", ""},
    {"AWS_REGION", "aws_region", ""},
    {"WABS_ACCESS_KEY", "wabs_access_key", ""},
    {"WABS_SAS_TOKEN", "wabs_sas_token", ""},
    {"GS_SECRET_ACCESS_KEY", "gs_secret_access_key", ""},
    {"GOOGLE_APPLICATION_CREDENTIALS", "google_application_credentials", ""},
    {"SWIFT_AUTHURL", "swift_authurl", ""},
    {"SWIFT_USER", "swift_user", ""},
    {"SWIFT_PASSWORD", "swift_password", ""},
    {"SWIFT_TENANT", "swift_tenant", ""},
    {"SWIFT_REGION", "swift_region", ""},
    {"SWIFT_ENDPOINT_TYPE", "swift_endpoint_type", "publicURL"},
    {"SWIFT_AUTH_VERSION", "swift_auth_version", "2"},
    {"SWIFT_DOMAIN_ID", "swift_domain_id", ""},
    {"SWIFT_DOMAIN_NAME", "swift_domain_name", ""},
    {"SWIFT_TENANT_ID", "swift_tenant_id", ""},
    {"SWIFT_USER_ID", "swift_user_id", ""},
    {"SWIFT_USER_DOMAIN_ID", "swift_user_domain_id", ""},
    {"SWIFT_USER_DOMAIN_NAME", "swift_user_domain_name", ""},
    {"SWIFT_PROJECT_ID", "swift_project_id", ""},
    {"SWIFT_PROJECT_NAME", "swift_project_name", ""},
    {"SWIFT_PROJECT_DOMAIN_ID", "swift_project_domain_id", ""},
    {"SWIFT_PROJECT_DOMAIN_NAME", "swift_project_domain_name", ""},
};

struct CommandRow {
  const char* command;
  std::vector<std::string> positionals;
  const char* long_flag;
  const char* short_flag;
  const char* key;
  const char* default_value;  // "" for a flag without default
  const char* sample;         // a value to give it; "" for a flag
};

// §7.2 subcommands and their options with WAL-E's defaults.
const std::vector<CommandRow> kCommands{
    {"backup-push", {"/data"}, "--pool-size", "-p", "pool_size", "4", "7"},
    {"backup-push", {"/data"}, "--cluster-read-rate-limit", "", "cluster_read_rate_limit", "", "1048576"},
    {"backup-push", {"/data"}, "--while-offline", "", "while_offline", "", ""},
    {"backup-fetch", {"/data", "LATEST"}, "--pool-size", "-p", "pool_size", "4", "3"},
    {"backup-fetch", {"/data", "LATEST"}, "--blind-restore", "", "blind_restore", "", ""},
    {"backup-fetch", {"/data", "LATEST"}, "--restore-spec", "", "restore_spec", "", "SOURCE"},
    {"backup-list", {}, "--detail", "", "detail", "", ""},
    {"wal-push", {"pg_wal/000000010000000000000001"}, "--pool-size", "-p", "pool_size", "32", "5"},
    {"wal-fetch", {"000000010000000000000001", "pg_wal/RECOVERYXLOG"}, "--prefetch", "-p", "prefetch", "8", "0"},
    {"delete", {"retain", "2"}, "--dry-run", "-n", "dry_run", "", ""},
    {"delete", {"retain", "2"}, "--confirm", "", "confirm", "", ""},
};

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

TEST_CASE("wal-e flags: every global option is accepted before the command and overrides its variable", "[config]") {
  for (const auto& row : kGlobals) {
    INFO(row.long_flag);
    const Environment env{{row.env, "from-env"}};
    CHECK(parse_command_line({"backup-list"}, env).get(row.key) == "from-env");
    CHECK(parse_command_line({row.long_flag, "from-flag", "backup-list"}, env).get(row.key) == "from-flag");
    CHECK(parse_command_line({std::string(row.long_flag) + "=eq", "backup-list"}, env).get(row.key) == "eq");
    if (*row.short_flag) CHECK(parse_command_line({row.short_flag, "short", "backup-list"}, env).get(row.key) == "short");
    CHECK_THROWS_AS(parse_command_line({"backup-list", row.long_flag, "x"}, {}), wale::Error);
  }
}

TEST_CASE("wal-e flags: --aws-instance-profile and AWS_INSTANCE_PROFILE as WAL-E parses booleans", "[config]") {
  CHECK(parse_command_line({"--aws-instance-profile", "backup-list"}, {}).get_flag("aws_instance_profile"));
  for (const char* yes : {"1", "true", "TRUE", "True"})
    CHECK(parse_command_line({"backup-list"}, {{"AWS_INSTANCE_PROFILE", yes}}).get_flag("aws_instance_profile"));
  for (const char* no : {"", "0", "false", "FALSE"})
    CHECK_FALSE(parse_command_line({"backup-list"}, {{"AWS_INSTANCE_PROFILE", no}}).get_flag("aws_instance_profile"));
  CHECK_THROWS_AS(parse_command_line({"backup-list"}, {{"AWS_INSTANCE_PROFILE", "yes"}}), wale::Error);
}

TEST_CASE("wal-e flags: --terse is a global flag", "[config]") {
  CHECK(parse_command_line({"--terse", "backup-list"}, {}).get_flag("terse"));
  CHECK_FALSE(parse_command_line({"backup-list"}, {}).get_flag("terse"));
}

TEST_CASE("wal-e flags: every environment variable WAL-E reads has its meaning and default", "[config]") {
  for (const auto& row : kEnvironment) {
    INFO(row.env);
    CHECK(parse_command_line({"backup-list"}, {}).get(row.key) == row.default_value);
    const std::string value = std::string(row.key) == "retries" ? "7" : "x-value";
    CHECK(parse_command_line({"backup-list"}, {{row.env, value}}).get(row.key) == value);
  }
  // The modern name of the S3 session token is read too.
  CHECK(parse_command_line({"backup-list"}, {{"AWS_SESSION_TOKEN", "t"}}).get("aws_session_token") == "t");
}

TEST_CASE("wal-e flags: every command option with WAL-E's default", "[config]") {
  for (const auto& row : kCommands) {
    INFO(row.command << " " << row.long_flag);
    const std::vector<std::string> base{row.command};
    const auto defaults = parse_command_line(with(base, row.positionals), {});
    CHECK(defaults.get(row.key) == row.default_value);
    std::vector<std::string> given = base;
    given.push_back(row.long_flag);
    if (*row.sample) given.push_back(row.sample);
    const auto parsed = parse_command_line(with(given, row.positionals), {});
    CHECK(parsed.get(row.key) == (*row.sample ? std::string(row.sample) : std::string("1")));
    if (*row.short_flag) {
      std::vector<std::string> short_given = base;
      short_given.push_back(row.short_flag);
      if (*row.sample) short_given.push_back(row.sample);
      CHECK(parse_command_line(with(short_given, row.positionals), {}).get(row.key) ==
            (*row.sample ? std::string(row.sample) : std::string("1")));
    }
    // Options may follow the positionals, as argparse allows.
    std::vector<std::string> after = with(base, row.positionals);
    after.push_back(row.long_flag);
    if (*row.sample) after.push_back(row.sample);
    CHECK(parse_command_line(after, {}).get(row.key) == (*row.sample ? std::string(row.sample) : std::string("1")));
  }
}

TEST_CASE("wal-e flags: every subcommand of WAL-E exists with its positionals", "[config]") {
  CHECK(parse_command_line({"version"}, {}).command == "version");
  CHECK(parse_command_line({"wal-prefetch", "/x/pg_wal", "000000010000000000000001"}, {}).positionals.size() == 2);
  CHECK(parse_command_line({"backup-list", "LATEST"}, {}).positionals == std::vector<std::string>{"LATEST"});
  CHECK(parse_command_line({"delete", "--confirm", "before", "base_000000010000000000000002_00000040"}, {}).positionals.size() == 2);
  CHECK(parse_command_line({"delete", "everything"}, {}).positionals == std::vector<std::string>{"everything"});
  CHECK_THROWS_AS(parse_command_line({"wal-fetch", "only-one"}, {}), wale::Error);
  CHECK_THROWS_AS(parse_command_line({"backup-fetch", "/data"}, {}), wale::Error);
}
