// The stream stages the lz4 and zstd codecs share. Both libraries take
// input in pieces, produce output into a buffer, and say how many more
// bytes the frame they decode needs (0 exactly at a frame's end); an engine
// wraps one library, and these shells do the rest: the ByteSink protocol,
// feeding and draining, refusing use after close, and telling a stream that
// ends inside a frame (or an empty one) from a complete one.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale::codec {

using Emit = std::function<void(std::string_view)>;

class FrameEncodeEngine {
 public:
  virtual ~FrameEncodeEngine() = default;
  // Compresses all of `in`, handing what comes out to `emit`.
  virtual void compress(std::string_view in, const Emit& emit) = 0;
  // Ends the frame (begins it first, for an empty input).
  virtual void finish(const Emit& emit) = 0;
};

class FrameDecodeEngine {
 public:
  virtual ~FrameDecodeEngine() = default;
  // Decodes from the front of `in` into `out`, removes what it consumed
  // from `in`, and returns how many bytes of `out` it filled; `wanted`
  // becomes the library's hint (0 at the end of a frame). Throws
  // wale::Error(corrupt) on damage.
  virtual std::size_t decode(std::string_view& in, std::span<char> out, std::size_t& wanted) = 0;
};

class FrameEncoder final : public ByteSink {
 public:
  FrameEncoder(ByteSink& next, std::unique_ptr<FrameEncodeEngine> engine) : next_(next), engine_(std::move(engine)) {}
  void write(std::string_view data) override;
  void close() override;

 private:
  ByteSink& next_;
  std::unique_ptr<FrameEncodeEngine> engine_;
  bool closed_ = false;
};

// `format` names the format in errors ("lz4 data is corrupt: ...").
class FrameDecoder final : public ByteSink {
 public:
  FrameDecoder(ByteSink& next, std::unique_ptr<FrameDecodeEngine> engine, std::string format, std::size_t buffer_size)
      : next_(next),
        engine_(std::move(engine)),
        format_(std::move(format)),
        out_(std::make_unique_for_overwrite<char[]>(buffer_size)),
        out_size_(buffer_size) {}
  void write(std::string_view data) override;
  void close() override;

 private:
  [[noreturn]] void corrupt(const std::string& detail);

  ByteSink& next_;
  std::unique_ptr<FrameDecodeEngine> engine_;
  std::string format_;
  // Not zero-filled: a decoder per fetched object would otherwise touch
  // every page of it before the library writes a byte (a quarter of a
  // decoder's set-up cost, measured with perf on the fuzz targets).
  std::unique_ptr<char[]> out_;
  std::size_t out_size_;
  std::size_t wanted_ = 1;  // nothing read yet: a frame is wanted
  bool failed_ = false;
  bool closed_ = false;
};

}  // namespace wale::codec
