// Recognising a WAL segment by its content: the first page of every
// segment carries a long page header with the segment's own start position
// and the segment size. A file that passes holds the segment its name says,
// whole (its size is checked too).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common/core/stream.hpp"
#include "common/pg/wal_name.hpp"

namespace wale::pg {

// How many leading bytes check_segment_header needs.
inline constexpr std::size_t kSegmentHeaderBytes = 40;

// Throws wale::Error(corrupt) naming `name` when `head` (the file's first
// bytes) and `size` do not describe segment `name`. The timeline is not
// compared: the first segment of a new timeline starts with pages copied
// from the old one.
void check_segment_header(const SegmentName& name, std::string_view head, std::uint64_t size);

// The same for a file on disk.
void check_segment_file(const SegmentName& name, const std::string& path);

// Keeps a stream's first kSegmentHeaderBytes and counts its bytes while
// passing everything on: what check_segment_header needs of a decoded file.
// For a segment (`is_segment`), the segment size its page header declares
// bounds the stream at once: a byte beyond it throws wale::Error(corrupt)
// instead of reaching `next` (pg_wal is no place to let a bomb go off).
class SegmentHeadCapture final : public ByteSink {
 public:
  explicit SegmentHeadCapture(ByteSink& next, bool is_segment = true) : next_(next), is_segment_(is_segment) {}
  void write(std::string_view data) override;
  void close() override { next_.close(); }
  const std::string& head() const { return head_; }
  std::uint64_t size() const { return size_; }

 private:
  ByteSink& next_;
  bool is_segment_;
  std::string head_;
  std::uint64_t size_ = 0;
  std::uint64_t limit_ = std::numeric_limits<std::uint64_t>::max();
};

}  // namespace wale::pg
