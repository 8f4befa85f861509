#include "common/codec/lz4_frame.hpp"

#include <lz4frame.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "common/codec/frame_stream.hpp"
#include "common/core/error.hpp"

namespace wale::codec {
namespace {

// Input is handed to liblz4 in slices of this size, so that the output
// buffer (its compress bound) stays small whatever the caller writes.
constexpr std::size_t kSlice = 256 * 1024;

// Encoder errors mean a wrong call or no memory, never bad data.
std::size_t checked(std::size_t status, const char* call) {
  if (LZ4F_isError(status)) throw std::runtime_error(std::string(call) + " failed: " + LZ4F_getErrorName(status));
  return status;
}

class Lz4Encoder final : public FrameEncodeEngine {
 public:
  Lz4Encoder() {
    checked(LZ4F_createCompressionContext(&context_, LZ4F_VERSION), "LZ4F_createCompressionContext");
    // Linked blocks compress WAL better than the CLI's independent 4 MiB
    // ones and need only 64 KiB of history to decode.
    preferences_.frameInfo.blockSizeID = LZ4F_max256KB;
    preferences_.frameInfo.blockMode = LZ4F_blockLinked;
    preferences_.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    preferences_.compressionLevel = 0;  // lz4's fast default (lz4 -1)
    out_.resize(std::max<std::size_t>(LZ4F_HEADER_SIZE_MAX, LZ4F_compressBound(kSlice, &preferences_)));
  }
  ~Lz4Encoder() override { LZ4F_freeCompressionContext(context_); }
  Lz4Encoder(const Lz4Encoder&) = delete;
  Lz4Encoder& operator=(const Lz4Encoder&) = delete;

  void compress(std::string_view in, const Emit& emit) override {
    begin(emit);
    while (!in.empty()) {
      const std::size_t take = std::min(kSlice, in.size());
      emit_(checked(LZ4F_compressUpdate(context_, out_.data(), out_.size(), in.data(), take, nullptr), "LZ4F_compressUpdate"), emit);
      in.remove_prefix(take);
    }
  }
  void finish(const Emit& emit) override {
    begin(emit);
    emit_(checked(LZ4F_compressEnd(context_, out_.data(), out_.size(), nullptr), "LZ4F_compressEnd"), emit);
  }

 private:
  void begin(const Emit& emit) {
    if (begun_) return;
    begun_ = true;
    emit_(checked(LZ4F_compressBegin(context_, out_.data(), out_.size(), &preferences_), "LZ4F_compressBegin"), emit);
  }
  void emit_(std::size_t n, const Emit& emit) const {
    if (n > 0) emit(std::string_view(out_.data(), n));
  }

  LZ4F_cctx* context_ = nullptr;
  LZ4F_preferences_t preferences_{};
  std::string out_;
  bool begun_ = false;
};

class Lz4Decoder final : public FrameDecodeEngine {
 public:
  Lz4Decoder() {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&context_, LZ4F_VERSION)))
      throw std::runtime_error("LZ4F_createDecompressionContext failed");
  }
  ~Lz4Decoder() override { LZ4F_freeDecompressionContext(context_); }
  Lz4Decoder(const Lz4Decoder&) = delete;
  Lz4Decoder& operator=(const Lz4Decoder&) = delete;

  std::size_t decode(std::string_view& in, std::span<char> out, std::size_t& wanted) override {
    std::size_t produced = out.size();
    std::size_t consumed = in.size();
    const std::size_t status = LZ4F_decompress(context_, out.data(), &produced, in.data(), &consumed, nullptr);
    if (LZ4F_isError(status)) throw Error(ErrorKind::corrupt, std::string("lz4 data is corrupt: ") + LZ4F_getErrorName(status));
    wanted = status;
    in.remove_prefix(consumed);
    return produced;
  }

 private:
  LZ4F_dctx* context_ = nullptr;
};

}  // namespace

std::unique_ptr<ByteSink> make_lz4_frame_encoder(ByteSink& next) {
  return std::make_unique<FrameEncoder>(next, std::make_unique<Lz4Encoder>());
}

std::unique_ptr<ByteSink> make_lz4_frame_decoder(ByteSink& next) {
  return std::make_unique<FrameDecoder>(next, std::make_unique<Lz4Decoder>(), "lz4", kSlice);
}

}  // namespace wale::codec
