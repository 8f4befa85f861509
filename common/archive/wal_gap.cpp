#include "common/archive/wal_gap.hpp"

#include <nlohmann/json.hpp>

#include "common/archive/layout.hpp"
#include "common/core/error.hpp"
#include "proto/bounded_json.hpp"

namespace wale::archive {

std::string gap_key(const pg::SegmentName& first, const pg::SegmentName& last) {
  return std::string(kWalDirectory) + first.str() + "_" + last.str() + std::string(kGapSuffix);
}

std::optional<GapRange> parse_gap_key(std::string_view key) {
  if (!key.starts_with(kWalDirectory) || !key.ends_with(kGapSuffix)) return std::nullopt;
  key.remove_prefix(kWalDirectory.size());
  key.remove_suffix(kGapSuffix.size());
  if (key.size() != 24 + 1 + 24 || key[24] != '_') return std::nullopt;
  const auto first = pg::parse_segment_name(key.substr(0, 24));
  const auto last = pg::parse_segment_name(key.substr(25));
  if (!first || !last || first->timeline != last->timeline || last->log_and_segment() < first->log_and_segment())
    return std::nullopt;
  return GapRange{*first, *last};
}

std::string encode_gap(const WalGap& gap) {
  const nlohmann::ordered_json j{
      {"wal_e_gap", 1},
      {"first_segment", gap.first.str()},
      {"last_segment", gap.last.str()},
      {"segments", gap.segments},
      {"first_dropped_at", gap.first_dropped_at},
      {"last_dropped_at", gap.last_dropped_at},
      {"host", gap.host},
      {"pg_wal", gap.pg_wal},
      {"reason", gap.reason},
      {"message", gap_message(gap.first, gap.last)},
  };
  return j.dump(2) + "\n";
}

WalGap decode_gap(std::string_view json) {
  try {
    const auto j = nlohmann::json::parse(json);
    const auto first = pg::parse_segment_name(j.at("first_segment").get<std::string>());
    const auto last = pg::parse_segment_name(j.at("last_segment").get<std::string>());
    if (!first || !last) throw Error(ErrorKind::corrupt, "a gap record names something other than WAL segments");
    WalGap gap;
    gap.first = *first;
    gap.last = *last;
    const auto segments = proto::unsigned_field(j, "segments", 0);
    if (!segments) throw Error(ErrorKind::corrupt, "a gap record whose segment count is not a whole number");
    gap.segments = *segments;
    gap.first_dropped_at = j.value("first_dropped_at", "");
    gap.last_dropped_at = j.value("last_dropped_at", "");
    gap.host = j.value("host", "");
    gap.pg_wal = j.value("pg_wal", "");
    gap.reason = j.value("reason", "");
    return gap;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::corrupt, std::string("a gap record is not valid JSON: ") + e.what());
  }
}

std::string gap_message(const pg::SegmentName& first, const pg::SegmentName& last) {
  return "archive has a gap from " + first.str() + " to " + last.str() + "; take a new base backup";
}

}  // namespace wale::archive
