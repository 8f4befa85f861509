// WAL file names and segment arithmetic (spec §2.1, §2.6, §6.3): parsing,
// printing, segment numbers for every segment size PostgreSQL accepts, log
// roll-over, timeline switches and pg_lsn parsing.
#include "common/pg/wal_name.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

using wale::pg::kDefaultSegmentSize;
using wale::pg::parse_lsn;
using wale::pg::parse_segment_name;
using wale::pg::parse_wal_file_name;
using wale::pg::SegmentGeometry;
using wale::pg::SegmentName;
using wale::pg::valid_segment_size;
using wale::pg::WalFileKind;

namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

SegmentName name_of(const std::string& text) {
  const auto parsed = parse_segment_name(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

}  // namespace

TEST_CASE("segment names print as 24 upper-case hex digits", "[pg]") {
  CHECK(SegmentName{1, 0, 0x17}.str() == "000000010000000000000017");
  CHECK(SegmentName{1, 0xA, 0xFE}.str() == "000000010000000A000000FE");
  CHECK(SegmentName{0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}.str() == "FFFFFFFFFFFFFFFFFFFFFFFF");
  CHECK(SegmentName{}.str() == "000000010000000000000000");
  CHECK(SegmentName{0xABCDEF01u, 2, 3}.str().size() == 24u);
}

TEST_CASE("segment names parse into timeline, log and segment", "[pg]") {
  const auto n = parse_segment_name("000000020000000A000000FE");
  REQUIRE(n.has_value());
  CHECK(n->timeline == 2u);
  CHECK(n->log == 0xAu);
  CHECK(n->segment == 0xFEu);
  CHECK(n->str() == "000000020000000A000000FE");

  const auto max = parse_segment_name("FFFFFFFFFFFFFFFFFFFFFFFF");
  REQUIRE(max.has_value());
  CHECK(max->timeline == 0xFFFFFFFFu);
  CHECK(max->log == 0xFFFFFFFFu);
  CHECK(max->segment == 0xFFFFFFFFu);

  // Every name prints back to itself.
  for (const char* text : {"000000010000000000000001", "00000001000000000000000F", "0000000A00000001000000FF",
                           "000000010000000100000FFF", "DEADBEEF0123456789ABCDEF"}) {
    const auto parsed = parse_segment_name(text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->str() == text);
  }
}

TEST_CASE("segment name parse failures", "[pg]") {
  CHECK_FALSE(parse_segment_name("").has_value());
  // lower-case hex is not a WAL file name (WAL-E's regex is [0-9A-F])
  CHECK_FALSE(parse_segment_name("00000001000000000000000f").has_value());
  CHECK_FALSE(parse_segment_name("0000000a0000000000000001").has_value());
  // 23 and 25 characters
  CHECK_FALSE(parse_segment_name("00000001000000000000001").has_value());
  CHECK_FALSE(parse_segment_name("0000000100000000000000010").has_value());
  // not hex
  CHECK_FALSE(parse_segment_name("00000001000000000000000G").has_value());
  CHECK_FALSE(parse_segment_name("0000000100000000 0000001").has_value());
  CHECK_FALSE(parse_segment_name("+00000010000000000000001").has_value());
  CHECK_FALSE(parse_segment_name("-00000010000000000000001").has_value());
  CHECK_FALSE(parse_segment_name("0x0000010000000000000001").has_value());
  // suffixes are not segments
  CHECK_FALSE(parse_segment_name("000000010000000000000001.partial").has_value());
  CHECK_FALSE(parse_segment_name("00000001.history").has_value());
}

TEST_CASE("valid segment sizes are the powers of two from 1 MiB to 1 GiB", "[pg]") {
  for (std::uint64_t size = kMiB; size <= kGiB; size *= 2) {
    INFO("size " << size);
    CHECK(valid_segment_size(size));
  }
  CHECK_FALSE(valid_segment_size(0));
  CHECK_FALSE(valid_segment_size(1));
  CHECK_FALSE(valid_segment_size(kMiB / 2));
  CHECK_FALSE(valid_segment_size(kMiB - 1));
  CHECK_FALSE(valid_segment_size(kMiB + 1));
  CHECK_FALSE(valid_segment_size(3 * kMiB));
  CHECK_FALSE(valid_segment_size(16 * kMiB + 1));
  CHECK_FALSE(valid_segment_size(2 * kGiB));
  CHECK_FALSE(valid_segment_size(kGiB + kMiB));
  CHECK_FALSE(valid_segment_size(std::uint64_t{1} << 40));
}

TEST_CASE("segments per log for every segment size", "[pg]") {
  struct Case {
    std::uint64_t size;
    std::uint32_t per_log;
  };
  const std::vector<Case> cases{
      {1 * kMiB, 4096}, {2 * kMiB, 2048}, {4 * kMiB, 1024}, {8 * kMiB, 512}, {16 * kMiB, 256},
      {32 * kMiB, 128}, {64 * kMiB, 64},  {128 * kMiB, 32}, {256 * kMiB, 16}, {512 * kMiB, 8},
      {1 * kGiB, 4},
  };
  for (const auto& c : cases) {
    INFO("size " << c.size);
    const SegmentGeometry g(c.size);
    CHECK(g.segment_size() == c.size);
    CHECK(g.segments_per_log() == c.per_log);
  }
  const SegmentGeometry def;
  CHECK(def.segment_size() == kDefaultSegmentSize);
  CHECK(def.segment_size() == 16 * kMiB);
  CHECK(def.segments_per_log() == 256u);
}

TEST_CASE("invalid segment sizes fall back to 16 MiB", "[pg]") {
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, kMiB / 2, kMiB + 1, 3 * kMiB, 16 * kMiB - 1,
                             2 * kGiB, std::uint64_t{1} << 40, ~std::uint64_t{0}}) {
    INFO("size " << size);
    const SegmentGeometry g(size);
    CHECK(g.segment_size() == 16 * kMiB);
    CHECK(g.segments_per_log() == 256u);
  }
}

TEST_CASE("next segment within a log and across the log boundary", "[pg]") {
  SECTION("16 MiB: ...FF rolls over to the next log") {
    const SegmentGeometry g(16 * kMiB);
    CHECK(g.next(name_of("000000010000000000000017")).str() == "000000010000000000000018");
    CHECK(g.next(name_of("0000000100000000000000FE")).str() == "0000000100000000000000FF");
    CHECK(g.next(name_of("0000000100000000000000FF")).str() == "000000010000000100000000");
    CHECK(g.next(name_of("000000010000000A000000FF")).str() == "000000010000000B00000000");
    CHECK(g.fits(name_of("0000000100000000000000FF")));
    CHECK_FALSE(g.fits(name_of("000000010000000000000100")));
  }
  SECTION("1 MiB: ...FFF rolls over to the next log") {
    const SegmentGeometry g(1 * kMiB);
    CHECK(g.next(name_of("0000000100000000000000FF")).str() == "000000010000000000000100");
    CHECK(g.next(name_of("000000010000000000000FFE")).str() == "000000010000000000000FFF");
    CHECK(g.next(name_of("000000010000000000000FFF")).str() == "000000010000000100000000");
    CHECK(g.fits(name_of("000000010000000000000FFF")));
    CHECK_FALSE(g.fits(name_of("000000010000000000001000")));
  }
  SECTION("64 MiB: ...3F rolls over to the next log") {
    const SegmentGeometry g(64 * kMiB);
    CHECK(g.next(name_of("00000001000000000000003E")).str() == "00000001000000000000003F");
    CHECK(g.next(name_of("00000001000000000000003F")).str() == "000000010000000100000000");
    CHECK_FALSE(g.fits(name_of("000000010000000000000040")));
  }
  SECTION("256 MiB: ...0F rolls over to the next log") {
    const SegmentGeometry g(256 * kMiB);
    CHECK(g.next(name_of("00000001000000000000000E")).str() == "00000001000000000000000F");
    CHECK(g.next(name_of("00000001000000000000000F")).str() == "000000010000000100000000");
    CHECK(g.next(name_of("00000001000000050000000F")).str() == "000000010000000600000000");
  }
  SECTION("1 GiB: ...03 rolls over to the next log") {
    const SegmentGeometry g(1 * kGiB);
    CHECK(g.next(name_of("000000010000000000000000")).str() == "000000010000000000000001");
    CHECK(g.next(name_of("000000010000000000000002")).str() == "000000010000000000000003");
    CHECK(g.next(name_of("000000010000000000000003")).str() == "000000010000000100000000");
    CHECK(g.fits(name_of("000000010000000000000003")));
    CHECK_FALSE(g.fits(name_of("000000010000000000000004")));
  }
}

TEST_CASE("next with several steps", "[pg]") {
  const SegmentGeometry g(16 * kMiB);
  const SegmentName start = name_of("0000000100000000000000F8");
  CHECK(g.next(start, 0) == start);
  CHECK(g.next(start, 7).str() == "0000000100000000000000FF");
  CHECK(g.next(start, 8).str() == "000000010000000100000000");
  CHECK(g.next(start, 8 + 256).str() == "000000010000000200000000");
  CHECK(g.next(start, 8 + 256 * 3 + 5).str() == "000000010000000400000005");
  // stepping one at a time gives the same names as stepping at once
  SegmentName walk = start;
  for (std::uint64_t i = 1; i <= 600; ++i) {
    walk = g.next(walk);
    REQUIRE(walk == g.next(start, i));
  }

  const SegmentGeometry small(1 * kMiB);
  CHECK(small.next(name_of("000000010000000000000000"), 4096).str() == "000000010000000100000000");
  CHECK(small.next(name_of("000000010000000000000FF0"), 0x20).str() == "000000010000000100000010");
}

TEST_CASE("timeline switch: same log and segment, different timeline", "[pg]") {
  const SegmentGeometry g(16 * kMiB);
  const SegmentName old_tli = name_of("000000010000000000000010");
  const SegmentName new_tli = name_of("000000020000000000000010");
  CHECK_FALSE(old_tli == new_tli);
  CHECK(old_tli.log == new_tli.log);
  CHECK(old_tli.segment == new_tli.segment);
  // The position-ordered number ignores the timeline.
  CHECK(g.segment_number(old_tli) == g.segment_number(new_tli));
  // next() keeps the timeline, also across a log boundary.
  CHECK(g.next(new_tli).str() == "000000020000000000000011");
  CHECK(g.next(new_tli).timeline == 2u);
  CHECK(g.next(name_of("0000000200000000000000FF")).str() == "000000020000000100000000");
  CHECK(g.next(name_of("0000000A00000003000000FF"), 2).str() == "0000000A0000000400000001");
  CHECK(g.next(old_tli).str() == "000000010000000000000011");

  const SegmentGeometry big(1 * kGiB);
  CHECK(big.next(name_of("000000030000000000000003")).str() == "000000030000000100000000");
}

TEST_CASE("segment_number and from_number round trip", "[pg]") {
  for (std::uint64_t size : {1 * kMiB, 16 * kMiB, 64 * kMiB, 256 * kMiB, 1 * kGiB}) {
    INFO("size " << size);
    const SegmentGeometry g(size);
    const std::uint64_t per_log = g.segments_per_log();
    CHECK(g.segment_number(SegmentName{1, 0, 0}) == 0u);
    CHECK(g.segment_number(SegmentName{1, 0, 1}) == 1u);
    CHECK(g.segment_number(SegmentName{1, 1, 0}) == per_log);
    CHECK(g.segment_number(SegmentName{7, 3, 2}) == 3 * per_log + 2);
    CHECK(g.from_number(1, per_log) == SegmentName{1, 1, 0});
    CHECK(g.from_number(1, per_log - 1) == SegmentName{1, 0, static_cast<std::uint32_t>(per_log - 1)});
    CHECK(g.from_number(5, 0) == SegmentName{5, 0, 0});
    for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, per_log - 1, per_log, per_log + 1, 10 * per_log + 3,
                            std::uint64_t{0xFFFFFFFF} * per_log + per_log - 1}) {
      INFO("number " << n);
      const SegmentName name = g.from_number(9, n);
      CHECK(name.timeline == 9u);
      CHECK(g.fits(name));
      CHECK(g.segment_number(name) == n);
      CHECK(g.from_number(9, g.segment_number(name)) == name);
    }
  }
}

TEST_CASE("containing() at segment boundaries", "[pg]") {
  SECTION("16 MiB") {
    const SegmentGeometry g(16 * kMiB);
    CHECK(g.containing(1, 0).str() == "000000010000000000000000");
    CHECK(g.containing(1, 0xFFFFFF).str() == "000000010000000000000000");
    CHECK(g.containing(1, 0x1000000).str() == "000000010000000000000001");
    CHECK(g.containing(1, 0x1000001).str() == "000000010000000000000001");
    CHECK(g.containing(1, 0xFEFFFFFF).str() == "0000000100000000000000FE");
    CHECK(g.containing(1, 0xFF000000).str() == "0000000100000000000000FF");
    CHECK(g.containing(1, 0xFFFFFFFF).str() == "0000000100000000000000FF");
    CHECK(g.containing(1, 0x100000000).str() == "000000010000000100000000");
    CHECK(g.containing(2, 0x16B374D848).str() == "0000000200000016000000B3");
  }
  SECTION("1 MiB") {
    const SegmentGeometry g(1 * kMiB);
    // The fixture backup: start LSN 0/F00028 lies in segment F.
    CHECK(g.containing(1, 0xF00028).str() == "00000001000000000000000F");
    CHECK(g.containing(1, 0xEFFFFF).str() == "00000001000000000000000E");
    CHECK(g.containing(1, 0xF00000).str() == "00000001000000000000000F");
    CHECK(g.containing(1, 0xFFFFFFFF).str() == "000000010000000000000FFF");
    CHECK(g.containing(1, 0x100000000).str() == "000000010000000100000000");
  }
  SECTION("1 GiB") {
    const SegmentGeometry g(1 * kGiB);
    CHECK(g.containing(1, 0x3FFFFFFF).str() == "000000010000000000000000");
    CHECK(g.containing(1, 0x40000000).str() == "000000010000000000000001");
    CHECK(g.containing(1, 0xC0000000).str() == "000000010000000000000003");
    CHECK(g.containing(1, 0xFFFFFFFF).str() == "000000010000000000000003");
    CHECK(g.containing(1, 0x100000000).str() == "000000010000000100000000");
    CHECK(g.containing(1, 0x140000000).str() == "000000010000000100000001");
  }
  SECTION("containing the first byte of a segment is that segment, for every size") {
    for (std::uint64_t size : {1 * kMiB, 16 * kMiB, 64 * kMiB, 256 * kMiB, 1 * kGiB}) {
      INFO("size " << size);
      const SegmentGeometry g(size);
      for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{g.segments_per_log()} - 1,
                              std::uint64_t{g.segments_per_log()}, std::uint64_t{g.segments_per_log()} * 7 + 1}) {
        CHECK(g.segment_number(g.containing(3, n * size)) == n);
        CHECK(g.segment_number(g.containing(3, n * size + size - 1)) == n);
        CHECK(g.containing(3, n * size).timeline == 3u);
      }
    }
  }
}

TEST_CASE("WAL file names: segments", "[pg]") {
  const auto f = parse_wal_file_name("000000010000000A000000FE");
  REQUIRE(f.has_value());
  CHECK(f->kind == WalFileKind::segment);
  CHECK(f->name == "000000010000000A000000FE");
  CHECK(f->segment == SegmentName{1, 0xA, 0xFE});
  CHECK(f->timeline == 1u);
}

TEST_CASE("WAL file names: .partial", "[pg]") {
  const auto f = parse_wal_file_name("000000010000000000000010.partial");
  REQUIRE(f.has_value());
  CHECK(f->kind == WalFileKind::partial);
  CHECK(f->name == "000000010000000000000010.partial");
  CHECK(f->segment == SegmentName{1, 0, 0x10});
  CHECK(f->timeline == 1u);

  CHECK_FALSE(parse_wal_file_name("00000001000000000000001.partial").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000001a.partial").has_value());
  CHECK_FALSE(parse_wal_file_name("000000010000000000000010.PARTIAL").has_value());
  CHECK_FALSE(parse_wal_file_name("000000010000000000000010.partial.lzo").has_value());
  CHECK_FALSE(parse_wal_file_name("000000010000000000000010partial").has_value());
}

TEST_CASE("WAL file names: .history", "[pg]") {
  const auto f = parse_wal_file_name("00000002.history");
  REQUIRE(f.has_value());
  CHECK(f->kind == WalFileKind::history);
  CHECK(f->name == "00000002.history");
  CHECK(f->timeline == 2u);

  const auto g = parse_wal_file_name("0000001A.history");
  REQUIRE(g.has_value());
  CHECK(g->kind == WalFileKind::history);
  CHECK(g->timeline == 0x1Au);

  CHECK_FALSE(parse_wal_file_name("0000001a.history").has_value());
  CHECK_FALSE(parse_wal_file_name("0000002.history").has_value());
  CHECK_FALSE(parse_wal_file_name("000000002.history").has_value());
  CHECK_FALSE(parse_wal_file_name("00000002.HISTORY").has_value());
  CHECK_FALSE(parse_wal_file_name("0000000G.history").has_value());
  CHECK_FALSE(parse_wal_file_name(".history").has_value());
}

TEST_CASE("WAL file names: .backup history files", "[pg]") {
  const auto f = parse_wal_file_name("00000001000000000000000F.00000028.backup");
  REQUIRE(f.has_value());
  CHECK(f->kind == WalFileKind::backup_history);
  CHECK(f->name == "00000001000000000000000F.00000028.backup");
  CHECK(f->segment == SegmentName{1, 0, 0xF});
  CHECK(f->timeline == 1u);

  CHECK(parse_wal_file_name("000000030000000A000000FE.00ABCDEF.backup").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000000F.0000002a.backup").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000000F.0000028.backup").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000000F.000000028.backup").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000000F_00000028.backup").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000000F.00000028.BACKUP").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000000f.00000028.backup").has_value());
  CHECK_FALSE(parse_wal_file_name("00000001000000000000000F.backup").has_value());
}

TEST_CASE("WAL file names: anything else is rejected", "[pg]") {
  for (const char* text : {"", "garbage", "000000010000000000000001.lzo", "000000010000000000000001.ready",
                           "000000010000000000000001.done", "00000001000000000000000", "0000000100000000000000010",
                           "archive_status", "00000001000000000000000f", ".000000010000000000000001",
                           "000000010000000000000001 ", "RECOVERYHISTORY", "RECOVERYXLOG"}) {
    INFO("name '" << text << "'");
    CHECK_FALSE(parse_wal_file_name(text).has_value());
  }
}

TEST_CASE("parse_lsn accepts PostgreSQL's X/Y notation", "[pg]") {
  CHECK(parse_lsn("0/F00028") == std::optional<std::uint64_t>{0xF00028});
  CHECK(parse_lsn("0/0") == std::optional<std::uint64_t>{0});
  CHECK(parse_lsn("16/B374D848") == std::optional<std::uint64_t>{0x16B374D848});
  CHECK(parse_lsn("1/0") == std::optional<std::uint64_t>{0x100000000});
  CHECK(parse_lsn("FFFFFFFF/FFFFFFFF") == std::optional<std::uint64_t>{~std::uint64_t{0}});
  // pg_lsn output is upper case, but its input accepts lower case too
  CHECK(parse_lsn("0/f00028") == std::optional<std::uint64_t>{0xF00028});
  CHECK(parse_lsn("00000000/00F00028") == std::optional<std::uint64_t>{0xF00028});

  // round trip with containing()
  const auto lsn = parse_lsn("0/F00028");
  REQUIRE(lsn.has_value());
  const SegmentGeometry g(1 * kMiB);
  CHECK(g.containing(1, *lsn).str() == "00000001000000000000000F");
  CHECK(*lsn % g.segment_size() == 40u);
}

TEST_CASE("parse_lsn errors", "[pg]") {
  for (const char* text : {"", "/", "0/", "/0", "0F00028", "0/F00028x", "x0/F00028", "1/2/3", "0//1", "0/ 1",
                           " 0/1", "0/1 ", "-1/0", "0/-1", "+1/0", "0x1/0", "0/0x1", "G/0", "0/G",
                           "100000000/0", "0/100000000", "0:F00028", "0.F00028"}) {
    INFO("lsn '" << text << "'");
    CHECK_FALSE(parse_lsn(text).has_value());
  }
}
