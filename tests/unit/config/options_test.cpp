// The option table and the command-line parser (spec §7): global options
// before the command, command options after it, the spellings argparse
// accepts, command line over environment over defaults, -p's meaning per
// command, and one-line usage errors.
#include "common/config/options.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/error.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::config::command_table;
using wale::config::Environment;
using wale::config::find_command;
using wale::config::help_text;
using wale::config::option_table;
using wale::config::options_markdown;
using wale::config::parse_command_line;
using wale::config::ParsedCommand;
using wale::config::ValueKind;

namespace {

using Args = std::vector<std::string>;

ParsedCommand parse(const Args& args, const Environment& env = {}) { return parse_command_line(args, env); }

// The usage error a command line is refused with; fails the test when it is accepted.
Error refusal_of(const Args& args, const Environment& env = {}) {
  try {
    (void)parse_command_line(args, env);
  } catch (const Error& e) {
    return e;
  }
  std::string joined;
  for (const auto& a : args) joined += " " + a;
  FAIL("accepted:" << joined);
  return Error(ErrorKind::permanent, "unreachable");
}

void check_usage_error(const Error& e) {
  CHECK(e.kind() == ErrorKind::usage);
  const std::string what = e.what();
  CHECK_FALSE(what.empty());
  CHECK(what.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("a plain command with its positionals", "[config]") {
  const ParsedCommand p = parse({"wal-push", "pg_wal/000000010000000000000001"});
  CHECK(p.command == "wal-push");
  CHECK(p.positionals == Args{"pg_wal/000000010000000000000001"});
  CHECK_FALSE(p.help);
  CHECK(p.get("pool_size") == "32");
  CHECK(p.get_number("pool_size") == 32);
  CHECK_FALSE(p.has("prefetch"));
  CHECK(p.origin.count("pool_size") == 0u);  // a default has no origin
}

TEST_CASE("short -p means --pool-size for wal-push and the backup commands but --prefetch for wal-fetch", "[config]") {
  SECTION("defaults") {
    CHECK(parse({"wal-push", "seg"}).get("pool_size") == "32");
    CHECK(parse({"backup-push", "/data"}).get("pool_size") == "4");
    CHECK(parse({"backup-fetch", "/data", "LATEST"}).get("pool_size") == "4");
    const ParsedCommand fetch = parse({"wal-fetch", "seg", "dest"});
    CHECK(fetch.get("prefetch") == "8");
    CHECK_FALSE(fetch.has("pool_size"));
    CHECK_FALSE(parse({"backup-list"}).has("pool_size"));
    CHECK_FALSE(parse({"backup-list"}).has("prefetch"));
  }
  SECTION("-p on each command") {
    CHECK(parse({"wal-push", "-p", "8", "seg"}).get("pool_size") == "8");
    CHECK(parse({"backup-push", "-p", "2", "/data"}).get("pool_size") == "2");
    CHECK(parse({"backup-fetch", "/data", "LATEST", "-p", "16"}).get("pool_size") == "16");
    const ParsedCommand fetch = parse({"wal-fetch", "-p", "3", "seg", "dest"});
    CHECK(fetch.get("prefetch") == "3");
    CHECK_FALSE(fetch.has("pool_size"));
    CHECK(fetch.origin.at("prefetch") == "--prefetch");
  }
  SECTION("--prefetch 0 disables prefetch; a pool of 0 is refused") {
    CHECK(parse({"wal-fetch", "--prefetch", "0", "seg", "dest"}).get_number("prefetch") == 0);
    CHECK(parse({"wal-fetch", "-p0", "seg", "dest"}).get_number("prefetch") == 0);
    check_usage_error(refusal_of({"wal-push", "-p", "0", "seg"}));
    check_usage_error(refusal_of({"backup-push", "--pool-size=0", "/data"}));
    check_usage_error(refusal_of({"wal-fetch", "-p", "-1", "seg", "dest"}));
  }
  SECTION("--prefetch is not a wal-push option, --pool-size not a wal-fetch option") {
    check_usage_error(refusal_of({"wal-push", "--prefetch", "3", "seg"}));
    check_usage_error(refusal_of({"wal-fetch", "--pool-size", "3", "seg", "dest"}));
  }
}

TEST_CASE("option value spellings", "[config]") {
  for (const Args& args : {Args{"wal-push", "-p8", "seg"}, Args{"wal-push", "-p", "8", "seg"},
                           Args{"wal-push", "--pool-size=8", "seg"}, Args{"wal-push", "--pool-size", "8", "seg"},
                           Args{"wal-push", "seg", "-p", "8"}, Args{"wal-push", "seg", "--pool-size=8"}}) {
    std::string joined;
    for (const auto& a : args) joined += " " + a;
    INFO("args:" << joined);
    const ParsedCommand p = parse(args);
    CHECK(p.get("pool_size") == "8");
    CHECK(p.get_number("pool_size") == 8);
    CHECK(p.origin.at("pool_size") == "--pool-size");
    CHECK(p.positionals == Args{"seg"});
  }
  // the last occurrence wins
  CHECK(parse({"wal-push", "-p", "8", "--pool-size=9", "seg"}).get("pool_size") == "9");
  // a value may contain '='
  CHECK(parse({"--s3-prefix=s3://b/a=b", "backup-list"}).get("s3_prefix") == "s3://b/a=b");
  // a value may start with '-' when it is separate
  CHECK(parse({"-k", "-ID-", "backup-list"}).get("aws_access_key_id") == "-ID-");
}

TEST_CASE("global options come before the command", "[config]") {
  const ParsedCommand p = parse({"--s3-prefix", "s3://b/x", "-k", "AKID", "--terse", "--gpg-key-id=KEY",
                                 "--aws-instance-profile", "-aACCOUNT", "wal-fetch", "seg", "dest"});
  CHECK(p.command == "wal-fetch");
  CHECK(p.positionals == Args{"seg", "dest"});
  CHECK(p.get("s3_prefix") == "s3://b/x");
  CHECK(p.origin.at("s3_prefix") == "--s3-prefix");
  CHECK(p.get("aws_access_key_id") == "AKID");
  CHECK(p.origin.at("aws_access_key_id") == "--aws-access-key-id");
  CHECK(p.get_flag("terse"));
  CHECK(p.get("gpg_key_id") == "KEY");
  CHECK(p.get_flag("aws_instance_profile"));
  CHECK(p.get("wabs_account_name") == "ACCOUNT");
  CHECK(p.get("prefetch") == "8");
}

TEST_CASE("a global option after the command is refused, saying where it belongs", "[config]") {
  for (const Args& args : {Args{"wal-push", "--s3-prefix", "s3://b/x", "seg"}, Args{"wal-push", "seg", "--terse"},
                           Args{"backup-list", "--file-prefix=file:///x"}, Args{"wal-fetch", "-k", "ID", "s", "d"}}) {
    const Error e = refusal_of(args);
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("must come before"));
  }
  const Error e = refusal_of({"wal-push", "--s3-prefix", "s3://b/x", "seg"});
  CHECK_THAT(std::string(e.what()), Catch::Contains("--s3-prefix"));
}

TEST_CASE("a command option before the command is refused", "[config]") {
  const Error e = refusal_of({"-p", "8", "wal-push", "seg"});
  check_usage_error(e);
  CHECK_THAT(std::string(e.what()), Catch::Contains("-p"));
}

TEST_CASE("unknown options and commands are one-line usage errors", "[config]") {
  SECTION("after the command") {
    const Error e = refusal_of({"wal-push", "--bogus", "seg"});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("--bogus") && Catch::Contains("wal-push"));
  }
  SECTION("before the command") {
    const Error e = refusal_of({"--bogus", "wal-push", "seg"});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("--bogus"));
  }
  SECTION("an unknown short option") {
    check_usage_error(refusal_of({"wal-push", "-z", "seg"}));
  }
  SECTION("an unknown command") {
    const Error e = refusal_of({"frobnicate"});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("frobnicate"));
  }
  SECTION("a flag given a value") {
    check_usage_error(refusal_of({"--terse=yes", "backup-list"}));
    check_usage_error(refusal_of({"backup-list", "--detail=1"}));
  }
  SECTION("an option missing its value") {
    const Error e = refusal_of({"wal-push", "seg", "--pool-size"});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("--pool-size"));
    check_usage_error(refusal_of({"--s3-prefix"}));
  }
  SECTION("a non-numeric count") {
    const Error e = refusal_of({"wal-push", "-p", "many", "seg"});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("many"));
    check_usage_error(refusal_of({"wal-push", "-p", "8x", "seg"}));
    check_usage_error(refusal_of({"wal-push", "-p", "", "seg"}));
    check_usage_error(refusal_of({"backup-push", "--cluster-read-rate-limit", "1.5", "/data"}));
  }
}

TEST_CASE("positional arguments", "[config]") {
  SECTION("missing") {
    const Error push = refusal_of({"wal-push"});
    check_usage_error(push);
    CHECK_THAT(std::string(push.what()), Catch::Contains("WAL_SEGMENT"));

    const Error fetch = refusal_of({"wal-fetch", "000000010000000000000001"});
    check_usage_error(fetch);
    CHECK_THAT(std::string(fetch.what()), Catch::Contains("WAL_DESTINATION"));

    const Error bfetch = refusal_of({"backup-fetch"});
    check_usage_error(bfetch);
    CHECK_THAT(std::string(bfetch.what()), Catch::Contains("PG_CLUSTER_DIRECTORY"));

    check_usage_error(refusal_of({"delete"}));
    check_usage_error(refusal_of({"backup-push"}));
  }
  SECTION("too many") {
    const Error e = refusal_of({"wal-push", "a", "b"});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("'b'"));
    check_usage_error(refusal_of({"wal-fetch", "a", "b", "c"}));
    check_usage_error(refusal_of({"backup-list", "LATEST", "extra"}));
    check_usage_error(refusal_of({"version", "x"}));
    check_usage_error(refusal_of({"delete", "retain", "5", "more"}));
  }
  SECTION("optional") {
    CHECK(parse({"backup-list"}).positionals.empty());
    CHECK(parse({"backup-list", "LATEST"}).positionals == Args{"LATEST"});
    CHECK(parse({"delete", "everything"}).positionals == Args{"everything"});
    CHECK(parse({"delete", "retain", "5"}).positionals == Args{"retain", "5"});
  }
  SECTION("none") {
    CHECK(parse({"version"}).command == "version");
    CHECK(parse({"version"}).positionals.empty());
  }
}

TEST_CASE("a double dash ends option parsing", "[config]") {
  const ParsedCommand p = parse({"wal-fetch", "--", "-odd", "--prefetch"});
  CHECK(p.positionals == Args{"-odd", "--prefetch"});
  CHECK(p.get("prefetch") == "8");

  const ParsedCommand q = parse({"wal-fetch", "-p", "2", "seg", "--", "-h"});
  CHECK(q.positionals == Args{"seg", "-h"});
  CHECK_FALSE(q.help);
  CHECK(q.get("prefetch") == "2");

  // a lone '-' is a positional
  CHECK(parse({"wal-fetch", "-", "dest"}).positionals == Args{"-", "dest"});
}

TEST_CASE("flags of the commands", "[config]") {
  const ParsedCommand d = parse({"delete", "--dry-run", "--confirm", "retain", "3"});
  CHECK(d.get_flag("dry_run"));
  CHECK(d.get_flag("confirm"));
  CHECK(parse({"delete", "-n", "everything"}).get_flag("dry_run"));
  CHECK_FALSE(parse({"delete", "everything"}).get_flag("dry_run"));
  CHECK_FALSE(parse({"delete", "everything"}).get_flag("confirm"));

  const ParsedCommand b = parse({"backup-push", "--while-offline", "--cluster-read-rate-limit", "1048576", "/data"});
  CHECK(b.get_flag("while_offline"));
  CHECK(b.get_number("cluster_read_rate_limit") == 1048576);

  const ParsedCommand f = parse({"backup-fetch", "--blind-restore", "--restore-spec", "SOURCE", "/data", "LATEST"});
  CHECK(f.get_flag("blind_restore"));
  CHECK(f.get("restore_spec") == "SOURCE");
  CHECK(f.positionals == Args{"/data", "LATEST"});

  CHECK(parse({"backup-list", "--detail"}).get_flag("detail"));
  CHECK_FALSE(parse({"backup-list"}).get_flag("detail"));
  // a command's flag belongs to that command only
  check_usage_error(refusal_of({"wal-push", "--detail", "seg"}));
}

TEST_CASE("characters after a short flag are not silently dropped", "[config]") {
  // argparse reads "-nz" as -n followed by -z and refuses the unknown -z
  // ("ignored explicit argument 'z'"); the parser sets --dry-run and
  // discards the rest of the argument without a word.
  check_usage_error(refusal_of({"delete", "-nz", "everything"}));
  check_usage_error(refusal_of({"delete", "-nconfirm", "everything"}));
}

TEST_CASE("the command line beats the environment, which beats defaults", "[config]") {
  const Environment env{{"WALE_S3_PREFIX", "s3://env/p"}, {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                        {"WALE_RETRIES", "7"}, {"WALE_GPG_KEY_ID", "ENVGPG"}};
  const ParsedCommand cli = parse({"--s3-prefix", "s3://cli/p", "-k", "CLIKEY", "backup-list"}, env);
  CHECK(cli.get("s3_prefix") == "s3://cli/p");
  CHECK(cli.origin.at("s3_prefix") == "--s3-prefix");
  CHECK(cli.get("aws_access_key_id") == "CLIKEY");
  CHECK(cli.origin.at("aws_access_key_id") == "--aws-access-key-id");
  CHECK(cli.get("gpg_key_id") == "ENVGPG");
  CHECK(cli.origin.at("gpg_key_id") == "WALE_GPG_KEY_ID");
  CHECK(cli.get("retries") == "7");

  const ParsedCommand from_env = parse({"backup-list"}, env);
  CHECK(from_env.get("s3_prefix") == "s3://env/p");
  CHECK(from_env.origin.at("s3_prefix") == "WALE_S3_PREFIX");
  CHECK(from_env.get("aws_access_key_id") == "ENVKEY");
  CHECK(from_env.origin.at("aws_access_key_id") == "AWS_ACCESS_KEY_ID");

  const ParsedCommand defaults = parse({"backup-list"});
  CHECK(defaults.get("retries") == "100");
  CHECK(defaults.get("log_destination") == "stderr,syslog");
  CHECK(defaults.get("syslog_facility") == "user");
  CHECK(defaults.get("s3_storage_class") == "STANDARD");
  CHECK_FALSE(defaults.has("s3_prefix"));
  CHECK_FALSE(defaults.has("aws_secret_access_key"));
}

TEST_CASE("environment-only settings", "[config]") {
  const Environment env{{"AWS_SECRET_ACCESS_KEY", "SECRET"}, {"AWS_REGION", "eu-west-1"},
                        {"WALE_SWIFT_PREFIX", "swift://c/p"}, {"WALE_S3_STORAGE_CLASS", "STANDARD_IA"}};
  const ParsedCommand p = parse({"backup-list"}, env);
  CHECK(p.get("aws_secret_access_key") == "SECRET");
  CHECK(p.origin.at("aws_secret_access_key") == "AWS_SECRET_ACCESS_KEY");
  CHECK(p.get("aws_region") == "eu-west-1");
  CHECK(p.get("swift_prefix") == "swift://c/p");
  CHECK(p.get("s3_storage_class") == "STANDARD_IA");
  // there is no --swift-prefix and no --aws-secret-access-key option
  check_usage_error(refusal_of({"--swift-prefix", "swift://c/p", "backup-list"}));
  check_usage_error(refusal_of({"--aws-secret-access-key", "x", "backup-list"}));
}

TEST_CASE("an empty environment value counts as unset", "[config]") {
  const ParsedCommand p = parse({"backup-list"}, {{"WALE_S3_PREFIX", ""}, {"WALE_RETRIES", ""}});
  CHECK_FALSE(p.has("s3_prefix"));
  CHECK(p.get("retries") == "100");
}

TEST_CASE("numeric environment values are checked", "[config]") {
  CHECK(parse({"backup-list"}, {{"WALE_RETRIES", "3"}}).get_number("retries") == 3);
  for (const char* bad : {"abc", "0", "-1", "3x", "1e3"}) {
    INFO("WALE_RETRIES=" << bad);
    const Error e = refusal_of({"backup-list"}, {{"WALE_RETRIES", bad}});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("WALE_RETRIES"));
  }
}

TEST_CASE("AWS_INSTANCE_PROFILE is an environment boolean", "[config]") {
  for (const char* yes : {"1", "true", "TRUE", "True", "tRuE"}) {
    INFO("AWS_INSTANCE_PROFILE=" << yes);
    const ParsedCommand p = parse({"backup-list"}, {{"AWS_INSTANCE_PROFILE", yes}});
    CHECK(p.get_flag("aws_instance_profile"));
    CHECK(p.origin.at("aws_instance_profile") == "AWS_INSTANCE_PROFILE");
  }
  for (const char* no : {"0", "false", "FALSE", "False", ""}) {
    INFO("AWS_INSTANCE_PROFILE=" << no);
    CHECK_FALSE(parse({"backup-list"}, {{"AWS_INSTANCE_PROFILE", no}}).get_flag("aws_instance_profile"));
  }
  for (const char* bad : {"yes", "no", "2", "on", "t", " 1"}) {
    INFO("AWS_INSTANCE_PROFILE=" << bad);
    const Error e = refusal_of({"backup-list"}, {{"AWS_INSTANCE_PROFILE", bad}});
    check_usage_error(e);
    CHECK_THAT(std::string(e.what()), Catch::Contains("AWS_INSTANCE_PROFILE"));
  }
  CHECK_FALSE(parse({"backup-list"}).get_flag("aws_instance_profile"));
  // the command-line flag wins over the environment
  CHECK(parse({"--aws-instance-profile", "backup-list"}, {{"AWS_INSTANCE_PROFILE", "0"}}).get_flag("aws_instance_profile"));
  CHECK(parse({"--aws-instance-profile", "backup-list"}, {{"AWS_INSTANCE_PROFILE", "bogus"}})
            .get_flag("aws_instance_profile"));
}

TEST_CASE("help", "[config]") {
  CHECK(parse({"--help"}).help);
  CHECK(parse({"-h"}).help);
  // help skips the positional checks
  const ParsedCommand p = parse({"wal-fetch", "--help"});
  CHECK(p.help);
  CHECK(p.command == "wal-fetch");
  CHECK(parse({"wal-push", "-h"}).help);
}

TEST_CASE("no command at all", "[config]") {
  const ParsedCommand p = parse({});
  CHECK(p.command.empty());
  CHECK(p.positionals.empty());
  CHECK_FALSE(p.help);
  const ParsedCommand q = parse({"--s3-prefix", "s3://b"});
  CHECK(q.command.empty());
  CHECK(q.get("s3_prefix") == "s3://b");
}

TEST_CASE("the wal-ed scope accepts the global options and its own", "[config]") {
  const ParsedCommand p =
      parse({"wal-ed", "--s3-prefix", "s3://b/x", "--socket", "/tmp/s.sock", "-p", "4", "--terse", "--state-dir=/st"});
  CHECK(p.command == "wal-ed");
  CHECK(p.get("s3_prefix") == "s3://b/x");
  CHECK(p.get("socket") == "/tmp/s.sock");
  CHECK(p.get("pool_size") == "4");
  CHECK(p.get_flag("terse"));
  CHECK(p.get("state_dir") == "/st");

  const ParsedCommand d = parse({"wal-ed"});
  CHECK(d.get("socket") == "/run/wal-e/wal-ed.sock");
  CHECK(d.get("state_dir") == "/var/lib/wal-e");
  CHECK(d.get("pool_size") == "32");
  CHECK(d.get("drain_timeout") == "30");

  const ParsedCommand e = parse({"wal-ed"}, {{"WALE_SOCKET", "/env.sock"}, {"WALE_FILE_PREFIX", "file:///a"}});
  CHECK(e.get("socket") == "/env.sock");
  CHECK(e.get("file_prefix") == "file:///a");

  // daemon options are not the shim commands' options
  check_usage_error(refusal_of({"wal-push", "--socket", "/x", "seg"}));
  check_usage_error(refusal_of({"wal-ed", "--prefetch", "3"}));
}

TEST_CASE("help_text mentions the command and its options", "[config]") {
  const std::string push = help_text("wal-push");
  CHECK_THAT(push, Catch::Contains("wal-push") && Catch::Contains("WAL_SEGMENT") && Catch::Contains("--pool-size") &&
                       Catch::Contains("-p") && Catch::Contains("32"));
  CHECK_THAT(push, !Catch::Contains("--prefetch"));

  const std::string fetch = help_text("wal-fetch");
  CHECK_THAT(fetch, Catch::Contains("wal-fetch") && Catch::Contains("WAL_DESTINATION") &&
                        Catch::Contains("--prefetch") && Catch::Contains("8"));
  CHECK_THAT(fetch, !Catch::Contains("--pool-size"));

  const std::string bpush = help_text("backup-push");
  CHECK_THAT(bpush, Catch::Contains("backup-push") && Catch::Contains("--while-offline") &&
                        Catch::Contains("--cluster-read-rate-limit") && Catch::Contains("(default 4)"));

  const std::string all = help_text("");
  for (const char* cmd : {"wal-push", "wal-fetch", "backup-push", "backup-fetch", "backup-list", "delete", "version"}) {
    INFO(cmd);
    CHECK_THAT(all, Catch::Contains(cmd));
  }
  CHECK_THAT(all, Catch::Contains("--s3-prefix") && Catch::Contains("WALE_S3_PREFIX") &&
                      Catch::Contains("--file-prefix") && Catch::Contains("--terse"));
  // the internal subcommand is not advertised
  CHECK_THAT(all, !Catch::Contains("wal-prefetch"));
}

TEST_CASE("wal-ed's help lists the global options its parser accepts", "[config]") {
  // parse_command_line lets wal-ed take every global option (its store
  // configuration), but help_text("wal-ed") lists only the daemon's own.
  REQUIRE(parse({"wal-ed", "--s3-prefix", "s3://b/x"}).get("s3_prefix") == "s3://b/x");
  const std::string daemon = help_text("wal-ed");
  CHECK_THAT(daemon, Catch::Contains("--socket"));
  CHECK_THAT(daemon, Catch::Contains("--s3-prefix") && Catch::Contains("--file-prefix") && Catch::Contains("--terse"));
}

TEST_CASE("options_markdown lists the table", "[config]") {
  const std::string md = options_markdown();
  CHECK(md.starts_with("| option |"));
  CHECK_THAT(md, Catch::Contains("`--s3-prefix`") && Catch::Contains("`WALE_S3_PREFIX`") &&
                     Catch::Contains("`-p, --pool-size`") && Catch::Contains("`WALE_SWIFT_PREFIX`"));
}

TEST_CASE("the option table is consistent", "[config]") {
  std::set<std::string_view> command_names;
  for (const auto& c : command_table()) {
    CHECK(command_names.insert(c.name).second);
    CHECK(find_command(c.name) == &c);
  }
  CHECK(find_command("nope") == nullptr);
  CHECK(find_command("") == nullptr);

  for (const auto& o : option_table()) {
    INFO("option " << o.key);
    CHECK_FALSE(o.key.empty());
    if (!o.long_flag.empty()) CHECK(o.long_flag.starts_with("--"));
    if (!o.short_flag.empty()) {
      CHECK(o.short_flag.size() == 2u);
      CHECK(o.short_flag[0] == '-');
      CHECK_FALSE(o.long_flag.empty());
    }
    // every option can be set one way or another
    CHECK((!o.long_flag.empty() || !o.env.empty()));
    // commands named by an option exist
    std::string_view rest = o.commands;
    while (!rest.empty()) {
      const auto space = rest.find(' ');
      const std::string_view word = rest.substr(0, space);
      CHECK(find_command(word) != nullptr);
      rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    }
  }

  // within one scope (global, or one command) a flag means one thing
  std::vector<std::string_view> scopes{""};
  for (const auto& c : command_table()) scopes.push_back(c.name);
  for (const auto scope : scopes) {
    std::set<std::string_view> flags;
    for (const auto& o : option_table()) {
      bool applies = false;
      if (scope.empty()) {
        applies = o.commands.empty();
      } else {
        std::string_view rest = o.commands;
        while (!rest.empty()) {
          const auto space = rest.find(' ');
          if (rest.substr(0, space) == scope) applies = true;
          rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
        }
      }
      if (!applies) continue;
      INFO("scope '" << scope << "' option " << o.key);
      if (!o.long_flag.empty()) CHECK(flags.insert(o.long_flag).second);
      if (!o.short_flag.empty()) CHECK(flags.insert(o.short_flag).second);
    }
  }

  // the AWS_INSTANCE_PROFILE setting is read as an environment boolean
  bool found = false;
  for (const auto& o : option_table())
    if (o.env == "AWS_INSTANCE_PROFILE") {
      found = true;
      CHECK((o.kind == ValueKind::flag || o.kind == ValueKind::boolean));
    }
  CHECK(found);
}

TEST_CASE("WALE_COMPRESSION: lzop by default, lz4 or zstd, anything else a usage error naming it", "[config]") {
  const Args push{"wal-push", "pg_wal/000000010000000000000001"};
  CHECK(parse(push).get("compression") == "lzop");
  CHECK(parse(push, {{"WALE_COMPRESSION", "lz4"}}).get("compression") == "lz4");
  CHECK(parse(push, {{"WALE_COMPRESSION", "zstd"}}).get("compression") == "zstd");
  CHECK(parse(push, {{"WALE_COMPRESSION", ""}}).get("compression") == "lzop");  // empty is unset, as in WAL-E
  CHECK(parse({"wal-ed"}, {{"WALE_COMPRESSION", "zstd"}}).get("compression") == "zstd");
  for (const char* bad : {"gzip", "LZ4", "lzo", "zstd ", "lz4,zstd"}) {
    INFO(bad);
    const Error e = refusal_of(push, {{"WALE_COMPRESSION", bad}});
    check_usage_error(e);
    CHECK_THAT(e.what(), Catch::Contains("WALE_COMPRESSION wants one of lzop lz4 zstd, not '" + std::string(bad) + "'"));
  }
  // --help says which is the default and that only lzop is WAL-E's.
  const std::string help = help_text("");
  CHECK_THAT(help, Catch::Contains("WALE_COMPRESSION=lzop|lz4|zstd") && Catch::Contains("only one WAL-E can read") &&
                       Catch::Contains("(default lzop)"));
}
