#include "common/archive/backup_catalog.hpp"

#include <algorithm>
#include <charconv>

#include "common/core/error.hpp"

namespace wale::archive {

Sentinel fetch_sentinel(storage::BlobStore& store, const BackupName& backup) {
  const std::string key = sentinel_key(backup);
  StringSink text;
  LimitedSink bounded(text, kMaxSentinelBytes, store.url().url_for(key),
                      ", far more than any backup sentinel: it is damaged or not a sentinel");
  store.get(key, bounded);
  try {
    return parse_sentinel(text.data());
  } catch (const Error& e) {
    throw Error(e.kind(), store.url().url_for(key) + ": " + e.what());
  }
}

std::optional<std::uint64_t> partition_number(std::string_view file) {
  constexpr std::string_view kPrefix = "part_", kTar = ".tar";
  const auto compression = compression_of_key(file);
  if (!compression || !file.starts_with(kPrefix)) return std::nullopt;
  file.remove_suffix(codec_suffix(*compression).size());
  if (!file.ends_with(kTar)) return std::nullopt;
  const std::string_view digits = file.substr(kPrefix.size(), file.size() - kPrefix.size() - kTar.size());
  std::uint64_t n = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || r.ec != std::errc{} || r.ptr != digits.data() + digits.size()) return std::nullopt;
  return n;
}


std::vector<BackupEntry> list_backups(storage::BlobStore& store) {
  std::vector<BackupEntry> out;
  store.list(std::string(kBackupDirectory), [&](storage::ObjectInfo&& info) {
    std::string_view rest = info.key;
    rest.remove_prefix(kBackupDirectory.size());
    if (rest.find('/') != std::string_view::npos) return;
    const auto name = parse_sentinel_name(rest);
    if (!name) return;
    out.push_back(BackupEntry{*name, info.last_modified, info.mtime_ns});
  });
  return out;
}

std::optional<BackupEntry> select_backup(const std::vector<BackupEntry>& backups, std::string_view query) {
  if (query == "LATEST") {
    const BackupEntry* latest = nullptr;
    // Among equal times the one listed last wins, as in WAL-E's stable sort.
    for (const auto& b : backups)
      if (latest == nullptr || b.mtime_ns >= latest->mtime_ns) latest = &b;
    if (latest == nullptr) return std::nullopt;
    return *latest;
  }
  if (!parse_backup_name(query))
    throw Error(ErrorKind::usage, "invalid backup query submitted: '" + std::string(query) +
                                      "' is neither LATEST nor a backup name such as base_000000010000000000000002_00000040");
  for (const auto& b : backups)
    if (b.name.str() == query) return b;
  return std::nullopt;
}

std::vector<std::string> list_partitions(storage::BlobStore& store, const BackupName& backup) {
  const std::string dir = partition_directory(backup);
  std::vector<std::pair<std::uint64_t, std::string>> found;
  store.list(dir, [&](storage::ObjectInfo&& info) {
    const std::string_view file = std::string_view(info.key).substr(dir.size());
    if (const auto n = partition_number(file)) found.emplace_back(*n, info.key);
  });
  std::sort(found.begin(), found.end());
  std::vector<std::string> keys;
  for (auto& [n, key] : found) keys.push_back(std::move(key));
  return keys;
}

}  // namespace wale::archive
