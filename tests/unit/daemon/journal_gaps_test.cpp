// The journal's record of dropped WAL: consecutive drops make one gap, a
// segment stored in between starts another, and the record survives a
// restart until a backup resolves it.
#include <catch2/catch.hpp>

#include "daemon/journal.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::daemon::Journal;
using wale::pg::SegmentName;

TEST_CASE("dropped segments are recorded as ranges that survive a restart", "[daemon][journal]") {
  wale::test::TempDir dir("journal-gaps");
  const std::string prefix = "file://localhost/archive";
  constexpr std::uint64_t kSize = 1 << 20;
  {
    Journal j(dir.path(), prefix);
    auto g = j.record_dropped("/pg/pg_wal", SegmentName{1, 0, 0xFE}, kSize, kSize, "full");
    CHECK(g.segments == 1);
    g = j.record_dropped("/pg/pg_wal", SegmentName{1, 0, 0xFF}, kSize, kSize, "full");
    CHECK(g.first == SegmentName{1, 0, 0xFE});
    CHECK(g.last == SegmentName{1, 0, 0xFF});
    CHECK(g.segments == 2);
    CHECK(g.bytes == 2 * kSize);
    // Not the next segment: a new gap.
    const auto other = j.record_dropped("/pg/pg_wal", SegmentName{1, 0, 0x105}, kSize, kSize, "full");
    CHECK(other.id != g.id);
    CHECK(other.first == SegmentName{1, 0, 0x105});
    // Another directory has its own gaps.
    CHECK(j.record_dropped("/other/pg_wal", SegmentName{1, 0, 0x106}, kSize, kSize, "full").segments == 1);
    j.gap_published(g.id, "wal_005/key");
  }
  {
    Journal j(dir.path(), prefix);
    auto gaps = j.open_gaps();
    REQUIRE(gaps.size() == 3);
    CHECK(gaps[0].published_key == "wal_005/key");
    CHECK(gaps[0].reason == "full");
    // A gap that grew since it was read is not resolved on that reading.
    CHECK_FALSE(j.gap_resolved(gaps[0].id, SegmentName{1, 0, 0x1}));
    CHECK(j.open_gaps().size() == 3);
    CHECK(j.gap_resolved(gaps[0].id, gaps[0].last));
    CHECK(j.open_gaps().size() == 2);
  }
  // Gaps belong to their prefix.
  Journal elsewhere(dir.path(), "file://localhost/other");
  CHECK(elsewhere.open_gaps().empty());
}
