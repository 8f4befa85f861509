// What pg_controldata says about a stopped cluster, for --while-offline
// backups: the last checkpoint's REDO position, its WAL file and the
// segment size.
#pragma once

#include <cstdint>
#include <string>

namespace wale::pg {

struct ControlData {
  std::string state;          // "shut down", "in production", ...
  std::string redo_lsn;       // "0/2000028"
  std::string redo_wal_file;  // "000000010000000000000002"
  std::uint64_t segment_size = 0;
  std::string version;        // "PostgreSQL 15.20"
};

// Runs pg_controldata (from PATH, else PostgreSQL's versioned bin
// directory) with LC_ALL=C. Throws wale::Error naming what is missing.
ControlData read_control_data(const std::string& data_dir);

}  // namespace wale::pg
