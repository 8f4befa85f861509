// Which files wal-push may read: a WAL file lying directly in a directory
// named pg_wal (or pg_xlog) that has an archive_status subdirectory — the
// layout PostgreSQL gives archive_command, including a symlinked pg_wal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "common/pg/wal_name.hpp"

namespace wale::pg {

// What identifies one version of a file cheaply: a segment archived with
// this identity needs no second look.
struct FileIdentity {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

struct WalSource {
  std::string path;     // absolute, lexically normalised
  std::string wal_dir;  // the pg_wal directory holding it
  WalFileName name;
  FileIdentity identity;
};

// Resolves `%p` against the caller's working directory and checks it.
// Throws wale::Error: usage when the path is not a WAL file in pg_wal,
// not_found when the file does not exist.
WalSource resolve_wal_source(const std::string& cwd, const std::string& given);

// Re-examines a file already resolved; not_found when it vanished.
FileIdentity identify(const std::string& path);
// The same from a stat the caller made.
FileIdentity identity_of(const struct stat& st);

// Segment names with a .ready status file, sorted, without `exclude`,
// at most `limit` of them.
std::vector<std::string> ready_segments(const std::string& wal_dir, const std::string& exclude, std::size_t limit);

}  // namespace wale::pg
