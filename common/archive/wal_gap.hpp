// A gap in the WAL archive: segments wal-ed reported to PostgreSQL as
// archived without storing them, because its drop policy
// (WALE_DROP_WAL_ABOVE) chose losing WAL over filling pg_wal's disk. The
// daemon writes one small JSON object per gap next to the WAL,
// wal_005/<first>_<last>.gap.json, so that every reader of the store (verify
// from any machine) learns of it. The name matches none of WAL-E's WAL
// patterns: WAL-E and wal-fetch never read it, WAL-E's 'delete before' skips
// it with a warning, 'delete everything' removes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/pg/wal_name.hpp"

namespace wale::archive {

inline constexpr std::string_view kGapSuffix = ".gap.json";

struct WalGap {
  pg::SegmentName first;  // first and last segment dropped, same timeline
  pg::SegmentName last;
  std::uint64_t segments = 0;  // how many were dropped in between (inclusive)
  std::string first_dropped_at;  // ISO 8601 UTC
  std::string last_dropped_at;
  std::string host;    // where the daemon ran
  std::string pg_wal;  // the directory it served
  std::string reason;  // the policy and the backlog that triggered it
};

struct GapRange {
  pg::SegmentName first;
  pg::SegmentName last;
};

// wal_005/<first>_<last>.gap.json
std::string gap_key(const pg::SegmentName& first, const pg::SegmentName& last);
// The range a key names; nullopt for any other key.
std::optional<GapRange> parse_gap_key(std::string_view key);

std::string encode_gap(const WalGap& gap);
// Throws wale::Error(corrupt) for anything that is not a gap record.
WalGap decode_gap(std::string_view json);

// What an operator is told: "archive has a gap from X to Y; take a new base backup".
std::string gap_message(const pg::SegmentName& first, const pg::SegmentName& last);

}  // namespace wale::archive
