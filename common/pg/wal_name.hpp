// PostgreSQL WAL file names and the arithmetic on them. A segment name is
// TTTTTTTTLLLLLLLLSSSSSSSS: timeline, "log" (high 32 bits of the position)
// and segment within the log. How many segments a log holds depends on the
// cluster's WAL segment size (initdb --wal-segsize, 1 MiB to 1 GiB).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wale::pg {

inline constexpr std::uint64_t kDefaultSegmentSize = 16u << 20;
// The largest segment size PostgreSQL accepts: no WAL file is longer.
inline constexpr std::uint64_t kMaxSegmentSize = 1u << 30;

// True for a power of two between 1 MiB and 1 GiB, the sizes PostgreSQL accepts.
bool valid_segment_size(std::uint64_t bytes);

struct SegmentName {
  std::uint32_t timeline = 1;
  std::uint32_t log = 0;
  std::uint32_t segment = 0;

  std::string str() const;
  // LOG and SEG read as one number, the timeline ignored (WAL-E's
  // SegmentNumber.as_an_integer): the segment's place along the WAL.
  std::uint64_t log_and_segment() const { return (std::uint64_t{log} << 32) | segment; }
  friend bool operator==(const SegmentName&, const SegmentName&) = default;
};

// Parses exactly 24 upper-case hex digits; nullopt for anything else.
std::optional<SegmentName> parse_segment_name(std::string_view name);

// Segment-level arithmetic for one segment size.
class SegmentGeometry {
 public:
  explicit SegmentGeometry(std::uint64_t segment_size = kDefaultSegmentSize);
  std::uint64_t segment_size() const { return segment_size_; }
  std::uint32_t segments_per_log() const { return segments_per_log_; }

  // The position-ordered number of a segment, ignoring its timeline.
  std::uint64_t segment_number(const SegmentName& name) const;
  SegmentName from_number(std::uint32_t timeline, std::uint64_t number) const;
  SegmentName next(const SegmentName& name, std::uint64_t steps = 1) const;
  // The segment holding byte position `lsn` on `timeline`.
  SegmentName containing(std::uint32_t timeline, std::uint64_t lsn) const;
  // A name is only meaningful if its segment part is below segments_per_log().
  bool fits(const SegmentName& name) const { return name.segment < segments_per_log_; }

 private:
  std::uint64_t segment_size_;
  std::uint32_t segments_per_log_;
};

// The kinds of file PostgreSQL hands to archive_command.
enum class WalFileKind { segment, partial, history, backup_history };

struct WalFileName {
  WalFileKind kind;
  std::string name;          // the file name as given
  SegmentName segment{};     // for segment, partial and backup_history
  std::uint32_t timeline = 0;// for history files
};

// Recognises 000000010000000A000000FE, ….partial, 00000002.history and
// 000000010000000A000000FE.00000028.backup; nullopt for anything else.
std::optional<WalFileName> parse_wal_file_name(std::string_view name);

// Parses "X/Y" as printed by PostgreSQL (pg_lsn); nullopt when malformed.
std::optional<std::uint64_t> parse_lsn(std::string_view text);

}  // namespace wale::pg
