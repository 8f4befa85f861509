#include "common/pg/backup_session.hpp"

#include "common/core/error.hpp"

namespace wale::pg {
namespace {

constexpr const char* kNameOffset = "SELECT file_name, lpad(file_offset::text, 8, '0') FROM pg_walfile_name_offset($1::pg_lsn)";

}  // namespace

BackupSession::BackupSession(const ConnectionParams& params) : connection_(params) {
  if (connection_.server_version() < 90600)
    throw Error(ErrorKind::permanent, "PostgreSQL " + std::to_string(connection_.server_version()) +
                                          " is too old: backup-push needs 9.6 or later (non-exclusive backups)");
}

std::string BackupSession::data_directory() { return connection_.query("SHOW data_directory").at(0).at(0); }

std::string BackupSession::version_text() { return connection_.query("SELECT version()").at(0).at(0); }

WalPosition BackupSession::start(const std::string& label, bool fast_checkpoint) {
  if (connection_.query("SELECT pg_is_in_recovery()").at(0).at(0) == "t")
    throw Error(ErrorKind::permanent, "the server at " + connection_.describe() +
                                          " is a standby; backup-push takes backups of a primary only");
  const std::string fast = fast_checkpoint ? "true" : "false";
  const std::string sql = connection_.server_version() >= 150000 ? "SELECT pg_backup_start($1, $2::boolean)::text"
                                                                  : "SELECT pg_start_backup($1, $2::boolean, false)::text";
  WalPosition p;
  try {
    p.lsn = connection_.query(sql, {label, fast}).at(0).at(0);
  } catch (const Error& e) {
    throw Error(e.kind(), std::string("could not start hot backup: ") + e.what());
  }
  started_ = true;
  const auto row = connection_.query(kNameOffset, {p.lsn}).at(0);
  p.file_name = row.at(0);
  p.file_offset = row.at(1);
  return p;
}

BackupStop BackupSession::stop() {
  const int v = connection_.server_version();
  const std::string sql = v >= 150000  ? "SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(true)"
                          : v >= 100000 ? "SELECT lsn::text, labelfile, spcmapfile FROM pg_stop_backup(false, true)"
                                        : "SELECT lsn::text, labelfile, spcmapfile FROM pg_stop_backup(false)";
  BackupStop stop;
  try {
    const auto row = connection_.query(sql).at(0);
    started_ = false;
    stop.position.lsn = row.at(0);
    stop.label_file = row.at(1);
    stop.tablespace_map = row.at(2);
  } catch (const Error& e) {
    throw Error(e.kind(), std::string("could not stop hot backup: ") + e.what());
  }
  const auto row = connection_.query(kNameOffset, {stop.position.lsn}).at(0);
  stop.position.file_name = row.at(0);
  stop.position.file_offset = row.at(1);
  return stop;
}

}  // namespace wale::pg
