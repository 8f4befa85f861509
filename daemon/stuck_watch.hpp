// Notices archiving stuck on one segment: PostgreSQL archives in order, so
// while one segment keeps failing nothing after it is archived and pg_wal
// grows. The first failure of a segment starts its clock; once it has failed
// for longer than the configured time, one ERROR names it, its attempts and
// the store's last error. It is repeated only when that error changes or an
// hour has passed, never per attempt, and only for the oldest failing file
// of its pg_wal (the one PostgreSQL waits for), never per segment.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace wale::daemon {

struct StuckSegment {
  std::string path;  // the segment's file
  std::chrono::system_clock::time_point failing_since;
  std::uint64_t attempts = 0;
  std::string last_error;
};

class StuckWatch {
 public:
  using Clock = std::chrono::system_clock;
  explicit StuckWatch(std::chrono::seconds after, std::chrono::seconds repeat = std::chrono::hours(1))
      : after_(after), repeat_(repeat) {}

  // Records a failed attempt; returns the state to report when an ERROR is due now.
  std::optional<StuckSegment> failed(const std::string& path, const std::string& error, Clock::time_point now = Clock::now());
  // The segment was stored, or is gone from pg_wal: its clock stops.
  void cleared(const std::string& path);
  // The segment failing for the longest time, if any has failed for longer than `after`.
  std::optional<StuckSegment> stuck(Clock::time_point now = Clock::now()) const;
  void set_after(std::chrono::seconds after);

  // What makes two errors "the same" for repeating the report: the text
  // without numbers and parenthesised details (attempt counts, "Connection
  // reset by peer" against "end of stream"), so that one outage stays one
  // report and a new kind of error (403 after timeouts) is news.
  static std::string error_kind_of(std::string_view error);

 private:
  struct State {
    StuckSegment segment;
    std::optional<Clock::time_point> reported_at;
    std::string reported_error;  // its kind (error_kind_of)
  };
  mutable std::mutex mutex_;
  std::chrono::seconds after_;
  std::chrono::seconds repeat_;
  std::map<std::string, State> failing_;
};

}  // namespace wale::daemon
