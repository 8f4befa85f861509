// Finding base backups in an archive the way WAL-E does (spec §2.8): a
// backup is complete when its sentinel exists; LATEST is the backup whose
// sentinel was modified last.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/archive/layout.hpp"
#include "common/archive/sentinel.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::archive {

struct BackupEntry {
  BackupName name;
  std::string last_modified;  // the sentinel's, as the store prints it
  std::int64_t mtime_ns = 0;
};

// Complete backups, in the store's listing order.
std::vector<BackupEntry> list_backups(storage::BlobStore& store);

// A backup name or LATEST. nullopt when no backup matches; throws
// wale::Error(usage) "invalid backup query submitted" for anything else.
std::optional<BackupEntry> select_backup(const std::vector<BackupEntry>& backups, std::string_view query);

// Downloads and parses a backup's sentinel. Throws wale::Error(corrupt)
// for one that is not a sentinel (malformed, nested too deep, or larger
// than kMaxSentinelBytes: a real one is a few hundred bytes).
Sentinel fetch_sentinel(storage::BlobStore& store, const BackupName& backup);

// The number of a partition file name: part_00000012.tar.lzo and WAL-E
// 0.6's unpadded part_12.tar.lzo, and .tar.lz4 and .tar.zst alike; nullopt
// for other names.
std::optional<std::uint64_t> partition_number(std::string_view file);

// The partition keys of a backup, in partition-number order (both
// part_00000012.tar.lzo and WAL-E 0.6's part_12.tar.lzo, whatever the
// compression suffix).
std::vector<std::string> list_partitions(storage::BlobStore& store, const BackupName& backup);

}  // namespace wale::archive
