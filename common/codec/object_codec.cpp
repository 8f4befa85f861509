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

ObjectDecoder::ObjectDecoder(ByteSink& out, const ObjectEncoding& encoding, Compression compression) {
  decompressor_ = make_decompressor(compression, out);
  if (encoding.encrypted()) gpg_ = std::make_unique<GpgDecryptor>(*decompressor_);
}

ObjectDecoder::~ObjectDecoder() {
  gpg_.reset();
  decompressor_.reset();
}

}  // namespace wale::codec
