// One segment failing for longer than the configured time is reported
// once, again only when its error changes or an hour has passed.
#include <catch2/catch.hpp>

#include "daemon/stuck_watch.hpp"

using namespace std::chrono_literals;
using wale::daemon::StuckWatch;

TEST_CASE("a segment failing past the stuck time is reported once", "[daemon][stuck]") {
  StuckWatch watch(60s);
  const auto t0 = StuckWatch::Clock::now();
  CHECK_FALSE(watch.failed("/pg_wal/A", "refused", t0));
  CHECK_FALSE(watch.failed("/pg_wal/A", "refused", t0 + 30s));
  CHECK_FALSE(watch.stuck(t0 + 30s));
  const auto report = watch.failed("/pg_wal/A", "refused", t0 + 61s);
  REQUIRE(report);
  CHECK(report->attempts == 3);
  CHECK(report->last_error == "refused");
  CHECK(report->failing_since == t0);
  CHECK_FALSE(watch.failed("/pg_wal/A", "refused", t0 + 90s));
  // The same error in other words or with other counts is no news.
  CHECK_FALSE(watch.failed("/pg_wal/A", "refused (Connection reset by peer)", t0 + 91s));
  CHECK_FALSE(watch.failed("/pg_wal/A", "refused  (end of stream)", t0 + 92s));
  CHECK(StuckWatch::error_kind_of("GET x: lost (reset) after 5 attempts") == StuckWatch::error_kind_of("GET x: lost (EOF) after 17 attempts"));
  CHECK_FALSE(watch.failed("/pg_wal/A", "refused", t0 + 30min));
  REQUIRE(watch.stuck(t0 + 90s));
  CHECK(watch.stuck(t0 + 90s)->path == "/pg_wal/A");
  // A new error is news; so is the same error an hour later.
  CHECK(watch.failed("/pg_wal/A", "403 Forbidden", t0 + 31min));
  CHECK_FALSE(watch.failed("/pg_wal/A", "403 Forbidden", t0 + 60min));
  CHECK(watch.failed("/pg_wal/A", "403 Forbidden", t0 + 92min));
  // Stored at last: the clock stops.
  watch.cleared("/pg_wal/A");
  CHECK_FALSE(watch.stuck(t0 + 93min));
  CHECK_FALSE(watch.failed("/pg_wal/A", "refused", t0 + 94min));
}

TEST_CASE("the stuck segment shown is the one failing longest", "[daemon][stuck]") {
  StuckWatch watch(10s);
  const auto t0 = StuckWatch::Clock::now();
  watch.failed("/a/pg_wal/B", "x", t0 + 5s);
  watch.failed("/a/pg_wal/A", "x", t0);
  REQUIRE(watch.stuck(t0 + 20s));
  CHECK(watch.stuck(t0 + 20s)->path == "/a/pg_wal/A");
  watch.set_after(1h);
  CHECK_FALSE(watch.stuck(t0 + 20s));
}

TEST_CASE("an outage is one stuck report per pg_wal, for the segment PostgreSQL waits for", "[daemon][stuck]") {
  StuckWatch watch(10s);
  const auto t0 = StuckWatch::Clock::now();
  for (const char* path : {"/a/pg_wal/000000010000000000000007", "/a/pg_wal/000000010000000000000005", "/b/pg_wal/000000010000000000000009"})
    watch.failed(path, "refused", t0);
  CHECK_FALSE(watch.failed("/a/pg_wal/000000010000000000000007", "refused", t0 + 11s));
  CHECK(watch.failed("/a/pg_wal/000000010000000000000005", "refused", t0 + 11s));
  CHECK(watch.failed("/b/pg_wal/000000010000000000000009", "refused", t0 + 11s));
  watch.cleared("/a/pg_wal/000000010000000000000005");
  CHECK(watch.failed("/a/pg_wal/000000010000000000000007", "refused", t0 + 12s));
}
