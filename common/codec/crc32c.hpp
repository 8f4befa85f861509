// CRC-32C (Castagnoli), with the SSE 4.2 instruction where the CPU has it:
// fast enough to check a whole prefetched WAL segment on the path of a
// restore_command call.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale::codec {

// Continues a CRC-32C over `data` (start with 0).
std::uint32_t crc32c(std::uint32_t crc, std::string_view data);

// Passes data through while computing its CRC-32C.
class Crc32cSink final : public ByteSink {
 public:
  explicit Crc32cSink(ByteSink& next) : next_(next) {}
  void write(std::string_view data) override {
    crc_ = crc32c(crc_, data);
    next_.write(data);
  }
  void close() override { next_.close(); }
  std::uint32_t value() const { return crc_; }

 private:
  ByteSink& next_;
  std::uint32_t crc_ = 0;
};

}  // namespace wale::codec
