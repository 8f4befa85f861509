// What the daemon does about a growing archive backlog: the .ready segments
// of a pg_wal directory that are not yet in the store. Thresholds are sizes
// (PostgreSQL's units: 512MB, 2GB, 1TB; 1GB = 1024 MB) or shares of the
// room the backlog has (20%): the backlog plus the free space of pg_wal's
// filesystem, i.e. how large the backlog could grow before the disk is full.
// Crossing the warning or critical threshold is logged once; above the
// drop limit (off unless WALE_DROP_WAL_ABOVE is set) segments the store
// cannot take are reported archived without being stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/config/options.hpp"

namespace wale::daemon {

struct BacklogLimit {
  enum class Unit { unset, bytes, percent };
  Unit unit = Unit::unset;
  std::uint64_t bytes = 0;
  double percent = 0;
  std::string text;  // as configured

  bool set() const { return unit != Unit::unset; }
  // The limit in bytes for a backlog that has `room` bytes to grow into
  // (its own size plus the filesystem's free space); at least 1.
  std::uint64_t resolve(std::uint64_t room) const;
  friend bool operator==(const BacklogLimit&, const BacklogLimit&) = default;
};

// Parses "2GB", "512MB", "1073741824" (bytes, unless `unit_required`) or
// "20%". Throws wale::Error(usage) naming `name` for anything else.
BacklogLimit parse_backlog_limit(std::string_view text, std::string_view name, bool unit_required);

struct BacklogPolicy {
  BacklogLimit warning;
  BacklogLimit critical;
  BacklogLimit drop;  // unset: WAL is never dropped
  std::chrono::seconds stuck_after{600};

  bool drops() const { return drop.set(); }
  // The line logged at start and shown by status when the policy is on.
  std::string drop_warning() const;
  friend bool operator==(const BacklogPolicy&, const BacklogPolicy&) = default;
};

// From wal-ed's settings (backlog_warning, backlog_critical,
// drop_wal_above, stuck_timeout). Throws wale::Error(usage) naming the
// variable or flag at fault.
BacklogPolicy parse_backlog_policy(const config::ParsedCommand& settings);

enum class BacklogLevel { ok, warning, critical };
std::string_view level_name(BacklogLevel level);

// The level after a new measurement: up as soon as a threshold is reached,
// down only below 90 % of it, so that a backlog hovering at a threshold
// does not log a crossing per measurement.
BacklogLevel next_backlog_level(BacklogLevel current, std::uint64_t bytes, std::uint64_t warning_bytes,
                                std::uint64_t critical_bytes);

}  // namespace wale::daemon
