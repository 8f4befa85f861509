#include "common/archive/timeline_history.hpp"

#include <charconv>
#include <cstdio>

#include "common/core/error.hpp"

namespace wale::archive {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view skip_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view take_word(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && !is_space(s[n])) ++n;
  const auto word = s.substr(0, n);
  s.remove_prefix(n);
  return word;
}

[[noreturn]] void bad_line(std::string_view line, const std::string& why) {
  throw Error(ErrorKind::corrupt, "timeline history line '" + printable(line) + "': " + why);
}

TimelineSwitch parse_line(std::string_view line) {
  std::string_view rest = skip_space(line);
  const std::string_view tli_text = take_word(rest);
  TimelineSwitch entry;
  const auto r = std::from_chars(tli_text.data(), tli_text.data() + tli_text.size(), entry.parent);
  if (tli_text.empty() || r.ec != std::errc{} || r.ptr != tli_text.data() + tli_text.size())
    bad_line(line, "expected a numeric timeline ID");
  rest = skip_space(rest);
  const auto lsn = pg::parse_lsn(take_word(rest));
  if (!lsn) bad_line(line, "expected a switch point such as 0/3000000");
  entry.switchpoint = *lsn;
  rest = skip_space(rest);
  while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
  entry.reason = std::string(rest);
  return entry;
}

}  // namespace

std::vector<TimelineSwitch> parse_timeline_history(std::string_view text) {
  std::vector<TimelineSwitch> out;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    const std::string_view content = skip_space(line);
    if (content.empty() || content.front() == '#') continue;
    auto entry = parse_line(line);
    if (!out.empty() && entry.parent <= out.back().parent) bad_line(line, "timeline IDs must increase");
    if (!out.empty() && entry.switchpoint < out.back().switchpoint) bad_line(line, "switch points must not go backwards");
    out.push_back(std::move(entry));
  }
  return out;
}

TimelineChain::TimelineChain(std::uint32_t target, const std::vector<TimelineSwitch>& history) {
  std::uint64_t begin = 0;
  for (const auto& entry : history) {
    if (entry.parent >= target)
      throw Error(ErrorKind::corrupt, "the history of timeline " + std::to_string(target) + " names timeline " +
                                          std::to_string(entry.parent) + " as an ancestor");
    spans_.push_back(Span{entry.parent, begin});
    begin = entry.switchpoint;
  }
  spans_.push_back(Span{target, begin});
}

bool TimelineChain::contains(std::uint32_t timeline) const { return begin_of(timeline).has_value(); }

std::optional<std::uint64_t> TimelineChain::begin_of(std::uint32_t timeline) const {
  for (const auto& span : spans_)
    if (span.timeline == timeline) return span.begin;
  return std::nullopt;
}

std::uint32_t TimelineChain::timeline_of_segment(std::uint64_t number, const pg::SegmentGeometry& geometry) const {
  for (auto it = spans_.rbegin(); it != spans_.rend(); ++it)
    if (it->begin / geometry.segment_size() <= number) return it->timeline;
  return spans_.front().timeline;  // unreachable: the first span begins at 0
}

std::string history_file_name(std::uint32_t timeline) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%08X.history", timeline);
  return buf;
}

}  // namespace wale::archive
