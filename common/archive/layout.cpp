#include "common/archive/layout.hpp"

#include <cstdio>

namespace wale::archive {

std::string_view codec_suffix(Compression codec) {
  switch (codec) {
    case Compression::lzop: return ".lzo";
    case Compression::lz4: return ".lz4";
    case Compression::zstd: return ".zst";
  }
  return ".lzo";
}

std::optional<Compression> codec_from_suffix(std::string_view suffix) {
  for (const auto c : codec::kCompressions)
    if (codec_suffix(c) == suffix) return c;
  return std::nullopt;
}

std::optional<Compression> compression_of_key(std::string_view key) {
  const auto dot = key.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return codec_from_suffix(key.substr(dot));
}

std::string wal_key(std::string_view wal_file_name, Compression codec) {
  std::string key(kWalDirectory);
  key += wal_file_name;
  key += codec_suffix(codec);
  return key;
}

std::array<std::string, 3> wal_key_candidates(std::string_view wal_file_name, Compression preferred) {
  std::array<std::string, 3> keys;
  std::size_t n = 0;
  keys[n++] = wal_key(wal_file_name, preferred);
  for (const auto c : codec::kCompressions)
    if (c != preferred) keys[n++] = wal_key(wal_file_name, c);
  return keys;
}

std::optional<WalObject> parse_wal_key(std::string_view key) {
  if (!key.starts_with(kWalDirectory)) return std::nullopt;
  key.remove_prefix(kWalDirectory.size());
  const auto dot = key.rfind('.');
  if (dot == std::string_view::npos || key.find('/') != std::string_view::npos) return std::nullopt;
  const auto codec = codec_from_suffix(key.substr(dot));
  if (!codec) return std::nullopt;
  return WalObject{std::string(key.substr(0, dot)), *codec};
}

std::string BackupName::str() const { return "base_" + start.str() + "_" + offset; }

BackupName make_backup_name(const pg::SegmentName& start, std::uint64_t offset_in_segment) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08llu", static_cast<unsigned long long>(offset_in_segment));
  return BackupName{start, std::string(buf, 8)};
}

std::optional<BackupName> parse_backup_name(std::string_view name) {
  // base_ + 24 + _ + 8; WAL-E's pattern accepts upper-case hex in the offset.
  if (name.size() != 5 + 24 + 1 + 8 || !name.starts_with("base_") || name[29] != '_') return std::nullopt;
  auto start = pg::parse_segment_name(name.substr(5, 24));
  if (!start) return std::nullopt;
  for (char c : name.substr(30))
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return std::nullopt;
  return BackupName{*start, std::string(name.substr(30))};
}

std::string sentinel_key(const BackupName& backup) { return std::string(kBackupDirectory) + backup.str() + std::string(kSentinelSuffix); }

std::optional<BackupName> parse_sentinel_name(std::string_view file) {
  if (!file.ends_with(kSentinelSuffix)) return std::nullopt;
  return parse_backup_name(file.substr(0, file.size() - kSentinelSuffix.size()));
}

std::string extended_version_key(const BackupName& backup) {
  return std::string(kBackupDirectory) + backup.str() + "/extended_version.txt";
}

std::string partition_directory(const BackupName& backup) {
  return std::string(kBackupDirectory) + backup.str() + "/tar_partitions/";
}

std::string partition_key(const BackupName& backup, std::uint64_t number, Compression codec) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "part_%08llu.tar", static_cast<unsigned long long>(number));
  return partition_directory(backup) + buf + std::string(codec_suffix(codec));
}

namespace {

enum class ObjectClass { segment, wal_text, partition, other };

ObjectClass classify(std::string_view key) {
  if (const auto wal = parse_wal_key(key)) {
    const auto file = pg::parse_wal_file_name(wal->file_name);
    const bool text = file && (file->kind == pg::WalFileKind::history || file->kind == pg::WalFileKind::backup_history);
    return text ? ObjectClass::wal_text : ObjectClass::segment;
  }
  if (key.starts_with(kBackupDirectory) && key.find("/tar_partitions/") != std::string_view::npos) return ObjectClass::partition;
  return ObjectClass::other;
}

}  // namespace

DecodeLimit decode_limit(std::string_view key) {
  switch (classify(key)) {
    case ObjectClass::segment:
      return {kMaxSegmentObjectBytes, ", more than any WAL segment: it is damaged, or a decompression bomb"};
    case ObjectClass::wal_text:
      return {kMaxWalTextObjectBytes, ", more than any history file: it is damaged, or a decompression bomb"};
    case ObjectClass::partition:
      return {kMaxPartitionObjectBytes,
              ", more than a base-backup partition holds (1.5 GiB of files plus headers): it is damaged, or a decompression bomb"};
    case ObjectClass::other: break;
  }
  return {kMaxWalTextObjectBytes, ": it is damaged, or a decompression bomb"};
}

}  // namespace wale::archive
