#include "common/storage/resumable_get.hpp"

#include "common/core/error.hpp"

namespace wale::storage {

void resumable_get(const std::string& url, ByteSink& sink, std::optional<ByteRange> range, const RangedGet& send,
                   const RefuseResponse& refuse) {
  constexpr int kAttempts = 5;
  const std::uint64_t first = range ? range->offset : 0;
  const bool bounded = range && range->length;
  const std::uint64_t length = bounded ? *range->length : 0;
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
      if (response.status == 416 && bounded && length == 0) return;
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
