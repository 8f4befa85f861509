// The body of the stream-decoder fuzz targets: hostile input must end in
// wale::Error (kind corrupt) or success, never in a crash, an overrun or an
// unbounded allocation. The input is fed whole and also split in two at a
// point taken from its first byte, because the decoders are push parsers
// and every item may arrive in pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/core/error.hpp"
#include "common/core/stream.hpp"

namespace wale::fuzz {

using MakeDecoder = std::unique_ptr<ByteSink> (*)(ByteSink&);

inline void decode(MakeDecoder make, std::string_view first, std::string_view second) {
  NullSink sink;
  const auto decoder = make(sink);
  try {
    decoder->write(first);
    decoder->write(second);
    decoder->close();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::corrupt) __builtin_trap();
  }
}

inline int decode_whole_and_split(MakeDecoder make, const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  decode(make, input, {});
  if (size > 0) {
    const std::size_t split = static_cast<std::uint8_t>(input[0]) * size / 256;
    decode(make, input.substr(0, split), input.substr(split));
  }
  return 0;
}

}  // namespace wale::fuzz
