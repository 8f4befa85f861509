// libFuzzer target for the lzop decoder: hostile containers must end in
// wale::Error (kind corrupt) or success, never in a crash, an overrun or an
// unbounded allocation. The input is fed whole and also split in two at a
// point taken from its first byte, because the decoder is a push parser and
// every item may arrive in pieces.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/codec/lzop.hpp"
#include "common/core/error.hpp"
#include "common/core/stream.hpp"

namespace {

void decode(std::string_view first, std::string_view second) {
  wale::NullSink sink;
  wale::codec::LzopDecoder decoder(sink);
  try {
    decoder.write(first);
    decoder.write(second);
    decoder.close();
  } catch (const wale::Error& e) {
    if (e.kind() != wale::ErrorKind::corrupt) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  decode(input, {});
  if (size > 0) {
    const std::size_t split = static_cast<std::uint8_t>(input[0]) * size / 256;
    decode(input.substr(0, split), input.substr(split));
  }
  return 0;
}
