// PostgreSQL timeline history files (NNNNNNNN.history, archived as
// wal_005/NNNNNNNN.history.lzo) and what they mean for an archive: which
// timeline's copy of each WAL segment a recovery to a given timeline reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/pg/wal_name.hpp"

namespace wale::archive {

// One line of a history file: timeline `parent` ended at `switchpoint` (an
// LSN), where its child began.
struct TimelineSwitch {
  std::uint32_t parent = 0;
  std::uint64_t switchpoint = 0;
  std::string reason;
};

// Parses a history file's content: one line per ancestor, oldest first,
// "TLI<whitespace>X/Y<whitespace>reason". Blank lines and '#' comments are
// skipped, as PostgreSQL skips them. Throws wale::Error(corrupt) naming the
// offending line for anything else, and when timelines do not increase or a
// switch point goes backwards.
std::vector<TimelineSwitch> parse_timeline_history(std::string_view text);

// The timelines a recovery follows to reach `target`, each with the position
// where it begins (the first begins at 0).
class TimelineChain {
 public:
  // `history` is the target's history file (empty for timeline 1). Throws
  // wale::Error(corrupt) when it names a timeline at or above the target.
  TimelineChain(std::uint32_t target, const std::vector<TimelineSwitch>& history);

  std::uint32_t target() const { return spans_.back().timeline; }
  bool contains(std::uint32_t timeline) const;
  // Where `timeline` begins on this chain; nullopt when it is not on it.
  std::optional<std::uint64_t> begin_of(std::uint32_t timeline) const;

  // The timeline whose copy of segment `number` (PostgreSQL's segment
  // number, position / segment size) recovery reads: the newest timeline of
  // the chain that begins in or before that segment. The segment holding a
  // switch point is therefore read from the new timeline; the old
  // timeline's copy (often only a .partial) is not used.
  std::uint32_t timeline_of_segment(std::uint64_t number, const pg::SegmentGeometry& geometry) const;

 private:
  struct Span {
    std::uint32_t timeline;
    std::uint64_t begin;
  };
  std::vector<Span> spans_;  // oldest first; the target last
};

// "00000002.history": the file name of a timeline's history file.
std::string history_file_name(std::uint32_t timeline);

}  // namespace wale::archive
