// What a base backup takes from a data directory, in WAL-E's way
// (shared/spec/wal-e-format.md §3.1-3.4): the files and directories to
// archive with their sizes at scan time, the tablespaces reached through
// pg_tblspc, and the split into tar partitions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wale::pg {

struct ScannedEntry {
  enum class Kind { file, directory, symlink };
  Kind kind = Kind::file;
  std::string name;     // the member name: relative to the data directory, '/'-separated
  std::string path;     // where to read it now (tablespace contents through their link)
  std::uint64_t size = 0;  // regular files: the size at scan time
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime = 0;
  std::uint32_t mtime_nsec = 0;
  std::string link_target;  // symlinks
};

struct Tablespace {
  std::string oid;       // the name under pg_tblspc
  std::string location;  // the link's target, with a trailing '/'
};

struct DataDirectoryScan {
  std::string root;  // absolute, without a trailing '/'
  std::vector<ScannedEntry> entries;
  std::vector<Tablespace> tablespaces;
  std::uint64_t total_bytes = 0;  // sum of regular-file sizes
};

// Scans `data_dir` (absolute). Throws wale::Error(usage) when it is not a
// PostgreSQL data directory (no PG_VERSION or global/pg_control).
DataDirectoryScan scan_data_directory(const std::string& data_dir);

// WAL-E's limits: a partition holds at most 1.5 GiB of file data and 6144
// members; a larger single file is an error.
inline constexpr std::uint64_t kPartitionMaxBytes = 1610612736;
inline constexpr std::size_t kPartitionMaxMembers = 6144;

struct Partition {
  std::vector<std::size_t> members;  // indexes into DataDirectoryScan::entries
  std::uint64_t bytes = 0;
};

std::vector<Partition> partition_scan(const DataDirectoryScan& scan, std::uint64_t max_bytes = kPartitionMaxBytes,
                                      std::size_t max_members = kPartitionMaxMembers);

// True when `dir` holds nothing but (optionally) lost+found.
bool directory_is_empty(const std::string& dir);

}  // namespace wale::pg
