// The lzop container (what `lzop -c` writes and `lzop -d` reads) on liblzo2:
// WAL-E's compression format, byte-compatible with lzop 1.04. See
// shared/spec/wal-e-format.md §4 for the layout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale::codec {

struct LzopHeaderFields {
  std::uint32_t mode = 0;   // st_mode of the input, 0 for a pipe
  std::int64_t mtime = 0;   // seconds since the epoch
};

// Compresses what is written into lzop blocks of 256 KiB (LZO1X-1, Adler-32
// of the uncompressed data, blocks that do not shrink stored raw) and passes
// the container on to `next`. close() writes the end marker and closes `next`.
class LzopEncoder final : public ByteSink {
 public:
  explicit LzopEncoder(ByteSink& next, LzopHeaderFields fields = {});
  ~LzopEncoder() override;
  LzopEncoder(const LzopEncoder&) = delete;
  LzopEncoder& operator=(const LzopEncoder&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  void emit_header();
  void flush_block();
  void emit_block(std::string_view block);

  ByteSink& next_;
  LzopHeaderFields fields_;
  std::string pending_;      // uncompressed bytes of the current block
  // Scratch for one compressed block and the LZO1X-1 dictionary, left
  // uninitialised: both are written before they are read.
  std::unique_ptr<char[]> compressed_;
  std::unique_ptr<char[]> work_memory_;
  bool header_written_ = false;
  bool closed_ = false;
};

// Decodes an lzop container written to it (in pieces of any size) and passes
// the original bytes on to `next`. Verifies every checksum the container
// carries; throws wale::Error(ErrorKind::corrupt) on damage, and from close()
// when the stream ends before its end marker.
class LzopDecoder final : public ByteSink {
 public:
  explicit LzopDecoder(ByteSink& next);
  ~LzopDecoder() override;
  LzopDecoder(const LzopDecoder&) = delete;
  LzopDecoder& operator=(const LzopDecoder&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  struct State;
  ByteSink& next_;
  std::string buffer_;
  std::unique_ptr<State> state_;
};

// Whole-buffer conveniences.
std::string lzop_compress(std::string_view data, LzopHeaderFields fields = {});
std::string lzop_decompress(std::string_view container);

// True when `prefix` starts with the lzop magic.
bool has_lzop_magic(std::string_view prefix);

}  // namespace wale::codec
