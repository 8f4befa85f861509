#include "common/core/stream.hpp"

#include <vector>

namespace wale {

void pump(ByteSource& source, ByteSink& sink, std::size_t chunk) {
  std::vector<char> buffer(chunk);
  for (;;) {
    const std::size_t n = source.read(buffer.data(), buffer.size());
    if (n == 0) break;
    sink.write(std::string_view(buffer.data(), n));
  }
  sink.close();
}

}  // namespace wale
