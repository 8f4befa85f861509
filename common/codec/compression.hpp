// The compressions an object may carry. lzop is WAL-E's and the default:
// the only one WAL-E itself can read. lz4 and zstd are chosen with
// WALE_COMPRESSION; readers tell them apart by the object's suffix
// (common/archive/layout.hpp), never by configuration, so one archive may
// hold all three.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string_view>

#include "common/codec/lzop.hpp"
#include "common/core/stream.hpp"

namespace wale::codec {

enum class Compression { lzop, lz4, zstd };
inline constexpr std::array kCompressions{Compression::lzop, Compression::lz4, Compression::zstd};

// "lzop", "lz4", "zstd": the names WALE_COMPRESSION takes.
std::string_view compression_name(Compression compression);
std::optional<Compression> parse_compression(std::string_view name);

// A compressing stage in front of `next` (close() finishes it and closes
// `next`). `lzop_fields` fill lzop's header; the other formats have none.
std::unique_ptr<ByteSink> make_compressor(Compression compression, ByteSink& next, LzopHeaderFields lzop_fields = {});
// The matching decoder: verifies the format's checksums and throws
// wale::Error(corrupt) on damage or truncation.
std::unique_ptr<ByteSink> make_decompressor(Compression compression, ByteSink& next);

}  // namespace wale::codec
