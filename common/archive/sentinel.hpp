// The backup sentinel, basebackups_005/base_..._backup_stop_sentinel.json:
// written last, its existence is what makes a backup complete
// (shared/spec/wal-e-format.md §2.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wale::archive {

struct TablespaceSpec {
  std::string oid;
  std::string location;  // "loc", with a trailing '/'
  std::string link;      // "pg_tblspc/<oid>"
};

// The restore specification (§3.6): where the data directory and each
// tablespace go.
struct RestoreSpec {
  std::string base_prefix;  // with a trailing '/', or empty
  std::vector<TablespaceSpec> tablespaces;
};

struct Sentinel {
  std::string stop_segment;  // wal_segment_backup_stop
  std::string stop_offset;   // wal_segment_offset_backup_stop, 8 characters
  std::uint64_t expanded_size_bytes = 0;
  std::optional<RestoreSpec> spec;  // absent in sentinels written before WAL-E 0.7
  // How many partitions the backup has (this project writes it; WAL-E does
  // not, and ignores it): lets verify notice a missing last partition.
  std::optional<std::uint64_t> partitions;
};

// Exactly what WAL-E writes: Python json.dumps with its default separators,
// keys in WAL-E's order, no trailing newline.
std::string sentinel_json(const Sentinel& sentinel);

// Tolerates a missing spec and unknown keys. Throws wale::Error(corrupt).
Sentinel parse_sentinel(std::string_view json);

// A restore specification from JSON (--restore-spec FILE), merged over
// `base` the way WAL-E merges it (top-level keys of the file win).
RestoreSpec merge_restore_spec(const RestoreSpec& base, std::string_view json);

}  // namespace wale::archive
