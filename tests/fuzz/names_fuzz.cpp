// libFuzzer target for every name wal-e parses from the store or from its
// user: WAL file names and LSNs, WAL keys, backup names, sentinel and
// partition file names, store prefixes and WALE_S3_ENDPOINT. Each parser
// answers nullopt, wale::Error(usage) or a value that prints back to a name
// it parses again to the same value; the decode limit of any key is one of
// the archive's limits.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "common/archive/backup_catalog.hpp"
#include "common/archive/layout.hpp"
#include "common/core/error.hpp"
#include "common/pg/wal_name.hpp"
#include "common/storage/s3/s3_settings.hpp"
#include "common/storage/store_url.hpp"

namespace {

using namespace wale;

void wal_names(std::string_view s) {
  if (const auto seg = pg::parse_segment_name(s)) {
    if (seg->str() != s) __builtin_trap();
    const pg::SegmentGeometry geometry;
    if (geometry.fits(*seg)) {
      const auto number = geometry.segment_number(*seg);
      if (!(geometry.from_number(seg->timeline, number) == *seg)) __builtin_trap();
    }
  }
  if (const auto file = pg::parse_wal_file_name(s)) {
    if (file->name != s) __builtin_trap();
    for (const auto compression : {archive::Compression::lzop, archive::Compression::lz4, archive::Compression::zstd}) {
      const auto object = archive::parse_wal_key(archive::wal_key(s, compression));
      if (!object || object->file_name != s || object->codec != compression) __builtin_trap();
    }
  }
  if (const auto lsn = pg::parse_lsn(s)) {
    char text[32];
    std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(*lsn >> 32), static_cast<unsigned>(*lsn));
    if (pg::parse_lsn(text) != lsn) __builtin_trap();
  }
}

void archive_names(std::string_view s) {
  if (const auto object = archive::parse_wal_key(s)) {
    if (archive::wal_key(object->file_name, object->codec) != s) __builtin_trap();
  }
  if (const auto backup = archive::parse_backup_name(s)) {
    const auto again = archive::parse_backup_name(backup->str());
    if (!again || again->str() != backup->str()) __builtin_trap();
    const auto sentinel = archive::parse_sentinel_name(archive::sentinel_key(*backup).substr(archive::kBackupDirectory.size()));
    if (!sentinel || sentinel->str() != backup->str()) __builtin_trap();
  }
  if (const auto backup = archive::parse_sentinel_name(s)) {
    if (std::string(backup->str()) + std::string(archive::kSentinelSuffix) != s) __builtin_trap();
  }
  if (const auto n = archive::partition_number(s)) {
    const auto again = archive::partition_number(archive::partition_key(archive::BackupName{}, *n).substr(
        archive::partition_key(archive::BackupName{}, *n).rfind('/') + 1));
    if (again != n) __builtin_trap();
  }
  const auto limit = archive::decode_limit(s);
  if (limit.bytes != archive::kMaxSegmentObjectBytes && limit.bytes != archive::kMaxWalTextObjectBytes &&
      limit.bytes != archive::kMaxPartitionObjectBytes)
    __builtin_trap();
}

void places(std::string_view s) {
  try {
    const auto url = storage::parse_store_url(s);
    const auto again = storage::parse_store_url(url.text);
    if (!again.same_place(url)) __builtin_trap();
    if (!url.path_prefix.empty() && url.path_prefix.back() != '/') __builtin_trap();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage) __builtin_trap();
  }
  storage::s3::S3Settings settings;
  try {
    storage::s3::parse_s3_endpoint(s, settings);
    if (settings.endpoint.host.empty() || settings.endpoint.port == 0) __builtin_trap();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage) __builtin_trap();
  }
  (void)storage::s3::dns_compatible_bucket(s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  wal_names(input);
  archive_names(input);
  places(input);
  return 0;
}
