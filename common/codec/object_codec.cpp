#include "common/codec/object_codec.hpp"

#include "common/codec/gpg.hpp"

namespace wale::codec {

ObjectEncoder::ObjectEncoder(ByteSink& out, const ObjectEncoding& encoding, LzopHeaderFields fields) {
  if (encoding.encrypted()) gpg_ = std::make_unique<GpgEncryptor>(out, encoding.gpg_key_id);
  compressor_ = make_compressor(encoding.compression, gpg_ ? *gpg_ : out, fields);
}

// The stage nearest the input goes first: it may still write to the next.
ObjectEncoder::~ObjectEncoder() {
  compressor_.reset();
  gpg_.reset();
}

namespace {

// A compressed stream of blocks (lzop's 256 KiB, lz4's and zstd's frames
// alike) is its content plus a few bytes a block and a header: a 1/1024
// margin and a MiB of padding is generous.
std::uint64_t max_container_size(std::uint64_t max_output) { return max_output + max_output / 1024 + (1u << 20); }

}  // namespace

ObjectDecoder::ObjectDecoder(ByteSink& out, const ObjectEncoding& encoding, Compression compression, std::uint64_t max_output,
                             std::string_view reason)
    : output_(out, max_output, "the decoded object", std::string(reason)) {
  decompressor_ = make_decompressor(compression, output_);
  container_input_ = std::make_unique<LimitedSink>(*decompressor_, max_container_size(max_output), "the object's compressed stream",
                                                   std::string(reason));
  if (encoding.encrypted()) gpg_ = std::make_unique<GpgDecryptor>(*container_input_);
}

ObjectDecoder::~ObjectDecoder() {
  gpg_.reset();
  container_input_.reset();
  decompressor_.reset();
}

}  // namespace wale::codec
