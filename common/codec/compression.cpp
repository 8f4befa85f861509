#include "common/codec/compression.hpp"

#include "common/codec/lz4_frame.hpp"
#include "common/codec/zstd_frame.hpp"

namespace wale::codec {

std::string_view compression_name(Compression compression) {
  switch (compression) {
    case Compression::lzop: return "lzop";
    case Compression::lz4: return "lz4";
    case Compression::zstd: return "zstd";
  }
  return "lzop";
}

std::optional<Compression> parse_compression(std::string_view name) {
  for (const auto c : kCompressions)
    if (compression_name(c) == name) return c;
  return std::nullopt;
}

std::unique_ptr<ByteSink> make_compressor(Compression compression, ByteSink& next, LzopHeaderFields lzop_fields) {
  switch (compression) {
    case Compression::lz4: return make_lz4_frame_encoder(next);
    case Compression::zstd: return make_zstd_encoder(next);
    case Compression::lzop: break;
  }
  return std::make_unique<LzopEncoder>(next, lzop_fields);
}

std::unique_ptr<ByteSink> make_decompressor(Compression compression, ByteSink& next) {
  switch (compression) {
    case Compression::lz4: return make_lz4_frame_decoder(next);
    case Compression::zstd: return make_zstd_decoder(next);
    case Compression::lzop: break;
  }
  return std::make_unique<LzopDecoder>(next);
}

}  // namespace wale::codec
