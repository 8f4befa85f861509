// WAL-E's key layout, version 005 (shared/spec/wal-e-format.md §2). Keys are
// relative to the store's canonical prefix.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/codec/compression.hpp"
#include "common/pg/wal_name.hpp"

namespace wale::archive {

inline constexpr std::string_view kWalDirectory = "wal_005/";
inline constexpr std::string_view kBackupDirectory = "basebackups_005/";

// The one place that maps compressions to object suffixes and back: .lzo
// (WAL-E's), .lz4, .zst. Readers choose the decoder by suffix.
using codec::Compression;
std::string_view codec_suffix(Compression codec);
std::optional<Compression> codec_from_suffix(std::string_view suffix);
// The compression of any object key (WAL object or tar partition) by its
// last suffix; nullopt for keys with none of the three.
std::optional<Compression> compression_of_key(std::string_view key);

// wal_005/<file name>.<codec suffix>, for segments, .history, .backup and
// .partial files alike.
std::string wal_key(std::string_view wal_file_name, Compression codec = Compression::lzop);
// The keys a WAL file may be stored under, `preferred` (the configured
// compression: the likeliest) first, then the others in a fixed order.
std::array<std::string, 3> wal_key_candidates(std::string_view wal_file_name, Compression preferred);
// The WAL file name and codec of a key under wal_005/; nullopt for keys
// that are not of that shape.
struct WalObject {
  std::string file_name;
  Compression codec;
};
std::optional<WalObject> parse_wal_key(std::string_view key);

// base_<SEG24>_<OFF8>: the segment holding the backup's start position and
// the decimal byte offset into it, zero-padded to 8 digits (truncated to 8
// digits, as SQL lpad does, for offsets beyond that).
struct BackupName {
  pg::SegmentName start;
  std::string offset;  // 8 characters as they appear in the name
  std::string str() const;
};
BackupName make_backup_name(const pg::SegmentName& start, std::uint64_t offset_in_segment);
std::optional<BackupName> parse_backup_name(std::string_view name);

inline constexpr std::string_view kSentinelSuffix = "_backup_stop_sentinel.json";
std::string sentinel_key(const BackupName& backup);
// The backup a sentinel's file name (what follows basebackups_005/) names;
// nullopt for any other name.
std::optional<BackupName> parse_sentinel_name(std::string_view file);
std::string extended_version_key(const BackupName& backup);
std::string partition_directory(const BackupName& backup);
// .../tar_partitions/part_<NNNNNNNN>.tar<codec suffix>
std::string partition_key(const BackupName& backup, std::uint64_t number, Compression codec = Compression::lzop);

// How large an object may be once decoded, by its key. Real objects never
// come near: a WAL segment is one segment long (PostgreSQL's largest is
// 1 GiB), history and backup-history files are a few lines, and a tar
// partition holds at most 1.5 GiB of file data (WAL-E's limit, and this
// project's) plus a header or two per member. Beyond that an object is
// damaged or hostile (a decompression bomb), and decoding stops before it
// fills a disk.
inline constexpr std::uint64_t kMaxSegmentObjectBytes = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kMaxWalTextObjectBytes = std::uint64_t{16} << 20;
inline constexpr std::uint64_t kMaxPartitionObjectBytes = 1610612736 + (std::uint64_t{512} << 20);
inline constexpr std::uint64_t kMaxSentinelBytes = std::uint64_t{1} << 20;
struct DecodeLimit {
  std::uint64_t bytes;
  std::string_view reason;  // why no real object is larger, for the error message
};
DecodeLimit decode_limit(std::string_view key);

}  // namespace wale::archive
