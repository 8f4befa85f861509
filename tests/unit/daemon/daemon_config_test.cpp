// wal-ed's settings for WAL-G's clients: the data directory their file
// names are relative to, and the optional socket of their own.
#include "daemon/daemon_config.hpp"

#include <catch2/catch.hpp>

#include "common/core/error.hpp"

using wale::daemon::load_daemon_config;

namespace {

const wale::config::Environment kEnv{{"WALE_FILE_PREFIX", "file://localhost/tmp/store"}};

}  // namespace

TEST_CASE("wal-ed takes the data directory from --pgdata or PGDATA", "[daemon]") {
  CHECK(load_daemon_config({}, kEnv).pgdata.empty());
  CHECK(load_daemon_config({"--pgdata", "/var/lib/postgresql/15/main"}, kEnv).pgdata == "/var/lib/postgresql/15/main");
  auto env = kEnv;
  env["PGDATA"] = "/srv/pg";
  CHECK(load_daemon_config({}, env).pgdata == "/srv/pg");
  CHECK(load_daemon_config({"--pgdata", "/other"}, env).pgdata == "/other");
  CHECK_THROWS_WITH(load_daemon_config({"--pgdata", "main"}, kEnv), Catch::Contains("must be absolute, not 'main'"));
}

TEST_CASE("wal-ed's WAL-G socket is absolute and not the main socket", "[daemon]") {
  CHECK(load_daemon_config({}, kEnv).walg_socket_path.empty());
  CHECK(load_daemon_config({"--walg-socket", "/run/wal-e/walg.sock"}, kEnv).walg_socket_path == "/run/wal-e/walg.sock");
  CHECK_THROWS_AS(load_daemon_config({"--walg-socket", "walg.sock"}, kEnv), wale::Error);
  CHECK_THROWS_WITH(load_daemon_config({"--socket", "/run/s.sock", "--walg-socket", "/run/s.sock"}, kEnv),
                    Catch::Contains("the main socket serves WAL-G's clients too"));
}
