#include "common/codec/object_codec.hpp"

#include "common/codec/gpg.hpp"

namespace wale::codec {

ObjectEncoder::ObjectEncoder(ByteSink& out, const ObjectEncoding& encoding, LzopHeaderFields fields) {
  if (encoding.encrypted()) gpg_ = std::make_unique<GpgEncryptor>(out, encoding.gpg_key_id);
  lzop_ = std::make_unique<LzopEncoder>(gpg_ ? *gpg_ : out, fields);
}

// The stage nearest the input goes first: it may still write to the next.
ObjectEncoder::~ObjectEncoder() {
  lzop_.reset();
  gpg_.reset();
}

namespace {

// An lzop stream of 256 KiB blocks is its content plus 12 bytes a block
// and a header: a 1/1024 margin and a MiB of padding is generous.
std::uint64_t max_container_size(std::uint64_t max_output) { return max_output + max_output / 1024 + (1u << 20); }

}  // namespace

ObjectDecoder::ObjectDecoder(ByteSink& out, const ObjectEncoding& encoding, std::uint64_t max_output, std::string_view reason)
    : output_(out, max_output, "the decoded object", std::string(reason)) {
  lzop_ = std::make_unique<LzopDecoder>(output_);
  lzop_input_ = std::make_unique<LimitedSink>(*lzop_, max_container_size(max_output), "the object's lzop stream",
                                              std::string(reason));
  if (encoding.encrypted()) gpg_ = std::make_unique<GpgDecryptor>(*lzop_input_);
}

ObjectDecoder::~ObjectDecoder() {
  gpg_.reset();
  lzop_input_.reset();
  lzop_.reset();
}

}  // namespace wale::codec
