#include "common/pg/wal_segment_check.hpp"

#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"
#include "common/core/file.hpp"

namespace wale::pg {
namespace {

// XLogLongPageHeaderData (little-endian on the platforms PostgreSQL runs
// here): xlp_magic u16 @0, xlp_info u16 @2, xlp_tli u32 @4, xlp_pageaddr
// u64 @8, xlp_rem_len u32 @16, padding, xlp_sysid u64 @24, xlp_seg_size
// u32 @32, xlp_xlog_blcksz u32 @36.
constexpr std::uint16_t kLongHeader = 0x0002;

template <class T>
T read_le(std::string_view bytes, std::size_t at) {
  T value{};
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

}  // namespace

void check_segment_header(const SegmentName& name, std::string_view head, std::uint64_t size) {
  const std::string what = "WAL file " + name.str();
  if (!valid_segment_size(size))
    throw Error(ErrorKind::corrupt, what + " is " + std::to_string(size) + " bytes long, which is no WAL segment size");
  if (head.size() < kSegmentHeaderBytes) throw Error(ErrorKind::corrupt, what + " is too short for a WAL page header");
  const SegmentGeometry geometry(size);
  if (!geometry.fits(name)) throw Error(ErrorKind::corrupt, what + " names no segment of a " + std::to_string(size) + "-byte segment size");
  const auto info = read_le<std::uint16_t>(head, 2);
  const auto page_address = read_le<std::uint64_t>(head, 8);
  const auto segment_size = read_le<std::uint32_t>(head, 32);
  const std::uint64_t expected = geometry.segment_number(name) * size;
  if ((info & kLongHeader) == 0 || page_address != expected || segment_size != size)
    throw Error(ErrorKind::corrupt, what + " does not start with its own page header (it holds another segment, or is damaged)");
}

void SegmentHeadCapture::write(std::string_view data) {
  if (head_.size() < kSegmentHeaderBytes) {
    head_.append(data.substr(0, kSegmentHeaderBytes - head_.size()));
    if (is_segment_ && head_.size() == kSegmentHeaderBytes && (read_le<std::uint16_t>(head_, 2) & kLongHeader) != 0) {
      const auto declared = read_le<std::uint32_t>(head_, 32);
      if (valid_segment_size(declared)) limit_ = declared;
    }
  }
  if (data.size() > limit_ - size_)
    throw Error(ErrorKind::corrupt, "it decodes to more than the " + std::to_string(limit_) +
                                        " bytes its page header gives as the segment size (damaged, or a decompression bomb)");
  size_ += data.size();
  next_.write(data);
}

void check_segment_file(const SegmentName& name, const std::string& path) {
  UniqueFd fd = open_file(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_system_error("cannot examine " + path);
  char head[kSegmentHeaderBytes];
  const ssize_t n = ::pread(fd.get(), head, sizeof(head), 0);
  if (n < 0) throw_system_error("cannot read " + path);
  check_segment_header(name, std::string_view(head, static_cast<std::size_t>(n)), static_cast<std::uint64_t>(st.st_size));
}

}  // namespace wale::pg
