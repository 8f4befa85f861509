#include "common/storage/resumable_get.hpp"

#include "common/core/error.hpp"

namespace wale::storage {

void resumable_get(const std::string& url, ByteSink& sink, std::optional<ByteRange> range, const RangedGet& send,
                   const RefuseResponse& refuse) {
  constexpr int kAttempts = 5;
  const std::uint64_t first = range ? range->offset : 0;
  const bool bounded = range && range->length;
  const std::uint64_t length = bounded ? *range->length : 0;
  if (bounded && length == 0) return;  // nothing to read (and no valid Range to ask for it)
  std::uint64_t done = 0;
  for (int attempt = 1;; ++attempt) {
    std::string range_header;
    if (first + done > 0 || bounded) {
      range_header = "bytes=" + std::to_string(first + done) + "-";
      if (bounded) range_header += std::to_string(first + length - 1);
    }
    std::uint64_t delivered = 0;
    try {
      const auto response = send(range_header, sink, delivered);
      done += delivered;
      delivered = 0;
      if (response.status == 416) {
        // Nothing was left to read (a download cut off after its last
        // byte), or the range lies beyond the object.
        if (bounded ? done >= length : done > 0) return;
        throw Error(ErrorKind::permanent, "the store refused the byte range " + range_header + " of " + url + " (HTTP 416)");
      }
      if (response.status != 200 && response.status != 206) {
        refuse(response);
        throw Error(ErrorKind::permanent, "cannot read " + url + ": HTTP " + std::to_string(response.status));
      }
      if (!range_header.empty() && response.status != 206)
        throw Error(ErrorKind::permanent, "the store ignored a Range request for " + url);
      return;
    } catch (const Error& e) {
      done += delivered;
      if (e.kind() != ErrorKind::transient || attempt >= kAttempts) throw;
    }
  }
}

}  // namespace wale::storage
