#include "common/codec/zstd_frame.hpp"

#include <zstd.h>
#include <zstd_errors.h>

#include <new>
#include <stdexcept>
#include <string>

#include "common/codec/frame_stream.hpp"
#include "common/core/error.hpp"

namespace wale::codec {
namespace {

// Encoder errors mean a wrong call or no memory, never bad data.
std::size_t checked(std::size_t status, const char* call) {
  if (ZSTD_isError(status)) throw std::runtime_error(std::string(call) + " failed: " + ZSTD_getErrorName(status));
  return status;
}

class ZstdEncoder final : public FrameEncodeEngine {
 public:
  explicit ZstdEncoder(int level) {
    if (context_ == nullptr) throw std::bad_alloc();
    checked(ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, level), "ZSTD_c_compressionLevel");
    checked(ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1), "ZSTD_c_checksumFlag");
  }
  ~ZstdEncoder() override { ZSTD_freeCCtx(context_); }
  ZstdEncoder(const ZstdEncoder&) = delete;
  ZstdEncoder& operator=(const ZstdEncoder&) = delete;

  void compress(std::string_view in, const Emit& emit) override { run(in, ZSTD_e_continue, emit); }
  void finish(const Emit& emit) override { run({}, ZSTD_e_end, emit); }

 private:
  // Feeds `data` and passes on what comes out, until libzstd has taken all
  // of it (ZSTD_e_continue) or has flushed the end of the frame (ZSTD_e_end).
  void run(std::string_view data, ZSTD_EndDirective mode, const Emit& emit) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    for (;;) {
      ZSTD_outBuffer o{out_.data(), out_.size(), 0};
      const std::size_t left = checked(ZSTD_compressStream2(context_, &o, &in, mode), "ZSTD_compressStream2");
      if (o.pos > 0) emit(std::string_view(out_.data(), o.pos));
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return;
    }
  }

  ZSTD_CCtx* context_ = ZSTD_createCCtx();
  std::string out_ = std::string(ZSTD_CStreamOutSize(), '\0');
};

class ZstdDecoder final : public FrameDecodeEngine {
 public:
  ZstdDecoder() {
    if (context_ == nullptr) throw std::bad_alloc();
    checked(ZSTD_DCtx_setParameter(context_, ZSTD_d_windowLogMax, kZstdWindowLogMax), "ZSTD_d_windowLogMax");
  }
  ~ZstdDecoder() override { ZSTD_freeDCtx(context_); }
  ZstdDecoder(const ZstdDecoder&) = delete;
  ZstdDecoder& operator=(const ZstdDecoder&) = delete;

  std::size_t decode(std::string_view& data, std::span<char> out, std::size_t& wanted) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    const std::size_t status = ZSTD_decompressStream(context_, &o, &in);
    if (ZSTD_isError(status)) {
      if (ZSTD_getErrorCode(status) == ZSTD_error_frameParameter_windowTooLarge)
        throw Error(ErrorKind::corrupt, "zstd data is corrupt: the frame needs a window larger than " +
                                            std::to_string((1u << kZstdWindowLogMax) >> 20) + " MiB, more than wal-e allows a decoder");
      throw Error(ErrorKind::corrupt, std::string("zstd data is corrupt: ") + ZSTD_getErrorName(status));
    }
    wanted = status;
    data.remove_prefix(in.pos);
    return o.pos;
  }

 private:
  ZSTD_DCtx* context_ = ZSTD_createDCtx();
};

}  // namespace

std::unique_ptr<ByteSink> make_zstd_encoder(ByteSink& next, int level) {
  return std::make_unique<FrameEncoder>(next, std::make_unique<ZstdEncoder>(level));
}

std::unique_ptr<ByteSink> make_zstd_decoder(ByteSink& next) {
  return std::make_unique<FrameDecoder>(next, std::make_unique<ZstdDecoder>(), "zstd", ZSTD_DStreamOutSize());
}

}  // namespace wale::codec
