// libFuzzer target for the zstd decoder (WALE_COMPRESSION=zstd objects); its
// window limit keeps what a hostile frame makes it allocate bounded.
#include "common/codec/zstd_frame.hpp"
#include "tests/fuzz/stream_decoder_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return wale::fuzz::decode_whole_and_split(wale::codec::make_zstd_decoder, data, size);
}
