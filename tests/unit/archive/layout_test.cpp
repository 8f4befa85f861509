// WAL-E's key layout, version 005 (spec §2.1, §2.2, §2.5, §2.6): WAL keys,
// backup names with their decimal lpad()-style offset, sentinel and
// partition keys, exactly as in the WAL-E fixture archive.
#include "common/archive/layout.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/archive/backup_catalog.hpp"
#include "common/pg/wal_name.hpp"

using wale::archive::BackupName;
using wale::archive::Compression;
using wale::archive::codec_from_suffix;
using wale::archive::codec_suffix;
using wale::archive::extended_version_key;
using wale::archive::kBackupDirectory;
using wale::archive::kWalDirectory;
using wale::archive::make_backup_name;
using wale::archive::parse_backup_name;
using wale::archive::parse_wal_key;
using wale::archive::partition_directory;
using wale::archive::partition_key;
using wale::archive::sentinel_key;
using wale::archive::wal_key;
using wale::archive::wal_key_candidates;
using wale::archive::compression_of_key;
using wale::archive::partition_number;
using wale::pg::SegmentGeometry;
using wale::pg::SegmentName;

namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

BackupName fixture_backup() { return make_backup_name(SegmentName{1, 0, 0xF}, 40); }

}  // namespace

TEST_CASE("layout directories", "[archive]") {
  CHECK(kWalDirectory == "wal_005/");
  CHECK(kBackupDirectory == "basebackups_005/");
}

TEST_CASE("codec suffixes", "[archive]") {
  CHECK(codec_suffix(Compression::lzop) == ".lzo");
  CHECK(codec_suffix(Compression::lz4) == ".lz4");
  CHECK(codec_suffix(Compression::zstd) == ".zst");
  CHECK(codec_from_suffix(".lzo") == std::optional<Compression>{Compression::lzop});
  CHECK(codec_from_suffix(".lz4") == std::optional<Compression>{Compression::lz4});
  CHECK(codec_from_suffix(".zst") == std::optional<Compression>{Compression::zstd});
  CHECK_FALSE(codec_from_suffix("lzo").has_value());
  CHECK_FALSE(codec_from_suffix(".LZO").has_value());
  CHECK_FALSE(codec_from_suffix(".gz").has_value());
  CHECK_FALSE(codec_from_suffix(".zstd").has_value());
  CHECK_FALSE(codec_from_suffix("").has_value());
}

TEST_CASE("WAL keys for every kind of WAL file", "[archive]") {
  // spec §2.6
  CHECK(wal_key("000000010000000000000017") == "wal_005/000000010000000000000017.lzo");
  CHECK(wal_key("00000002.history") == "wal_005/00000002.history.lzo");
  CHECK(wal_key("00000001000000000000000F.00000028.backup") == "wal_005/00000001000000000000000F.00000028.backup.lzo");
  CHECK(wal_key("000000010000000000000010.partial") == "wal_005/000000010000000000000010.partial.lzo");
  CHECK(wal_key("000000020000000000000010", Compression::lzop) == "wal_005/000000020000000000000010.lzo");
  CHECK(wal_key("000000020000000000000010", Compression::lz4) == "wal_005/000000020000000000000010.lz4");
  CHECK(wal_key("000000020000000000000010", Compression::zstd) == "wal_005/000000020000000000000010.zst");
}

TEST_CASE("parse_wal_key recovers the file name and codec", "[archive]") {
  for (const char* name : {"000000010000000000000017", "00000002.history", "00000001000000000000000F.00000028.backup",
                           "000000010000000000000010.partial"}) {
    for (Compression codec : {Compression::lzop, Compression::lz4, Compression::zstd}) {
      INFO(name << " " << codec_suffix(codec));
      const auto parsed = parse_wal_key(wal_key(name, codec));
      REQUIRE(parsed.has_value());
      CHECK(parsed->file_name == name);
      CHECK(parsed->codec == codec);
    }
  }
}

TEST_CASE("parse_wal_key rejects keys of another shape", "[archive]") {
  CHECK_FALSE(parse_wal_key("000000010000000000000017.lzo").has_value());
  CHECK_FALSE(parse_wal_key("wal_005/000000010000000000000017").has_value());
  CHECK_FALSE(parse_wal_key("wal_005/000000010000000000000017.gz").has_value());
  CHECK_FALSE(parse_wal_key("wal_005/sub/000000010000000000000017.lzo").has_value());
  CHECK_FALSE(parse_wal_key("wal_004/000000010000000000000017.lzo").has_value());
  CHECK_FALSE(parse_wal_key("basebackups_005/000000010000000000000017.lzo").has_value());
  CHECK_FALSE(parse_wal_key("x/wal_005/000000010000000000000017.lzo").has_value());
  CHECK_FALSE(parse_wal_key("").has_value());
}

TEST_CASE("backup name of the fixture archive", "[archive]") {
  // spec §2.2: start LSN 0/F00028 with 1 MiB segments => offset 40 (decimal).
  const SegmentGeometry g(1 * kMiB);
  const auto lsn = wale::pg::parse_lsn("0/F00028");
  REQUIRE(lsn.has_value());
  const BackupName b = make_backup_name(g.containing(1, *lsn), *lsn % g.segment_size());
  CHECK(b.str() == "base_00000001000000000000000F_00000040");
  CHECK(b.offset == "00000040");
  CHECK(b.start == SegmentName{1, 0, 0xF});
}

TEST_CASE("backup name offsets are decimal, zero-padded to 8 characters", "[archive]") {
  const SegmentName s{1, 0, 0xF};
  CHECK(make_backup_name(s, 0).offset == "00000000");
  CHECK(make_backup_name(s, 1).offset == "00000001");
  CHECK(make_backup_name(s, 40).offset == "00000040");
  CHECK(make_backup_name(s, 0x28).offset == "00000040");
  CHECK(make_backup_name(s, 312).offset == "00000312");
  CHECK(make_backup_name(s, 16777215).offset == "16777215");  // last byte of a 16 MiB segment
  CHECK(make_backup_name(s, 67108863).offset == "67108863");  // last byte of a 64 MiB segment
  CHECK(make_backup_name(s, 99999999).offset == "99999999");
  CHECK(make_backup_name(s, 40).str() == "base_00000001000000000000000F_00000040");
}

TEST_CASE("backup name offsets of 9 or more digits keep the first 8, as SQL lpad does", "[archive]") {
  const SegmentName s{1, 0, 0x3};
  CHECK(make_backup_name(s, 100000000).offset == "10000000");
  CHECK(make_backup_name(s, 123456789).offset == "12345678");
  CHECK(make_backup_name(s, 268435455).offset == "26843545");   // last byte of a 256 MiB segment
  CHECK(make_backup_name(s, 1073741823).offset == "10737418");  // last byte of a 1 GiB segment
  CHECK(make_backup_name(s, 123456789).str() == "base_000000010000000000000003_12345678");
  CHECK(make_backup_name(s, 123456789).str().size() == 5u + 24u + 1u + 8u);
}

TEST_CASE("parse_backup_name", "[archive]") {
  const auto b = parse_backup_name("base_00000001000000000000000F_00000040");
  REQUIRE(b.has_value());
  CHECK(b->start == SegmentName{1, 0, 0xF});
  CHECK(b->offset == "00000040");
  CHECK(b->str() == "base_00000001000000000000000F_00000040");

  // WAL-E's pattern accepts upper-case hex in the offset.
  const auto hex = parse_backup_name("base_000000020000000A000000FE_0000ABCD");
  REQUIRE(hex.has_value());
  CHECK(hex->offset == "0000ABCD");
  CHECK(hex->start == SegmentName{2, 0xA, 0xFE});

  // Round trip of what make_backup_name writes.
  const BackupName made = make_backup_name(SegmentName{3, 0x16, 0xB3}, 123456789);
  const auto again = parse_backup_name(made.str());
  REQUIRE(again.has_value());
  CHECK(again->str() == made.str());
}

TEST_CASE("parse_backup_name rejects other names", "[archive]") {
  for (const char* text : {"", "base_", "base_00000001000000000000000F", "base_00000001000000000000000F_0000040",
                           "base_00000001000000000000000F_000000400", "base_00000001000000000000000f_00000040",
                           "base_00000001000000000000000F_0000abcd", "base_00000001000000000000000F-00000040",
                           "BASE_00000001000000000000000F_00000040", "bse_00000001000000000000000F_000000400",
                           "base_0000000100000000000000F_000000040", "base_00000001000000000000000F_0000004G",
                           "base_00000001000000000000000F_00000040_backup_stop_sentinel.json",
                           "base_00000001000000000000000F_00000040/"}) {
    INFO("name '" << text << "'");
    CHECK_FALSE(parse_backup_name(text).has_value());
  }
}

TEST_CASE("sentinel, extended_version and partition keys", "[archive]") {
  // spec §2.1, the fixture archive's exact keys
  const BackupName b = fixture_backup();
  CHECK(sentinel_key(b) == "basebackups_005/base_00000001000000000000000F_00000040_backup_stop_sentinel.json");
  CHECK(extended_version_key(b) == "basebackups_005/base_00000001000000000000000F_00000040/extended_version.txt");
  CHECK(partition_directory(b) == "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/");
  CHECK(partition_key(b, 0) ==
        "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000000.tar.lzo");
  CHECK(partition_key(b, 1) ==
        "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000001.tar.lzo");
  CHECK(partition_key(b, 12) ==
        "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000012.tar.lzo");
  CHECK(partition_key(b, 99999999) ==
        "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_99999999.tar.lzo");
  // the sentinel is a sibling of the backup directory, not inside it
  CHECK_FALSE(sentinel_key(b).starts_with(partition_directory(b)));
  CHECK(partition_key(b, 3).starts_with(partition_directory(b)));
}

TEST_CASE("the keys a WAL file may be under: the configured compression's first", "[archive]") {
  const std::string n = "000000010000000000000017";
  using Keys = std::array<std::string, 3>;
  CHECK(wal_key_candidates(n, Compression::lzop) == Keys{wal_key(n, Compression::lzop), wal_key(n, Compression::lz4), wal_key(n, Compression::zstd)});
  CHECK(wal_key_candidates(n, Compression::lz4) == Keys{wal_key(n, Compression::lz4), wal_key(n, Compression::lzop), wal_key(n, Compression::zstd)});
  CHECK(wal_key_candidates(n, Compression::zstd) == Keys{wal_key(n, Compression::zstd), wal_key(n, Compression::lzop), wal_key(n, Compression::lz4)});
}

TEST_CASE("the compression of any key is its last suffix", "[archive]") {
  CHECK(compression_of_key("wal_005/000000010000000000000017.lzo") == Compression::lzop);
  CHECK(compression_of_key("wal_005/00000002.history.zst") == Compression::zstd);
  CHECK(compression_of_key("basebackups_005/base_x/tar_partitions/part_00000001.tar.lz4") == Compression::lz4);
  CHECK_FALSE(compression_of_key("basebackups_005/base_x_backup_stop_sentinel.json").has_value());
  CHECK_FALSE(compression_of_key("basebackups_005/base_x/extended_version.txt").has_value());
  CHECK_FALSE(compression_of_key("wal_005/000000010000000000000017").has_value());
  CHECK_FALSE(compression_of_key("").has_value());
}

TEST_CASE("partition keys and numbers for every compression", "[archive]") {
  const BackupName b = fixture_backup();
  CHECK(partition_key(b, 7, Compression::lz4) ==
        "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000007.tar.lz4");
  CHECK(partition_key(b, 7, Compression::zstd) ==
        "basebackups_005/base_00000001000000000000000F_00000040/tar_partitions/part_00000007.tar.zst");
  CHECK(partition_number("part_00000007.tar.lzo") == 7u);
  CHECK(partition_number("part_00000007.tar.lz4") == 7u);
  CHECK(partition_number("part_00000007.tar.zst") == 7u);
  CHECK(partition_number("part_12.tar.zst") == 12u);  // WAL-E 0.6's unpadded numbers, whatever the suffix
  CHECK_FALSE(partition_number("part_00000007.tar.gz").has_value());
  CHECK_FALSE(partition_number("part_00000007.lz4").has_value());
  CHECK_FALSE(partition_number("part_00000007.tar").has_value());
  CHECK_FALSE(partition_number("part_.tar.zst").has_value());
  CHECK_FALSE(partition_number("part_x.tar.lz4").has_value());
}
