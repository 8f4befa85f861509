// check [PG_CLUSTER_DIRECTORY]: the command to run after setting archiving
// up (pgBackRest's 'check'). It asks PostgreSQL whether it archives at all
// (not a standby, archive_mode on, an archive_command or archive_library
// set), makes it finish the current WAL segment (a restore point, then
// pg_switch_wal), and waits until that segment is in the store this
// command is configured for and PostgreSQL's archiver has archived it
// (pg_stat_archiver). Exit 0 with one line saying so; 1 with one
// line saying what is wrong: no archiving configured, PostgreSQL's archiver
// failing on the segment (pg_stat_archiver), the store unreachable, or the
// segment not arriving in time (another prefix in archive_command?).
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "common/archive/layout.hpp"
#include "common/command/commands.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "common/pg/connection.hpp"
#include "proto/exit_status.hpp"

namespace wale::command {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(200);

struct ArchiverState {
  std::string last_archived_wal;
  std::uint64_t failed_count = 0;
  std::string last_failed_wal;
  std::string last_failed_time;
};

ArchiverState archiver_state(pg::Connection& conn) {
  const auto row = conn.query(
      "SELECT coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, '')"
      " FROM pg_stat_archiver").at(0);
  return ArchiverState{row[0], std::stoull(row[1]), row[2], row[3]};
}

std::string setting(pg::Connection& conn, const std::string& name) {
  const auto rows = conn.query("SELECT setting FROM pg_settings WHERE name = $1", {name});
  return rows.empty() ? std::string() : rows[0][0];
}

bool looks_like_wal_e(const std::string& text) {
  return text.find("wal-e") != std::string::npos || text.find("wal_e") != std::string::npos ||
         text.find("wale") != std::string::npos;
}

// Whether PostgreSQL archives through something at all; the text of what
// it runs, for the messages.
std::string archiving_setup(pg::Connection& conn, const std::string& where, std::string& doubt) {
  if (conn.query("SELECT pg_is_in_recovery()").at(0).at(0) == "t")
    throw Error(ErrorKind::permanent, "the server (" + where + ") is a standby: it cannot switch WAL; run 'wal-e check' against the primary");
  const std::string mode = setting(conn, "archive_mode");
  if (mode == "off")
    throw Error(ErrorKind::permanent, "archive_mode is off on the server (" + where +
                                          "): set archive_mode = on and archive_command = 'wal-e wal-push %p' in "
                                          "postgresql.conf, then restart PostgreSQL");
  const std::string library = conn.server_version() >= 150000 ? setting(conn, "archive_library") : "";
  if (!library.empty()) {
    if (!looks_like_wal_e(library)) doubt = "archive_library = '" + library + "' is not wal-e's";
    return "archive_library = '" + library + "'";
  }
  const std::string command = setting(conn, "archive_command");
  if (command.empty() || command == "(disabled)")
    throw Error(ErrorKind::permanent, "archive_command is empty on the server (" + where +
                                          "), so nothing is archived: set archive_command = 'wal-e wal-push %p' and "
                                          "reload PostgreSQL (SELECT pg_reload_conf())");
  if (command.find("wal-push") == std::string::npos) doubt = "archive_command = '" + command + "' does not run 'wal-e wal-push'";
  return "archive_command = '" + command + "'";
}

// The segment PostgreSQL finishes now. A restore point first makes sure
// there is WAL to switch away from (an idle server would otherwise name
// the segment switched last time).
std::string switch_segment(pg::Connection& conn) {
  const bool old = conn.server_version() < 100000;
  try {
    conn.query("SELECT pg_create_restore_point('wal-e check')");
    return conn.query(old ? "SELECT pg_xlogfile_name(pg_switch_xlog())" : "SELECT pg_walfile_name(pg_switch_wal())").at(0).at(0);
  } catch (const Error& e) {
    if (std::string(e.what()).find("permission denied") == std::string::npos) throw;
    throw Error(ErrorKind::permanent, std::string(e.what()) +
                                          "; connect as a superuser (PGUSER) or GRANT EXECUTE ON FUNCTION "
                                          "pg_create_restore_point(text), pg_switch_wal() to the user");
  }
}

std::optional<std::string> stored_key(storage::BlobStore& store, const std::string& segment) {
  std::optional<std::string> key;
  // Whatever the compression, the object is wal_005/<segment>.<suffix>.
  store.list(std::string(archive::kWalDirectory) + segment + ".", [&](storage::ObjectInfo&& info) {
    if (const auto object = archive::parse_wal_key(info.key); object && object->file_name == segment) key = info.key;
  });
  return key;
}

}  // namespace

int check_command(CommandContext& ctx, storage::BlobStore& store) {
  const std::string data_dir = ctx.cmd.positionals.empty() ? std::string() : lexically_join(ctx.cwd, ctx.cmd.positionals[0]);
  const auto timeout = std::chrono::seconds(ctx.cmd.get_number("check_timeout"));
  pg::Connection conn(pg::connection_params_for(data_dir, ctx.cmd.get("pg_host"), ctx.cmd.get("pg_port"), ctx.cmd.get("pg_user"),
                                                ctx.cmd.get("pg_database"), ctx.cmd.get("pg_sslmode")));
  const std::string where = conn.describe().empty() ? "libpq's default" : conn.describe();
  std::string doubt;
  const std::string setup = archiving_setup(conn, where, doubt);
  const ArchiverState before = archiver_state(conn);
  const auto start = Clock::now();
  const std::string segment = switch_segment(conn);
  ctx.log.info("wal_e.operator.check", "switched WAL on the server; waiting for the segment in the store",
               "PostgreSQL (" + where + ", " + setup + ") finished " + segment + "; waiting up to " +
                   std::to_string(timeout.count()) + " s for " + store.url().url_for(archive::wal_key(segment)) + ".",
               {{"seg", segment}});

  // Done when the segment is in the store and PostgreSQL's archiver has
  // been told so: wal-ed reads .ready segments ahead by itself, so the
  // store alone does not prove that archive_command works.
  std::string store_error;
  std::optional<std::string> key;
  ArchiverState now = before;
  for (;;) {
    try {
      if (!key) key = stored_key(store, segment);
      store_error.clear();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::transient)
        throw Error(ErrorKind::permanent, "cannot look for " + segment + " in the store " + store.url().text + ": " + e.what());
      store_error = e.what();
    }
    now = archiver_state(conn);
    if (key && now.last_archived_wal >= segment) {
      if (!doubt.empty())
        ctx.log.warning("wal_e.operator.check", doubt,
                        "The segment is in the store, but perhaps only because wal-ed reads .ready segments ahead by itself.",
                        "use archive_command = 'wal-e wal-push %p' (or a script that runs it)");
      char seconds[32];
      std::snprintf(seconds, sizeof(seconds), "%.1f", std::chrono::duration<double>(Clock::now() - start).count());
      ctx.out("wal-e check: archiving works: " + segment + " reached " + store.url().url_for(*key) + " " + seconds +
              " s after the WAL switch\n");
      return proto::kExitOk;
    }
    if (Clock::now() - start >= timeout) break;
    std::this_thread::sleep_for(kPollInterval);
  }

  const std::string within = " within " + std::to_string(timeout.count()) + " s";
  const std::string reached = "PostgreSQL's archiver has reached " +
                              (now.last_archived_wal.empty() ? std::string("nothing yet") : now.last_archived_wal) + " (" + setup + ")";
  if (now.failed_count > before.failed_count && now.last_failed_wal == segment)
    throw Error(ErrorKind::permanent, "PostgreSQL did not archive " + segment + within + ": its archiver failed on it " +
                                          std::to_string(now.failed_count - before.failed_count) + " time(s), last at " +
                                          now.last_failed_time + " (" + setup + "); its error is in PostgreSQL's log");
  if (key)
    throw Error(ErrorKind::permanent, segment + " is in the store, but PostgreSQL did not archive it" + within + ": " + reached +
                                          "; check that its archiver runs");
  const std::string late = segment + " did not reach " + store.url().text + within;
  if (!store_error.empty()) throw Error(ErrorKind::permanent, late + ": the store cannot be reached: " + store_error);
  if (!doubt.empty()) throw Error(ErrorKind::permanent, late + ": " + doubt);
  throw Error(ErrorKind::permanent, late + ": " + reached + "; check that archive_command uses the same prefix as this command");
}

}  // namespace wale::command
