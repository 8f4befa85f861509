#include "daemon/stuck_watch.hpp"

namespace wale::daemon {

std::optional<StuckSegment> StuckWatch::failed(const std::string& path, const std::string& error, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = failing_.try_emplace(path);
  State& s = it->second;
  if (inserted) {
    s.segment.path = path;
    s.segment.failing_since = now;
  }
  ++s.segment.attempts;
  s.segment.last_error = error;
  if (now - s.segment.failing_since < after_) return std::nullopt;
  // Only the oldest failing file of a directory holds PostgreSQL up: an
  // outage is one ERROR, not one per segment read ahead.
  const std::string dir = path.substr(0, path.rfind('/') + 1);
  if (failing_.lower_bound(dir)->first != path) return std::nullopt;
  const std::string kind = error_kind_of(error);
  const bool due = !s.reported_at || s.reported_error != kind || now - *s.reported_at >= repeat_;
  if (!due) return std::nullopt;
  s.reported_at = now;
  s.reported_error = kind;
  return s.segment;
}

void StuckWatch::cleared(const std::string& path) {
  std::lock_guard lock(mutex_);
  failing_.erase(path);
}

std::optional<StuckSegment> StuckWatch::stuck(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  // The oldest failing file of each directory (the first by name), and of
  // those the one failing longest.
  const State* longest = nullptr;
  std::string dir;
  for (const auto& [path, s] : failing_) {
    const std::string this_dir = path.substr(0, path.rfind('/') + 1);
    if (this_dir == dir) continue;
    dir = this_dir;
    if (now - s.segment.failing_since >= after_ && (longest == nullptr || s.segment.failing_since < longest->segment.failing_since))
      longest = &s;
  }
  if (longest == nullptr) return std::nullopt;
  return longest->segment;
}

std::string StuckWatch::error_kind_of(std::string_view error) {
  std::string out;
  int depth = 0;
  for (char c : error) {
    if (c == '(') ++depth;
    else if (c == ')' && depth > 0) --depth;
    else if (depth == 0 && !(c >= '0' && c <= '9') && !(c == ' ' && (out.empty() || out.back() == ' '))) out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void StuckWatch::set_after(std::chrono::seconds after) {
  std::lock_guard lock(mutex_);
  after_ = after;
}

}  // namespace wale::daemon
