#include "common/pg/wal_name.hpp"

#include <charconv>
#include <cstdio>

namespace wale::pg {
namespace {

bool is_upper_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

std::uint32_t hex32(std::string_view s) {
  std::uint32_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return v;
}

}  // namespace

bool valid_segment_size(std::uint64_t bytes) {
  return bytes >= (1u << 20) && bytes <= (1u << 30) && (bytes & (bytes - 1)) == 0;
}

std::string SegmentName::str() const {
  char buf[25];
  std::snprintf(buf, sizeof(buf), "%08X%08X%08X", timeline, log, segment);
  return std::string(buf, 24);
}

std::optional<SegmentName> parse_segment_name(std::string_view name) {
  if (name.size() != 24 || !is_upper_hex(name)) return std::nullopt;
  return SegmentName{hex32(name.substr(0, 8)), hex32(name.substr(8, 8)), hex32(name.substr(16, 8))};
}

SegmentGeometry::SegmentGeometry(std::uint64_t segment_size)
    : segment_size_(valid_segment_size(segment_size) ? segment_size : kDefaultSegmentSize),
      segments_per_log_(static_cast<std::uint32_t>((std::uint64_t{1} << 32) / segment_size_)) {}

std::uint64_t SegmentGeometry::segment_number(const SegmentName& name) const {
  return std::uint64_t{name.log} * segments_per_log_ + name.segment;
}

SegmentName SegmentGeometry::from_number(std::uint32_t timeline, std::uint64_t number) const {
  return SegmentName{timeline, static_cast<std::uint32_t>(number / segments_per_log_),
                     static_cast<std::uint32_t>(number % segments_per_log_)};
}

SegmentName SegmentGeometry::next(const SegmentName& name, std::uint64_t steps) const {
  return from_number(name.timeline, segment_number(name) + steps);
}

SegmentName SegmentGeometry::containing(std::uint32_t timeline, std::uint64_t lsn) const {
  return from_number(timeline, lsn / segment_size_);
}

std::optional<WalFileName> parse_wal_file_name(std::string_view name) {
  WalFileName out{WalFileKind::segment, std::string(name), {}, 0};
  if (auto seg = parse_segment_name(name)) {
    out.segment = *seg;
    out.timeline = seg->timeline;
    return out;
  }
  constexpr std::string_view kPartial = ".partial";
  if (name.size() == 24 + kPartial.size() && name.substr(24) == kPartial) {
    if (auto seg = parse_segment_name(name.substr(0, 24))) {
      out.kind = WalFileKind::partial;
      out.segment = *seg;
      out.timeline = seg->timeline;
      return out;
    }
  }
  constexpr std::string_view kHistory = ".history";
  if (name.size() == 8 + kHistory.size() && name.substr(8) == kHistory && is_upper_hex(name.substr(0, 8))) {
    out.kind = WalFileKind::history;
    out.timeline = hex32(name.substr(0, 8));
    return out;
  }
  constexpr std::string_view kBackup = ".backup";
  if (name.size() == 24 + 1 + 8 + kBackup.size() && name[24] == '.' && name.substr(33) == kBackup &&
      is_upper_hex(name.substr(25, 8))) {
    if (auto seg = parse_segment_name(name.substr(0, 24))) {
      out.kind = WalFileKind::backup_history;
      out.segment = *seg;
      out.timeline = seg->timeline;
      return out;
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_lsn(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
  std::uint32_t hi = 0, lo = 0;
  const auto a = std::from_chars(text.data(), text.data() + slash, hi, 16);
  const auto b = std::from_chars(text.data() + slash + 1, text.data() + text.size(), lo, 16);
  if (a.ec != std::errc{} || a.ptr != text.data() + slash || b.ec != std::errc{} || b.ptr != text.data() + text.size())
    return std::nullopt;
  return (std::uint64_t{hi} << 32) | lo;
}

}  // namespace wale::pg
