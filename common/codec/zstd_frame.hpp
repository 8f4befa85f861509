// The Zstandard frame format (what `zstd -c` writes and `zstd -d` reads) on
// libzstd's streaming API: one of the compressions WALE_COMPRESSION offers
// besides WAL-E's lzop.
#pragma once

#include <memory>

#include "common/core/stream.hpp"

namespace wale::codec {

// zstd's level for new objects: its fastest regular level. pgbench WAL
// shrinks to 9.5 % at 1 and to 7.5 % at the CLI's default 3, which costs
// a quarter more CPU (bench/compression.sh): on the database host, the CPU
// of archiving counts more.
inline constexpr int kZstdLevel = 1;

// Decoding refuses frames that need a larger window than this (2^24 =
// 16 MiB): it bounds what a hostile object can make the decoder allocate.
// Our frames use at most 2 MiB; `zstd -19` uses 8 MiB.
inline constexpr int kZstdWindowLogMax = 24;

// Compresses what is written into one zstd frame (content checksum on) and
// passes it on to `next`; close() ends the frame and closes `next`.
std::unique_ptr<ByteSink> make_zstd_encoder(ByteSink& next, int level = kZstdLevel);

// Decodes zstd frames written to it in pieces of any size (several frames
// decode to their concatenation, as with `zstd -d`) into `next`, verifying
// the content checksum when the frame has one. Throws wale::Error(corrupt)
// on damage, and from close() when the input is empty or ends inside a frame.
std::unique_ptr<ByteSink> make_zstd_decoder(ByteSink& next);

}  // namespace wale::codec
