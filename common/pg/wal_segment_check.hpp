// Recognising a WAL segment by its content: the first page of every
// segment carries a long page header with the segment's own start position
// and the segment size. A file that passes holds the segment its name says,
// whole (its size is checked too).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace wale::pg
