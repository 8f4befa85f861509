#include "common/storage/ranged_download.hpp"

#include "common/core/error.hpp"

namespace wale::storage {

void download_resuming(std::optional<ByteRange> range, const std::string& url,
                       const std::function<int(const std::string& range_header, std::uint64_t& delivered)>& attempt) {
  const std::uint64_t first = range ? range->offset : 0;
  const bool bounded = range && range->length;
  const std::uint64_t length = bounded ? *range->length : 0;
  if (bounded && length == 0) return;  // nothing to read (and no valid Range to ask for it)
  std::uint64_t done = 0;
  for (int attempt_number = 1;; ++attempt_number) {
    std::string range_header;
    if (first + done > 0 || bounded) {
      range_header = "bytes=" + std::to_string(first + done) + "-";
      if (bounded) range_header += std::to_string(first + length - 1);
    }
    std::uint64_t delivered = 0;
    try {
      const int status = attempt(range_header, delivered);
      done += delivered;
      if (status == 416) {
        // Nothing was left to read (an empty range, or a download cut off
        // after its last byte), or the range lies beyond the object.
        if (bounded ? done >= length : done > 0) return;
        throw Error(ErrorKind::permanent, "the store refused the byte range " + range_header + " of " + url + " (HTTP 416)");
      }
      if (!range_header.empty() && status != 206)
        throw Error(ErrorKind::permanent, "the store ignored a Range request for " + url);
      return;
    } catch (const Error& e) {
      done += delivered;
      if (e.kind() != ErrorKind::transient || attempt_number >= 5) throw;
    }
  }
}

}  // namespace wale::storage
