// How archive objects are encoded: compressed (lzop by default, or lz4 or
// zstd), then GPG when a key is configured (WAL-E's pipeline: data -> lzop
// -> gpg -e -> object, and back). Encryption is decided by configuration,
// as WAL-E does, so one prefix is all encrypted or all plain; the
// compression of an object is told by its suffix, so one prefix may mix them.
#pragma once

#include <memory>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/codec/compression.hpp"
#include "common/core/stream.hpp"

namespace wale::codec {

struct ObjectEncoding {
  std::string gpg_key_id;  // empty: no encryption
  Compression compression = Compression::lzop;  // of the objects written
  bool encrypted() const { return !gpg_key_id.empty(); }
};

// The encoder stages in front of `out`; write plain bytes to input() and
// close it to finish the object.
class ObjectEncoder {
 public:
  ObjectEncoder(ByteSink& out, const ObjectEncoding& encoding, LzopHeaderFields fields = {});
  ~ObjectEncoder();
  ObjectEncoder(const ObjectEncoder&) = delete;
  ObjectEncoder& operator=(const ObjectEncoder&) = delete;
  ByteSink& input() { return *compressor_; }

 private:
  std::unique_ptr<ByteSink> gpg_;
  std::unique_ptr<ByteSink> compressor_;
};

// The decoder stages in front of `out` for an object compressed with
// `compression` (its suffix says which); write the object to input() and
// close it (which verifies every checksum) before trusting `out`. At most
// `max_output` decoded bytes reach `out` (archive::decode_limit gives the
// limit for a key): beyond, a write throws wale::Error(corrupt) naming
// `reason`. The compressed stream itself is bounded too, so that an endless
// run of padding (or of empty or skippable frames) cannot keep a decoder
// busy forever.
class ObjectDecoder {
 public:
  ObjectDecoder(ByteSink& out, const ObjectEncoding& encoding, Compression compression, std::uint64_t max_output,
                std::string_view reason);
  ~ObjectDecoder();
  ObjectDecoder(const ObjectDecoder&) = delete;
  ObjectDecoder& operator=(const ObjectDecoder&) = delete;
  ByteSink& input() { return gpg_ ? *gpg_ : *container_input_; }

 private:
  LimitedSink output_;
  std::unique_ptr<ByteSink> decompressor_;
  std::unique_ptr<LimitedSink> container_input_;
  std::unique_ptr<ByteSink> gpg_;
};

}  // namespace wale::codec
