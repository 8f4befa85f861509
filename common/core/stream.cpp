#include "common/core/stream.hpp"

#include <memory>

#include "common/core/error.hpp"

namespace wale {

void LimitedSink::write(std::string_view data) {
  if (data.size() > limit_ - count_)
    throw Error(ErrorKind::corrupt, what_ + " is larger than " + std::to_string(limit_) + " bytes" + why_);
  count_ += data.size();
  next_.write(data);
}

void pump(ByteSource& source, ByteSink& sink, std::size_t chunk) {
  // Uninitialised: every byte passed on was read first.
  const auto buffer = std::make_unique_for_overwrite<char[]>(chunk);
  for (;;) {
    const std::size_t n = source.read(buffer.get(), chunk);
    if (n == 0) break;
    sink.write(std::string_view(buffer.get(), n));
  }
  sink.close();
}

}  // namespace wale
