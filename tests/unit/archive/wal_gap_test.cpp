// The gap marker wal-ed writes when its drop policy gives WAL up: its key
// never looks like a WAL object to WAL-E or to this project, and its JSON
// reads back.
#include <catch2/catch.hpp>

#include "common/archive/layout.hpp"
#include "common/archive/wal_gap.hpp"
#include "common/core/error.hpp"

using wale::archive::gap_key;
using wale::archive::parse_gap_key;
using wale::pg::SegmentName;

TEST_CASE("a gap key names its range and nothing else", "[archive][gap]") {
  const SegmentName first{1, 0xA, 0xFE}, last{1, 0xB, 0x02};
  const auto key = gap_key(first, last);
  CHECK(key == "wal_005/000000010000000A000000FE_000000010000000B00000002.gap.json");
  const auto range = parse_gap_key(key);
  REQUIRE(range);
  CHECK(range->first == first);
  CHECK(range->last == last);
  // Not a WAL object: wal-fetch, delete and verify never take it for one.
  CHECK_FALSE(wale::archive::parse_wal_key(key));
  CHECK_FALSE(parse_gap_key("wal_005/000000010000000A000000FE.lzo"));
  CHECK_FALSE(parse_gap_key("wal_005/000000010000000B00000002_000000010000000A000000FE.gap.json"));  // reversed
  CHECK_FALSE(parse_gap_key("wal_005/000000010000000A000000FE_000000020000000B00000002.gap.json"));  // two timelines
  CHECK_FALSE(parse_gap_key("basebackups_005/000000010000000A000000FE_000000010000000B00000002.gap.json"));
}

TEST_CASE("a gap record round-trips through its JSON", "[archive][gap]") {
  const wale::archive::WalGap gap{.first = SegmentName{3, 0, 7}, .last = SegmentName{3, 0, 9}, .segments = 3,
                                  .first_dropped_at = "2026-11-25T10:00:00Z", .last_dropped_at = "2026-11-25T10:02:00Z",
                                  .host = "db1", .pg_wal = "/var/lib/postgresql/15/main/pg_wal",
                                  .reason = "the backlog exceeded 90%"};
  const auto text = wale::archive::encode_gap(gap);
  CHECK(text.find("archive has a gap from 000000030000000000000007 to 000000030000000000000009; take a new base backup") !=
        std::string::npos);
  const auto back = wale::archive::decode_gap(text);
  CHECK(back.first == gap.first);
  CHECK(back.last == gap.last);
  CHECK(back.segments == 3);
  CHECK(back.host == "db1");
  CHECK(back.reason == gap.reason);
  CHECK_THROWS_AS(wale::archive::decode_gap("not json"), wale::Error);
  CHECK_THROWS_AS(wale::archive::decode_gap(R"({"first_segment": "x", "last_segment": "y"})"), wale::Error);
  // A segment count that is not a whole number is refused, not converted.
  for (const char* count : {"1e30", "-3", "2.5", "\"3\""}) {
    const std::string record = std::string(R"({"first_segment": "000000030000000000000007", "last_segment": )") +
                               R"("000000030000000000000009", "segments": )" + count + "}";
    CHECK_THROWS_AS(wale::archive::decode_gap(record), wale::Error);
  }
  const auto no_count = wale::archive::decode_gap(
      R"({"first_segment": "000000030000000000000007", "last_segment": "000000030000000000000009"})");
  CHECK(no_count.segments == 0);
}
