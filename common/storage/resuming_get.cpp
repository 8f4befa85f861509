#include "common/storage/resuming_get.hpp"

#include "common/core/error.hpp"

namespace wale::storage {

void get_resuming(const RangedGet& get, std::optional<ByteRange> range) {
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
      const auto response = get.send(range_header, delivered);
      done += delivered;
      if (response.status == 404) throw Error(ErrorKind::not_found, "no object " + get.url);
      if (response.status == 416 && bounded && length == 0) return;
      if (response.status != 200 && response.status != 206) get.fail(response);
      if (!range_header.empty() && response.status != 206)
        throw Error(ErrorKind::permanent, "the store ignored a Range request for " + get.url);
      return;
    } catch (const Error& e) {
      done += delivered;
      if (e.kind() != ErrorKind::transient || attempt >= 5) throw;
    }
  }
}

}  // namespace wale::storage
