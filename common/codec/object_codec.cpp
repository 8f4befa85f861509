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

ObjectDecoder::ObjectDecoder(ByteSink& out, const ObjectEncoding& encoding) {
  lzop_ = std::make_unique<LzopDecoder>(out);
  if (encoding.encrypted()) gpg_ = std::make_unique<GpgDecryptor>(*lzop_);
}

ObjectDecoder::~ObjectDecoder() {
  gpg_.reset();
  lzop_.reset();
}

}  // namespace wale::codec
