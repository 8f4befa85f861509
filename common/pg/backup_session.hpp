// Starting and stopping a base backup with PostgreSQL's non-exclusive API,
// in one session as that API requires: pg_backup_start/pg_backup_stop on
// PostgreSQL 15 and later, pg_start_backup/pg_stop_backup(false, ...) on
// 9.6-14 (the exclusive API WAL-E used is gone in 15).
#pragma once

#include <string>

#include "common/pg/connection.hpp"

namespace wale::pg {

struct WalPosition {
  std::string lsn;          // as PostgreSQL prints it, "0/F000028"
  std::string file_name;    // the WAL file holding it
  std::string file_offset;  // decimal byte offset, zero-padded to 8 (WAL-E's lpad)
};

struct BackupStop {
  WalPosition position;
  std::string label_file;       // the backup_label a restore needs
  std::string tablespace_map;   // empty when the cluster has no tablespaces
};

class BackupSession {
 public:
  explicit BackupSession(const ConnectionParams& params);

  // The data directory the server runs on, as it reports it.
  std::string data_directory();
  std::string version_text();  // SELECT version(), for extended_version.txt

  WalPosition start(const std::string& label, bool fast_checkpoint);
  // Waits until the WAL the backup needs is archived, as WAL-E did.
  BackupStop stop();
  bool started() const { return started_; }

 private:
  Connection connection_;
  bool started_ = false;
};

}  // namespace wale::pg
