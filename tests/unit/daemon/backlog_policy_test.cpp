// The backlog thresholds: sizes in PostgreSQL's units or shares of the room
// the backlog has, refused with the variable's name when wrong; the level
// goes up at a threshold and down only clearly below it.
#include <catch2/catch.hpp>

#include "common/config/options.hpp"
#include "common/core/error.hpp"
#include "daemon/backlog_policy.hpp"

using wale::daemon::BacklogLevel;
using wale::daemon::BacklogLimit;
using wale::daemon::next_backlog_level;
using wale::daemon::parse_backlog_limit;

namespace {

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const wale::Error& e) {
    CHECK(e.kind() == wale::ErrorKind::usage);
    return e.what();
  }
  FAIL("no error");
  return {};
}

wale::daemon::BacklogPolicy policy_of(const wale::config::Environment& env) {
  return wale::daemon::parse_backlog_policy(wale::config::parse_command_line({"wal-ed"}, env));
}

}  // namespace

TEST_CASE("backlog limits are sizes in PostgreSQL's units or percentages", "[daemon][backlog]") {
  CHECK(parse_backlog_limit("1073741824", "X", false).bytes == 1073741824);
  CHECK(parse_backlog_limit("2GB", "X", false).bytes == 2ull << 30);
  CHECK(parse_backlog_limit("512MB", "X", true).bytes == 512ull << 20);
  CHECK(parse_backlog_limit("512 MiB", "X", true).bytes == 512ull << 20);
  CHECK(parse_backlog_limit("64kB", "X", true).bytes == 64ull << 10);
  CHECK(parse_backlog_limit("1T", "X", true).bytes == 1ull << 40);
  const auto p = parse_backlog_limit("20%", "X", true);
  CHECK(p.unit == BacklogLimit::Unit::percent);
  CHECK(p.resolve(1000) == 200);
  CHECK(parse_backlog_limit("2.5%", "X", true).resolve(1000) == 25);
  CHECK(parse_backlog_limit("1%", "X", true).resolve(0) == 1);  // never 0: an empty backlog is not above it
  CHECK(parse_backlog_limit("8MB", "X", true).resolve(1) == 8ull << 20);
}

TEST_CASE("a bad backlog limit is refused naming the variable", "[daemon][backlog]") {
  for (const char* bad : {"", "abc", "12XB", "0", "0MB", "100%", "0%", "-5%", "99999999999999999999", "20000000TB"}) {
    INFO(bad);
    const auto what = usage_error([&] { parse_backlog_limit(bad, "WALE_BACKLOG_WARNING", false); });
    CHECK(what.find("WALE_BACKLOG_WARNING='") == 0);
    CHECK(what.find("such as 2GB") != std::string::npos);
  }
  // The drop limit wants a unit: '1' is not a switch that turns dropping on.
  CHECK(usage_error([] { parse_backlog_limit("1", "WALE_DROP_WAL_ABOVE", true); }).find("has no unit") != std::string::npos);
}

TEST_CASE("the backlog policy comes from wal-ed's settings with safe defaults", "[daemon][backlog]") {
  const auto defaults = policy_of({});
  CHECK(defaults.warning.text == "20%");
  CHECK(defaults.critical.text == "50%");
  CHECK_FALSE(defaults.drops());
  CHECK(defaults.drop_warning().empty());
  CHECK(defaults.stuck_after == std::chrono::seconds(600));

  const auto on = policy_of({{"WALE_DROP_WAL_ABOVE", "90%"}, {"WALE_STUCK_TIMEOUT", "5"}});
  CHECK(on.drops());
  CHECK(on.drop_warning().find("WAL WILL BE DROPPED when") == 0);
  CHECK(on.stuck_after == std::chrono::seconds(5));
  CHECK_FALSE(policy_of({{"WALE_DROP_WAL_ABOVE", ""}}).drops());

  CHECK(usage_error([] { policy_of({{"WALE_BACKLOG_CRITICAL", "nope"}}); }).find("WALE_BACKLOG_CRITICAL='nope'") == 0);
  CHECK(usage_error([] { policy_of({{"WALE_DROP_WAL_ABOVE", "512kB"}}); }).find("WALE_DROP_WAL_ABOVE") == 0);
  CHECK(usage_error([] { policy_of({{"WALE_BACKLOG_WARNING", "8GB"}, {"WALE_BACKLOG_CRITICAL", "4GB"}}); })
            .find("WALE_BACKLOG_CRITICAL (4GB) is below WALE_BACKLOG_WARNING (8GB)") == 0);
  CHECK(usage_error([] { policy_of({{"WALE_DROP_WAL_ABOVE", "40%"}}); }).find("WALE_DROP_WAL_ABOVE (40%) is below") == 0);
  CHECK(usage_error([] { policy_of({{"WALE_STUCK_TIMEOUT", "soon"}}); }).find("WALE_STUCK_TIMEOUT") != std::string::npos);
  // Flags are named as flags.
  CHECK(usage_error([] {
          wale::daemon::parse_backlog_policy(wale::config::parse_command_line({"wal-ed", "--backlog-warning", "x"}, {}));
        }).find("--backlog-warning='x'") == 0);
}

TEST_CASE("the backlog level rises at a threshold and falls only clearly below it", "[daemon][backlog]") {
  auto level = BacklogLevel::ok;
  level = next_backlog_level(level, 0, 1, 2);
  CHECK(level == BacklogLevel::ok);  // nothing waits: never above a threshold
  level = next_backlog_level(level, 100, 100, 200);
  CHECK(level == BacklogLevel::warning);
  level = next_backlog_level(level, 95, 100, 200);
  CHECK(level == BacklogLevel::warning);  // hovering just below
  level = next_backlog_level(level, 250, 100, 200);
  CHECK(level == BacklogLevel::critical);
  level = next_backlog_level(level, 185, 100, 200);
  CHECK(level == BacklogLevel::critical);
  level = next_backlog_level(level, 150, 100, 200);
  CHECK(level == BacklogLevel::warning);
  level = next_backlog_level(level, 10, 100, 200);
  CHECK(level == BacklogLevel::ok);
  CHECK(next_backlog_level(BacklogLevel::ok, 500, 100, 200) == BacklogLevel::critical);
}
