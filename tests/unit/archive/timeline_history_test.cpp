// Timeline history files: PostgreSQL's line format, and which timeline's
// copy of a segment recovery reads along a chain of timelines.
#include "common/archive/timeline_history.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "common/core/error.hpp"
#include "common/pg/wal_name.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::archive::history_file_name;
using wale::archive::parse_timeline_history;
using wale::archive::TimelineChain;
using wale::pg::SegmentGeometry;

namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

bool corrupt(const std::string& text) {
  try {
    parse_timeline_history(text);
  } catch (const Error& e) {
    return e.kind() == ErrorKind::corrupt;
  }
  return false;
}

}  // namespace

TEST_CASE("a history file as PostgreSQL writes it", "[archive][timeline]") {
  // What a promotion after archive recovery writes for timeline 3.
  const auto h = parse_timeline_history(
      "1\t0/3000000\tno recovery target specified\n"
      "\n"
      "2\t0/5000A28\tbefore 2026-01-01 00:00:00+00\n");
  REQUIRE(h.size() == 2);
  CHECK(h[0].parent == 1);
  CHECK(h[0].switchpoint == 0x3000000);
  CHECK(h[0].reason == "no recovery target specified");
  CHECK(h[1].parent == 2);
  CHECK(h[1].switchpoint == 0x5000A28);
  CHECK(h[1].reason == "before 2026-01-01 00:00:00+00");
}

TEST_CASE("history files: comments, blank lines, spaces and missing reasons", "[archive][timeline]") {
  const auto h = parse_timeline_history("# a comment\n   \n  1 1/0 \r\n");
  REQUIRE(h.size() == 1);
  CHECK(h[0].parent == 1);
  CHECK(h[0].switchpoint == std::uint64_t{1} << 32);
  CHECK(h[0].reason.empty());
  CHECK(parse_timeline_history("").empty());
}

TEST_CASE("damaged history files are refused", "[archive][timeline]") {
  CHECK(corrupt("x\t0/3000000\treason\n"));
  CHECK(corrupt("1\t03000000\treason\n"));
  CHECK(corrupt("1\n"));
  CHECK(corrupt("2\t0/3000000\ta\n1\t0/4000000\tb\n"));  // timelines must increase
  CHECK(corrupt("1\t0/5000000\ta\n2\t0/4000000\tb\n"));  // switch points must not go back
}

TEST_CASE("timeline 1 alone covers every segment", "[archive][timeline]") {
  const TimelineChain chain(1, {});
  const SegmentGeometry g(16 * kMiB);
  CHECK(chain.target() == 1);
  CHECK(chain.timeline_of_segment(0, g) == 1);
  CHECK(chain.timeline_of_segment(123456, g) == 1);
  CHECK(chain.contains(1));
  CHECK_FALSE(chain.contains(2));
}

TEST_CASE("the segment holding a switch point is read from the new timeline", "[archive][timeline]") {
  // 1 MiB segments: timeline 2 begins inside segment 0x10, timeline 3 exactly
  // at the start of segment 0x20.
  const auto h = parse_timeline_history("1\t0/10000A8\tpromoted\n2\t0/2000000\tpromoted again\n");
  const TimelineChain chain(3, h);
  const SegmentGeometry g(kMiB);
  CHECK(chain.target() == 3);
  CHECK(chain.timeline_of_segment(0x0F, g) == 1);
  CHECK(chain.timeline_of_segment(0x10, g) == 2);
  CHECK(chain.timeline_of_segment(0x1F, g) == 2);
  CHECK(chain.timeline_of_segment(0x20, g) == 3);
  CHECK(chain.timeline_of_segment(0x1000, g) == 3);
  CHECK(chain.begin_of(1) == std::uint64_t{0});
  CHECK(chain.begin_of(2) == std::uint64_t{0x10000A8});
  CHECK(chain.begin_of(3) == std::uint64_t{0x2000000});
  CHECK_FALSE(chain.begin_of(4).has_value());
}

TEST_CASE("chains skip timelines that are not ancestors", "[archive][timeline]") {
  // Timeline 3 branched from 1; timeline 2 is a dead end.
  const TimelineChain chain(3, parse_timeline_history("1\t0/4000000\tbranch\n"));
  CHECK(chain.contains(1));
  CHECK_FALSE(chain.contains(2));
  CHECK(chain.timeline_of_segment(0x4, SegmentGeometry(16 * kMiB)) == 3);
  CHECK(chain.timeline_of_segment(0x3, SegmentGeometry(16 * kMiB)) == 1);
}

TEST_CASE("a history naming a timeline at or above its own is refused", "[archive][timeline]") {
  CHECK_THROWS_AS(TimelineChain(2, parse_timeline_history("2\t0/4000000\tx\n")), Error);
}

TEST_CASE("history file names", "[archive][timeline]") {
  CHECK(history_file_name(2) == "00000002.history");
  CHECK(history_file_name(0x1A) == "0000001A.history");
}
