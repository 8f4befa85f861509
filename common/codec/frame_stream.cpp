#include "common/codec/frame_stream.hpp"

#include <stdexcept>

#include "common/core/error.hpp"

namespace wale::codec {

void FrameEncoder::write(std::string_view data) {
  if (closed_) throw std::logic_error("write after close on a compressing stage");
  if (!data.empty()) engine_->compress(data, [this](std::string_view out) { next_.write(out); });
}

void FrameEncoder::close() {
  if (closed_) return;
  engine_->finish([this](std::string_view out) { next_.write(out); });
  closed_ = true;
  next_.close();
}

void FrameDecoder::corrupt(const std::string& detail) {
  failed_ = true;
  throw Error(ErrorKind::corrupt, format_ + " data is corrupt: " + detail);
}

void FrameDecoder::write(std::string_view data) {
  if (closed_) throw std::logic_error("write after close on a decoding stage");
  if (failed_) corrupt("decoding already failed");
  // Until the input is used up, and while a full buffer says the library
  // holds more output (unless a frame just ended: asking again would start
  // the next one).
  bool output_full = false;
  while (!data.empty() || (output_full && wanted_ != 0)) {
    std::size_t produced = 0;
    const std::size_t before = data.size();
    try {
      produced = engine_->decode(data, std::span<char>(out_.get(), out_size_), wanted_);
    } catch (const Error&) {
      failed_ = true;
      throw;
    }
    if (produced == 0 && before > 0 && data.size() == before) corrupt("the decoder stopped making progress");
    if (produced > 0) next_.write(std::string_view(out_.get(), produced));
    output_full = produced == out_size_;
  }
}

void FrameDecoder::close() {
  if (closed_) return;
  if (failed_) corrupt("decoding already failed");
  if (wanted_ != 0) corrupt("the stream ends inside a frame (truncated or empty)");
  closed_ = true;
  next_.close();
}

}  // namespace wale::codec
