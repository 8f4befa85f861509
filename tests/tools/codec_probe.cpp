// wale-codec-probe: standard input to standard output through one of the
// project's compression stages, exactly as archive objects are written and
// read (bench/compression.sh compares it with the lzop, lz4 and zstd tools).
//
//   wale-codec-probe compress lzop|lz4|zstd   < plain      > object
//   wale-codec-probe decompress lzop|lz4|zstd < object     > plain
#include <iostream>
#include <string>

#include <unistd.h>

#include "common/codec/compression.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"

namespace {

class StdoutSink final : public wale::ByteSink {
 public:
  void write(std::string_view data) override { wale::write_all(STDOUT_FILENO, data, "standard output"); }
};

class StdinSource final : public wale::ByteSource {
 public:
  std::size_t read(char* buffer, std::size_t size) override {
    const ssize_t n = ::read(STDIN_FILENO, buffer, size);
    if (n < 0) wale::throw_system_error("cannot read standard input");
    return static_cast<std::size_t>(n);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  const auto parsed = argc == 3 ? wale::codec::parse_compression(argv[2]) : std::nullopt;
  if ((mode != "compress" && mode != "decompress") || !parsed) {
    std::cerr << "usage: wale-codec-probe compress|decompress lzop|lz4|zstd < in > out\n";
    return 2;
  }
  const wale::codec::Compression compression = *parsed;
  try {
    StdoutSink out;
    StdinSource in;
    auto stage = mode == "compress" ? wale::codec::make_compressor(compression, out) : wale::codec::make_decompressor(compression, out);
    wale::pump(in, *stage);
  } catch (const std::exception& e) {
    std::cerr << "wale-codec-probe: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
