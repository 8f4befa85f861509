// The LZ4 frame format (what `lz4 -c` writes and `lz4 -d` reads) on liblz4's
// LZ4F API: one of the compressions WALE_COMPRESSION offers besides WAL-E's
// lzop.
#pragma once

#include <memory>

#include "common/core/stream.hpp"

namespace wale::codec {

// Compresses what is written into one LZ4 frame (256 KiB linked blocks, a
// content checksum that `lz4 -d` and our decoder verify) and passes it on
// to `next`; close() ends the frame and closes `next`.
std::unique_ptr<ByteSink> make_lz4_frame_encoder(ByteSink& next);

// Decodes LZ4 frames written to it in pieces of any size (several frames
// decode to their concatenation, as with `lz4 -d`) into `next`. Throws
// wale::Error(corrupt) on damage, and from close() when the input is empty
// or ends inside a frame. Memory stays bounded: the format caps blocks at
// 4 MiB.
std::unique_ptr<ByteSink> make_lz4_frame_decoder(ByteSink& next);

}  // namespace wale::codec
