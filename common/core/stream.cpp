#include "common/core/stream.hpp"

#include <memory>

namespace wale {

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
