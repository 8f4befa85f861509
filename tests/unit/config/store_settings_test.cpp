// Which store a command works on (spec §1.1): the prefix precedence
// (options first, then the environment, each in WAL-E's order), the error
// when none is set, and backends chosen by URL scheme.
#include "common/config/store_settings.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "common/core/error.hpp"
#include "common/storage/file_store.hpp"
#include "tests/unit/support/error_of.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::config::Environment;
using wale::config::find_prefix;
using wale::config::open_store;
using wale::config::parse_command_line;
using wale::config::ParsedCommand;
using wale::config::require_prefix;
using wale::config::StorePrefix;
using wale::storage::Scheme;
using wale::test::error_of;
using wale::test::TempDir;

namespace {

using Args = std::vector<std::string>;

ParsedCommand backup_list(Args globals, const Environment& env) {
  globals.push_back("backup-list");
  return parse_command_line(globals, env);
}

}  // namespace

TEST_CASE("no prefix at all", "[config]") {
  const ParsedCommand p = backup_list({}, {});
  CHECK_FALSE(find_prefix(p).has_value());
  const Error e = error_of([&] { (void)require_prefix(p); });
  CHECK(e.kind() == ErrorKind::usage);
  const std::string what = e.what();
  CHECK_THAT(what, Catch::Contains("no storage prefix defined"));
  for (const char* var : {"WALE_S3_PREFIX", "WALE_WABS_PREFIX", "WALE_GS_PREFIX", "WALE_SWIFT_PREFIX",
                          "WALE_FILE_PREFIX", "--s3-prefix", "--file-prefix"}) {
    INFO(var);
    CHECK_THAT(what, Catch::Contains(var));
  }
  CHECK(what.find('\n') == std::string::npos);
  // empty values are not a prefix either
  CHECK_FALSE(find_prefix(backup_list({}, {{"WALE_S3_PREFIX", ""}, {"WALE_FILE_PREFIX", ""}})).has_value());
}

TEST_CASE("each source on its own", "[config]") {
  struct Case {
    Args globals;
    Environment env;
    Scheme scheme;
    std::string origin;
  };
  const std::vector<Case> cases{
      {{"--file-prefix", "file://localhost/a"}, {}, Scheme::file, "--file-prefix"},
      {{"--gs-prefix", "gs://b/a"}, {}, Scheme::gs, "--gs-prefix"},
      {{"--s3-prefix", "s3://b/a"}, {}, Scheme::s3, "--s3-prefix"},
      {{"--wabs-prefix", "wabs://c/a"}, {}, Scheme::wabs, "--wabs-prefix"},
      {{}, {{"WALE_FILE_PREFIX", "file:///a"}}, Scheme::file, "WALE_FILE_PREFIX"},
      {{}, {{"WALE_GS_PREFIX", "gs://b/a"}}, Scheme::gs, "WALE_GS_PREFIX"},
      {{}, {{"WALE_S3_PREFIX", "s3://b/a"}}, Scheme::s3, "WALE_S3_PREFIX"},
      {{}, {{"WALE_SWIFT_PREFIX", "swift://c/a"}}, Scheme::swift, "WALE_SWIFT_PREFIX"},
      {{}, {{"WALE_WABS_PREFIX", "wabs://c/a"}}, Scheme::wabs, "WALE_WABS_PREFIX"},
  };
  for (const auto& c : cases) {
    INFO("origin " << c.origin);
    const auto p = find_prefix(backup_list(c.globals, c.env));
    REQUIRE(p.has_value());
    CHECK(p->url.scheme == c.scheme);
    CHECK(p->origin == c.origin);
    CHECK(p->url.path_prefix == "a/");
    CHECK(require_prefix(backup_list(c.globals, c.env)).origin == c.origin);
  }
}

TEST_CASE("options in WAL-E's order: --file-prefix, --gs-prefix, --s3-prefix, --wabs-prefix", "[config]") {
  const Args file{"--file-prefix", "file:///f"};
  const Args gs{"--gs-prefix", "gs://g/p"};
  const Args s3{"--s3-prefix", "s3://s/p"};
  const Args wabs{"--wabs-prefix", "wabs://w/p"};
  const auto cat = [](std::vector<Args> parts) {
    Args out;
    for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  // given in reverse order on the command line, the order of precedence still holds
  CHECK(find_prefix(backup_list(cat({wabs, s3, gs, file}), {}))->origin == "--file-prefix");
  CHECK(find_prefix(backup_list(cat({wabs, s3, gs}), {}))->origin == "--gs-prefix");
  CHECK(find_prefix(backup_list(cat({wabs, s3}), {}))->origin == "--s3-prefix");
  CHECK(find_prefix(backup_list(cat({s3, file}), {}))->origin == "--file-prefix");
  CHECK(find_prefix(backup_list(cat({wabs, gs}), {}))->origin == "--gs-prefix");
}

TEST_CASE("environment in WAL-E's order: FILE, GS, S3, SWIFT, WABS", "[config]") {
  Environment env{{"WALE_FILE_PREFIX", "file:///f"},
                  {"WALE_GS_PREFIX", "gs://g/p"},
                  {"WALE_S3_PREFIX", "s3://s/p"},
                  {"WALE_SWIFT_PREFIX", "swift://w/p"},
                  {"WALE_WABS_PREFIX", "wabs://a/p"}};
  for (const char* expected : {"WALE_FILE_PREFIX", "WALE_GS_PREFIX", "WALE_S3_PREFIX", "WALE_SWIFT_PREFIX",
                               "WALE_WABS_PREFIX"}) {
    INFO("expected " << expected);
    const auto p = find_prefix(backup_list({}, env));
    REQUIRE(p.has_value());
    CHECK(p->origin == expected);
    env.erase(expected);
  }
  CHECK_FALSE(find_prefix(backup_list({}, env)).has_value());
}

TEST_CASE("any option beats any environment variable", "[config]") {
  const Environment env{{"WALE_FILE_PREFIX", "file:///f"}, {"WALE_GS_PREFIX", "gs://g/p"}};
  // --wabs-prefix is the last option, WALE_FILE_PREFIX the first variable
  const auto p = find_prefix(backup_list({"--wabs-prefix", "wabs://w/p"}, env));
  REQUIRE(p.has_value());
  CHECK(p->origin == "--wabs-prefix");
  CHECK(p->url.scheme == Scheme::wabs);
  CHECK(p->url.store == "w");

  // the option of one backend beats the variable of the same backend
  const auto q = find_prefix(backup_list({"--s3-prefix", "s3://cli/p"}, {{"WALE_S3_PREFIX", "s3://env/p"}}));
  REQUIRE(q.has_value());
  CHECK(q->origin == "--s3-prefix");
  CHECK(q->url.store == "cli");

  // and an option of a lower-ranked backend beats a higher-ranked variable
  const auto r = find_prefix(backup_list({"--s3-prefix", "s3://cli/p"}, {{"WALE_FILE_PREFIX", "file:///f"}}));
  REQUIRE(r.has_value());
  CHECK(r->origin == "--s3-prefix");
}

TEST_CASE("the URL scheme chooses the backend, not the variable that held it", "[config]") {
  const auto p = find_prefix(backup_list({}, {{"WALE_S3_PREFIX", "file://localhost/tmp/x"}}));
  REQUIRE(p.has_value());
  CHECK(p->url.scheme == Scheme::file);
  CHECK(p->origin == "WALE_S3_PREFIX");
  CHECK(p->url.path_prefix == "tmp/x/");

  const auto q = find_prefix(backup_list({"--file-prefix", "s3://bucket/y"}, {}));
  REQUIRE(q.has_value());
  CHECK(q->url.scheme == Scheme::s3);
  CHECK(q->origin == "--file-prefix");
}

TEST_CASE("a malformed prefix is a usage error", "[config]") {
  const ParsedCommand p = backup_list({}, {{"WALE_S3_PREFIX", "ftp://host/x"}});
  const Error e = error_of([&] { (void)find_prefix(p); });
  CHECK(e.kind() == ErrorKind::usage);
  CHECK_THAT(std::string(e.what()), Catch::Contains("ftp://host/x"));
}

TEST_CASE("an empty option falls through to the environment, as WAL-E's 'or' chain does", "[config]") {
  // spec §1.1: the prefix is the first *non-empty* of the options, then the
  // variables. `--file-prefix ''` is empty, so WALE_FILE_PREFIX is used.
  const ParsedCommand p = backup_list({"--file-prefix="}, {{"WALE_FILE_PREFIX", "file:///from-env"}});
  const auto found = find_prefix(p);
  REQUIRE(found.has_value());
  CHECK(found->origin == "WALE_FILE_PREFIX");
  CHECK(found->url.path_prefix == "from-env/");
}

TEST_CASE("open_store opens a file store", "[config]") {
  TempDir dir{"settings-test"};
  const StorePrefix prefix = require_prefix(backup_list({"--file-prefix", "file://localhost" + dir.path()}, {}));
  const ParsedCommand cmd = backup_list({}, {});
  auto store = open_store(prefix, cmd);
  REQUIRE(store != nullptr);
  CHECK(store->url().scheme == Scheme::file);
  CHECK(store->url().path_prefix == dir.path().substr(1) + "/");
  auto* file = dynamic_cast<wale::storage::FileStore*>(store.get());
  REQUIRE(file != nullptr);
  CHECK(file->root() == dir.path());
}

