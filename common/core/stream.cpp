#include "common/core/stream.hpp"

#include <vector>

#include "common/core/error.hpp"

namespace wale {

void BoundedSink::write(std::string_view data) {
  if (data.size() > limit_ - passed_)
    throw Error(ErrorKind::corrupt, what_ + " decodes to more than " + std::to_string(limit_) + " bytes");
  passed_ += data.size();
  next_.write(data);
}

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
