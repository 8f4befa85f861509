// Log records in WAL-E's line format (spec §8.1), compared as exact
// strings with a fixed time and pid; the log sinks; WALE_LOG_DESTINATION.
#include "common/core/log.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using wale::apply_log_destination;
using wale::format_record;
using wale::Level;
using wale::LogRecord;
using wale::ProcessLogOptions;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// 2026-11-25T15:48:37.564644 UTC, the instant of the spec's example line.
std::chrono::system_clock::time_point example_time() {
  using namespace std::chrono;
  const sys_days day = year{2026} / 11 / 25;
  return time_point_cast<system_clock::duration>(day + hours{15} + minutes{48} + seconds{37} + microseconds{564644});
}

std::chrono::system_clock::time_point at_seconds(long long secs, long long micros = 0) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds{secs} +
                                                                      std::chrono::microseconds{micros}));
}

LogRecord record(Level level, std::string logger, std::string msg, std::string detail = {}, std::string hint = {},
                 Fields fields = {}) {
  LogRecord r;
  r.level = level;
  r.logger = std::move(logger);
  r.msg = std::move(msg);
  r.detail = std::move(detail);
  r.hint = std::move(hint);
  r.fields = std::move(fields);
  return r;
}

constexpr std::string_view kEpochStructured = "STRUCTURED: time=1970-01-01T00:00:00.000000-00 pid=1";

}  // namespace

TEST_CASE("the spec's example line, exactly", "[core]") {
  const std::string key = "file://localhost/srv/archive/wal_005/00000001000000000000000D.lzo";
  const LogRecord r = record(Level::info, "wal_e.worker.upload", "completed archiving to a file",
                             "Archiving to \"" + key + "\" complete at 108071KiB/s.", {},
                             {{"seg", "00000001000000000000000D"},
                              {"state", "complete"},
                              {"action", "push-wal"},
                              {"key", key},
                              {"rate", "108071"},
                              {"prefix", "srv/archive/"}});
  const std::string expected =
      "wal_e.worker.upload INFO     MSG: completed archiving to a file\n"
      "        DETAIL: Archiving to \"" + key + "\" complete at 108071KiB/s.\n"
      "        STRUCTURED: time=2026-11-25T15:48:37.564644-00 pid=18888 action=push-wal key=" + key +
      " prefix=srv/archive/ rate=108071 seg=00000001000000000000000D state=complete";
  CHECK(format_record(r, example_time(), 18888) == expected);
}

TEST_CASE("logger names are padded to 12 characters, levels to 8", "[core]") {
  const auto t = at_seconds(0);
  CHECK(format_record(record(Level::info, "wal_e.main", "hi"), t, 1) ==
        "wal_e.main   INFO     MSG: hi\n        " + std::string(kEpochStructured));
  CHECK(format_record(record(Level::info, "abcdefghijkl", "hi"), t, 1) ==
        "abcdefghijkl INFO     MSG: hi\n        " + std::string(kEpochStructured));
  CHECK(format_record(record(Level::info, "abcdefghijklm", "hi"), t, 1) ==
        "abcdefghijklm INFO     MSG: hi\n        " + std::string(kEpochStructured));
  CHECK(format_record(record(Level::info, "", "hi"), t, 1) ==
        "             INFO     MSG: hi\n        " + std::string(kEpochStructured));
}

TEST_CASE("level names as Python's logging prints them", "[core]") {
  const auto t = at_seconds(0);
  const auto line = [&](Level level) {
    const std::string text = format_record(record(level, "wal_e.main", "m"), t, 1);
    return text.substr(0, text.find('\n'));
  };
  CHECK(line(Level::debug) == "wal_e.main   DEBUG    MSG: m");
  CHECK(line(Level::info) == "wal_e.main   INFO     MSG: m");
  CHECK(line(Level::warning) == "wal_e.main   WARNING  MSG: m");
  CHECK(line(Level::error) == "wal_e.main   ERROR    MSG: m");
  CHECK(line(Level::critical) == "wal_e.main   CRITICAL MSG: m");
}

TEST_CASE("DETAIL and HINT appear only when set, in that order", "[core]") {
  const auto t = at_seconds(0);
  const std::string tail = "\n        " + std::string(kEpochStructured);
  CHECK(format_record(record(Level::warning, "wal_e.main", "m"), t, 1) == "wal_e.main   WARNING  MSG: m" + tail);
  CHECK(format_record(record(Level::warning, "wal_e.main", "m", "d"), t, 1) ==
        "wal_e.main   WARNING  MSG: m\n        DETAIL: d" + tail);
  CHECK(format_record(record(Level::warning, "wal_e.main", "m", {}, "h"), t, 1) ==
        "wal_e.main   WARNING  MSG: m\n        HINT: h" + tail);
  CHECK(format_record(record(Level::warning, "wal_e.main", "m", "d", "h"), t, 1) ==
        "wal_e.main   WARNING  MSG: m\n        DETAIL: d\n        HINT: h" + tail);
}

TEST_CASE("every continuation line is indented by 8 spaces", "[core]") {
  const auto t = at_seconds(0);
  const std::string text = format_record(
      record(Level::critical, "wal_e.main", "An unprocessed exception has avoided all error handling",
             "Traceback (most recent call last):\n  File \"x.py\", line 1\nFileNotFoundError: x", "line one\nline two"),
      t, 1);
  CHECK(text ==
        "wal_e.main   CRITICAL MSG: An unprocessed exception has avoided all error handling\n"
        "        DETAIL: Traceback (most recent call last):\n"
        "          File \"x.py\", line 1\n"
        "        FileNotFoundError: x\n"
        "        HINT: line one\n"
        "        line two\n"
        "        " + std::string(kEpochStructured));

  // a newline in the message itself, and a trailing one
  CHECK(format_record(record(Level::info, "wal_e.main", "a\nb\n"), t, 1) ==
        "wal_e.main   INFO     MSG: a\n        b\n        \n        " + std::string(kEpochStructured));
}

TEST_CASE("STRUCTURED: time and pid first, then pairs sorted by their rendered text", "[core]") {
  const auto t = at_seconds(0);
  const auto structured = [&](Fields fields) {
    const std::string text = format_record(record(Level::info, "n", "m", {}, {}, std::move(fields)), t, 42);
    return text.substr(text.find("STRUCTURED: "));
  };
  const std::string head = "STRUCTURED: time=1970-01-01T00:00:00.000000-00 pid=42";
  CHECK(structured({}) == head);
  CHECK(structured({{"b", "1"}, {"a", "2"}}) == head + " a=2 b=1");
  // sorted by "key=value", not by key: '-' sorts before '='
  CHECK(structured({{"a", "2"}, {"a-b", "1"}}) == head + " a-b=1 a=2");
  // duplicates are kept, ordered by value
  CHECK(structured({{"k", "2"}, {"k", "1"}}) == head + " k=1 k=2");
  // values are not quoted
  CHECK(structured({{"key", "has space"}, {"q", "\"x\""}}) == head + " key=has space q=\"x\"");
  CHECK(structured({{"state", "begin"}, {"action", "wal-fetch"}, {"seg", "000000010000000000000002"},
                    {"prefix", "p/"}}) ==
        head + " action=wal-fetch prefix=p/ seg=000000010000000000000002 state=begin");
}

TEST_CASE("the time stamp: UTC, always six digits of microseconds, '-00' suffix", "[core]") {
  const auto line = [](std::chrono::system_clock::time_point t, long pid) {
    const std::string text = format_record(record(Level::info, "n", "m"), t, pid);
    return text.substr(text.find("STRUCTURED: "));
  };
  CHECK(line(at_seconds(0), 1) == "STRUCTURED: time=1970-01-01T00:00:00.000000-00 pid=1");
  CHECK(line(at_seconds(1700000000), 7) == "STRUCTURED: time=2023-11-14T22:13:20.000000-00 pid=7");
  CHECK(line(at_seconds(1700000000, 5), 7) == "STRUCTURED: time=2023-11-14T22:13:20.000005-00 pid=7");
  CHECK(line(at_seconds(1700000000, 999999), 7) == "STRUCTURED: time=2023-11-14T22:13:20.999999-00 pid=7");
  CHECK(line(at_seconds(951782400), 7) == "STRUCTURED: time=2000-02-29T00:00:00.000000-00 pid=7");
  CHECK(line(at_seconds(4102444799, 123456), 4194304) == "STRUCTURED: time=2099-12-31T23:59:59.123456-00 pid=4194304");
  // sub-microsecond parts are dropped, not rounded
  CHECK(line(at_seconds(1700000000) + std::chrono::nanoseconds{999}, 7) ==
        "STRUCTURED: time=2023-11-14T22:13:20.000000-00 pid=7");
}

TEST_CASE("TextLog filters by level and ends each record with a newline", "[core]") {
  std::vector<std::string> lines;
  wale::TextLog log(Level::warning, [&](std::string_view s) { lines.emplace_back(s); });
  log.info("wal_e.main", "not shown");
  log.warning("wal_e.worker.upload", "careful", "some detail", "a hint");
  log.error("wal_e.main", "broken", "fix it");
  log.write(record(Level::debug, "wal_e.main", "not shown either"));
  log.write(record(Level::critical, "wal_e.main", "down"));
  REQUIRE(lines.size() == 3u);
  CHECK(lines[0].starts_with(
      "wal_e.worker.upload WARNING  MSG: careful\n        DETAIL: some detail\n        HINT: a hint\n        STRUCTURED: "
      "time="));
  CHECK(lines[1].starts_with("wal_e.main   ERROR    MSG: broken\n        HINT: fix it\n        STRUCTURED: time="));
  CHECK(lines[2].starts_with("wal_e.main   CRITICAL MSG: down\n        STRUCTURED: time="));
  for (const auto& l : lines) {
    CHECK(l.ends_with("\n"));
    CHECK(l.find(" pid=") != std::string::npos);
  }
}

TEST_CASE("Log::info carries detail and structured fields", "[core]") {
  std::vector<std::string> lines;
  wale::TextLog log(Level::info, [&](std::string_view s) { lines.emplace_back(s); });
  log.info("wal_e.operator.backup", "promoted prefetched wal segment", "d", {{"seg", "S"}, {"action", "wal-fetch"}});
  REQUIRE(lines.size() == 1u);
  const std::string& l = lines[0];
  CHECK(l.starts_with("wal_e.operator.backup INFO     MSG: promoted prefetched wal segment\n        DETAIL: d\n"));
  CHECK(l.ends_with(" action=wal-fetch seg=S\n"));
}

TEST_CASE("TeeLog and NullLog", "[core]") {
  std::vector<std::string> a, b;
  wale::TextLog la(Level::info, [&](std::string_view s) { a.emplace_back(s); });
  wale::TextLog lb(Level::error, [&](std::string_view s) { b.emplace_back(s); });
  wale::TeeLog tee(la, lb);
  tee.info("n", "one");
  tee.error("n", "two");
  CHECK(a.size() == 2u);
  CHECK(b.size() == 1u);
  wale::NullLog null;
  null.error("n", "nothing");
  wale::TeeLog tee2(null, la);
  tee2.warning("n", "three");
  CHECK(a.size() == 3u);
}

TEST_CASE("apply_log_destination", "[core]") {
  const auto apply = [](std::string_view value, bool& to_stderr, bool& to_syslog) {
    ProcessLogOptions o;
    o.to_stderr = !o.to_stderr;  // whatever was there before is replaced
    o.to_syslog = !o.to_syslog;
    const std::string warning = apply_log_destination(value, o);
    to_stderr = o.to_stderr;
    to_syslog = o.to_syslog;
    return warning;
  };
  bool err = false, sys = false;

  CHECK(apply("stderr,syslog", err, sys).empty());
  CHECK((err && sys));
  CHECK(apply("stderr", err, sys).empty());
  CHECK((err && !sys));
  CHECK(apply("syslog", err, sys).empty());
  CHECK((!err && sys));
  CHECK(apply("syslog,stderr", err, sys).empty());
  CHECK((err && sys));
  CHECK(apply(" stderr , syslog ", err, sys).empty());
  CHECK((err && sys));
  CHECK(apply("stderr,,stderr", err, sys).empty());
  CHECK((err && !sys));
  CHECK(apply("", err, sys).empty());
  CHECK((!err && !sys));

  const std::string w = apply("stderr,journald", err, sys);
  CHECK((err && !sys));
  CHECK_THAT(w, Catch::Contains("journald") && Catch::Contains("WALE_LOG_DESTINATION"));

  const std::string w2 = apply("file,Syslog", err, sys);
  CHECK((!err && !sys));
  CHECK_THAT(w2, Catch::Contains("file") && Catch::Contains("Syslog"));
  CHECK(w2.find('\n') == std::string::npos);
}
