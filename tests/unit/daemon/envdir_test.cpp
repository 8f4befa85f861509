// wal-ed --envdir reads an envdir as daemontools' envdir does, and a
// reload reads it again.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "common/core/error.hpp"
#include "daemon/daemon_config.hpp"
#include "daemon/envdir.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::test::TempDir;
using wale::test::write_file;

TEST_CASE("an envdir sets, trims and removes variables as daemontools' envdir does", "[daemon][envdir]") {
  TempDir dir("envdir");
  write_file(dir.file("WALE_FILE_PREFIX"), "file://localhost/archive  \t\nsecond line ignored\n");
  write_file(dir.file("WITH_NUL"), std::string("a\0b", 3));
  write_file(dir.file("REMOVED"), "");
  write_file(dir.file(".hidden"), "x");
  const auto env = wale::daemon::apply_envdir({{"REMOVED", "old"}, {"KEPT", "1"}}, dir.path());
  CHECK(env.at("WALE_FILE_PREFIX") == "file://localhost/archive");
  CHECK(env.at("WITH_NUL") == "a\nb");
  CHECK(env.at("KEPT") == "1");
  CHECK(env.count("REMOVED") == 0);
  CHECK(env.count(".hidden") == 0);
}

TEST_CASE("an envdir that cannot be read is a usage error naming it", "[daemon][envdir]") {
  TempDir dir("envdir");
  try {
    wale::daemon::apply_envdir({}, dir.file("absent"));
    FAIL("no error");
  } catch (const wale::Error& e) {
    CHECK(e.kind() == wale::ErrorKind::usage);
    CHECK(std::string(e.what()).find(dir.file("absent")) != std::string::npos);
  }
  ::mkdir(dir.file("sub").c_str(), 0700);
  CHECK_THROWS_AS(wale::daemon::apply_envdir({}, dir.path()), wale::Error);
}

TEST_CASE("wal-ed's configuration comes from its envdir and is read again on reload", "[daemon][envdir]") {
  TempDir dir("envdir");
  write_file(dir.file("WALE_FILE_PREFIX"), "file://localhost" + dir.path() + "/store\n");
  write_file(dir.file("WALE_BACKLOG_WARNING"), "1GB\n");
  const auto running = wale::daemon::load_daemon_config({"--envdir", dir.path(), "--socket", "/tmp/s.sock"}, {{"HOME", "/x"}});
  CHECK(running.envdir == dir.path());
  CHECK(running.backlog.warning.bytes == 1ull << 30);
  CHECK(running.env.at("HOME") == "/x");

  write_file(dir.file("WALE_BACKLOG_WARNING"), "2GB\n");
  write_file(dir.file("WALE_STUCK_TIMEOUT"), "30\n");
  const auto next = wale::daemon::reload_daemon_config(running);
  CHECK(next.backlog.warning.bytes == 2ull << 30);
  CHECK(next.backlog.stuck_after == std::chrono::seconds(30));
  CHECK(wale::daemon::restart_needed(running, next).empty());

  write_file(dir.file("WALE_FILE_PREFIX"), "file://localhost" + dir.path() + "/elsewhere\n");
  CHECK(wale::daemon::restart_needed(running, wale::daemon::reload_daemon_config(running)).find("the prefix changed") == 0);
  write_file(dir.file("WALE_FILE_PREFIX"), "file://localhost" + dir.path() + "/store\n");
  write_file(dir.file("WALE_MEMORY_BUDGET"), "1000000\n");
  CHECK(wale::daemon::restart_needed(running, wale::daemon::reload_daemon_config(running)) ==
        "WALE_MEMORY_BUDGET changed from '50331648' to '1000000'");

  write_file(dir.file("WALE_STUCK_TIMEOUT"), "later\n");
  CHECK_THROWS_AS(wale::daemon::reload_daemon_config(running), wale::Error);
}

TEST_CASE("wal-ed refuses a bad metrics address naming the variable", "[daemon][metrics]") {
  const wale::config::Environment env{{"WALE_FILE_PREFIX", "file://localhost/tmp/x"}};
  for (const char* bad : {"abc", "host.example:80", "127.0.0.1:0", "127.0.0.1:70000", ":9187"}) {
    INFO(bad);
    auto e = env;
    e["WALE_METRICS_LISTEN"] = bad;
    try {
      wale::daemon::load_daemon_config({}, e);
      FAIL("no error");
    } catch (const wale::Error& err) {
      CHECK(err.kind() == wale::ErrorKind::usage);
      CHECK(std::string(err.what()).find("WALE_METRICS_LISTEN='") == 0);
    }
  }
  CHECK_THROWS_WITH(wale::daemon::load_daemon_config({"--metrics-listen", "x"}, env), Catch::Contains("--metrics-listen='x'"));
}
