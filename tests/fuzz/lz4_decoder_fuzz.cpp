// libFuzzer target for the LZ4 frame decoder (WALE_COMPRESSION=lz4 objects).
#include "common/codec/lz4_frame.hpp"
#include "tests/fuzz/stream_decoder_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return wale::fuzz::decode_whole_and_split(wale::codec::make_lz4_frame_decoder, data, size);
}
