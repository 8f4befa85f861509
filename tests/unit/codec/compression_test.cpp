// The compressions WALE_COMPRESSION chooses between, through the one
// factory every path uses: round trips in pieces of any size, damage and
// truncation always ending in ErrorKind::corrupt (never in other content),
// and interoperability with the lz4 and zstd command-line tools, which must
// read our objects and whose output we must read. (lzop has its own, deeper
// tests in lzop_test.cpp.)
#include "common/codec/compression.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/stream.hpp"
#include "tests/unit/support/sample_data.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::codec::Compression;
using wale::codec::compression_name;
using wale::codec::make_compressor;
using wale::codec::make_decompressor;
using wale::codec::parse_compression;
using wale::test::check_output;
using wale::test::mixed;
using wale::test::random_bytes;
using wale::test::run_command;
using wale::test::shell_quote;
using wale::test::TempDir;
using wale::test::text_like;
using wale::test::write_file;

namespace {

constexpr Compression kAll[] = {Compression::lzop, Compression::lz4, Compression::zstd};

// Feeds `input` to `sink` in pieces cycling through `pattern`, then closes it.
void feed(wale::ByteSink& sink, std::string_view input, const std::vector<std::size_t>& pattern) {
  std::size_t at = 0;
  for (std::size_t k = 0; at < input.size(); ++k) {
    const std::size_t piece = std::min(pattern[k % pattern.size()], input.size() - at);
    sink.write(input.substr(at, piece));
    at += piece;
  }
  sink.close();
}

std::string compress(Compression c, std::string_view data, const std::vector<std::size_t>& pattern = {1 << 20}) {
  wale::StringSink out;
  feed(*make_compressor(c, out), data, pattern);
  return std::move(out.data());
}

std::string decompress(Compression c, std::string_view object, const std::vector<std::size_t>& pattern = {1 << 20}) {
  wale::StringSink out;
  feed(*make_decompressor(c, out), object, pattern);
  return std::move(out.data());
}

// What a damaged object decodes to: its content, or the error kind.
struct Outcome {
  bool failed = false;
  wale::ErrorKind kind = wale::ErrorKind::corrupt;
  std::string content;
};

Outcome try_decompress(Compression c, std::string_view object, const std::vector<std::size_t>& pattern = {1 << 20}) {
  Outcome o;
  try {
    o.content = decompress(c, object, pattern);
  } catch (const wale::Error& e) {
    o.failed = true;
    o.kind = e.kind();
  }
  return o;
}

// The property every codec must have: damage ends in a corrupt error or, at
// worst, in the original content (a change the format cannot see, such as a
// larger window size declared in a header); never in other content.
void check_damage_is_caught(Compression c, std::string_view object, std::string_view original) {
  const Outcome o = try_decompress(c, object);
  if (o.failed) {
    CHECK(o.kind == wale::ErrorKind::corrupt);
  } else {
    CHECK(o.content == original);
  }
}

class ClosingSink final : public wale::ByteSink {
 public:
  void write(std::string_view data) override { bytes += data.size(); }
  void close() override { closed = true; }
  std::size_t bytes = 0;
  bool closed = false;
};

}  // namespace

TEST_CASE("compression names", "[codec][compression]") {
  CHECK(compression_name(Compression::lzop) == "lzop");
  CHECK(compression_name(Compression::lz4) == "lz4");
  CHECK(compression_name(Compression::zstd) == "zstd");
  for (const auto c : kAll) CHECK(parse_compression(compression_name(c)) == c);
  CHECK_FALSE(parse_compression("lzo").has_value());
  CHECK_FALSE(parse_compression("ZSTD").has_value());
  CHECK_FALSE(parse_compression("gzip").has_value());
  CHECK_FALSE(parse_compression("").has_value());
}

TEST_CASE("every compression round-trips, written and read in pieces of any size", "[codec][compression]") {
  const std::vector<std::string> inputs = {"", "x", text_like(300'000, 1), random_bytes(600'001, 2), mixed(3'000'000, 3),
                                           std::string(1 << 20, '\0')};
  for (const auto c : kAll) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      INFO(compression_name(c) << ", input " << i << " of " << inputs[i].size() << " bytes");
      const std::string object = compress(c, inputs[i], {4093, 1, 65537, 300'001});
      CHECK(decompress(c, object) == inputs[i]);
      if (object.size() < 100'000) CHECK(decompress(c, object, {1}) == inputs[i]);
      CHECK(decompress(c, object, {7, 4093, 1, 300'001}) == inputs[i]);
    }
  }
}

TEST_CASE("compressors and decompressors close the next stage once", "[codec][compression]") {
  for (const auto c : kAll) {
    INFO(compression_name(c));
    ClosingSink sink;
    auto encoder = make_compressor(c, sink);
    encoder->write("hello");
    encoder->close();
    CHECK(sink.closed);
    encoder->close();  // again: nothing more
    const std::string object = compress(c, "hello");
    ClosingSink plain;
    auto decoder = make_decompressor(c, plain);
    decoder->write(object);
    CHECK_FALSE(plain.closed);
    decoder->close();
    CHECK(plain.closed);
    CHECK(plain.bytes == 5u);
  }
}

TEST_CASE("WAL compresses: lz4 and zstd shrink text-like data", "[codec][compression]") {
  const std::string data = text_like(2'000'000, 4);
  for (const auto c : kAll) {
    INFO(compression_name(c));
    CHECK(compress(c, data).size() < data.size() / 2);
  }
  // incompressible data grows by little (lz4 stores such blocks raw, zstd too)
  const std::string noise = random_bytes(1'000'000, 5);
  CHECK(compress(Compression::lz4, noise).size() < noise.size() + noise.size() / 100);
  CHECK(compress(Compression::zstd, noise).size() < noise.size() + noise.size() / 100);
}

TEST_CASE("an empty object, or one cut anywhere, is corrupt", "[codec][compression]") {
  const std::string data = mixed(700'000, 6);
  for (const auto c : {Compression::lz4, Compression::zstd}) {
    INFO(compression_name(c));
    const Outcome empty = try_decompress(c, "");
    CHECK(empty.failed);
    CHECK(empty.kind == wale::ErrorKind::corrupt);
    const std::string object = compress(c, data);
    for (std::size_t cut = 1; cut < object.size(); cut += 1 + cut / 3) {
      INFO("cut at " << cut << " of " << object.size());
      const Outcome o = try_decompress(c, object.substr(0, cut), {4093});
      CHECK(o.failed);
      CHECK(o.kind == wale::ErrorKind::corrupt);
    }
    // the last byte too: the content checksum is the frame's end
    const Outcome last = try_decompress(c, object.substr(0, object.size() - 1));
    CHECK(last.failed);
  }
}

TEST_CASE("damaged bytes are corrupt, never other content", "[codec][compression]") {
  const std::string data = mixed(400'000, 7);
  for (const auto c : {Compression::lz4, Compression::zstd}) {
    INFO(compression_name(c));
    const std::string object = compress(c, data);
    for (std::size_t at = 0; at < object.size(); at += 1 + at / 2) {
      for (const int flip : {0x01, 0x80, 0xFF}) {
        INFO("byte " << at << " ^ " << flip);
        std::string damaged = object;
        damaged[at] = static_cast<char>(static_cast<unsigned char>(damaged[at]) ^ flip);
        check_damage_is_caught(c, damaged, data);
      }
    }
    // trailing bytes that are not another frame
    check_damage_is_caught(c, object + "garbage!", data);
    CHECK(try_decompress(c, object + "garbage!").failed);
  }
}

TEST_CASE("a failed decoder stays failed", "[codec][compression]") {
  for (const auto c : {Compression::lz4, Compression::zstd}) {
    INFO(compression_name(c));
    wale::NullSink sink;
    auto decoder = make_decompressor(c, sink);
    CHECK_THROWS_AS(decoder->write(std::string(64, '\x5A')), wale::Error);
    CHECK_THROWS_AS(decoder->write(compress(c, "fine")), wale::Error);
    CHECK_THROWS_AS(decoder->close(), wale::Error);
  }
}

TEST_CASE("concatenated frames decode to the concatenation, as the CLIs do", "[codec][compression]") {
  for (const auto c : {Compression::lz4, Compression::zstd}) {
    INFO(compression_name(c));
    CHECK(decompress(c, compress(c, "one,") + compress(c, "two")) == "one,two");
  }
}

TEST_CASE("lz4 and zstd read our objects", "[codec][compression][interop]") {
  TempDir dir{"compression-test"};
  const std::vector<std::string> inputs = {"", "hello\n", mixed(3'000'000, 8), std::string(5'000'000, 'a')};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i << " of " << inputs[i].size() << " bytes");
    const std::string lz4 = dir.file("ours" + std::to_string(i) + ".lz4");
    write_file(lz4, compress(Compression::lz4, inputs[i]));
    CHECK(run_command("lz4 -t -q " + shell_quote(lz4)).status == 0);
    CHECK(check_output("lz4 -d -c -q " + shell_quote(lz4)) == inputs[i]);
    const std::string zst = dir.file("ours" + std::to_string(i) + ".zst");
    write_file(zst, compress(Compression::zstd, inputs[i]));
    CHECK(run_command("zstd -t -q " + shell_quote(zst)).status == 0);
    CHECK(check_output("zstd -d -c -q " + shell_quote(zst)) == inputs[i]);
  }
}

TEST_CASE("we read what lz4 and zstd write, with their options", "[codec][compression][interop]") {
  TempDir dir{"compression-test"};
  const std::string data = mixed(1'500'000, 9);  // many blocks at -B4 and -B5, and quick at -19 and -12
  const std::string path = dir.file("in");
  write_file(path, data);
  for (const char* options : {"", "-1", "-9", "-B4", "-B5 -BD", "-B7 --no-frame-crc", "-BX", "--content-size", "--favor-decSpeed -12"}) {
    INFO("lz4 -c " << options);
    const std::string theirs = check_output(std::string("lz4 -c -q ") + options + " < " + shell_quote(path));
    CHECK(decompress(Compression::lz4, theirs) == data);
    CHECK(decompress(Compression::lz4, theirs, {4093, 1}) == data);
  }
  for (const char* options : {"", "-1", "-19", "--no-check", "--fast=5", "-T2 -3", "--long=24"}) {
    INFO("zstd -c " << options);
    const std::string theirs = check_output(std::string("zstd -c -q ") + options + " < " + shell_quote(path));
    CHECK(decompress(Compression::zstd, theirs) == data);
    CHECK(decompress(Compression::zstd, theirs, {4093, 1}) == data);
  }
  // lz4's and zstd's own framing of an empty file
  write_file(path, "");
  CHECK(decompress(Compression::lz4, check_output("lz4 -c -q < " + shell_quote(path))).empty());
  CHECK(decompress(Compression::zstd, check_output("zstd -c -q < " + shell_quote(path))).empty());
}

TEST_CASE("zstd: frames needing a window beyond the limit are refused, not allocated", "[codec][compression][interop]") {
  TempDir dir{"compression-test"};
  const std::string path = dir.file("in");
  write_file(path, mixed(3'000'000, 10));
  // Through a pipe zstd cannot shrink the window to the input's size.
  const std::string wide = check_output("cat " + shell_quote(path) + " | zstd -c -q --long=27");
  const Outcome o = try_decompress(Compression::zstd, wide);
  REQUIRE(o.failed);
  CHECK(o.kind == wale::ErrorKind::corrupt);
  try {
    decompress(Compression::zstd, wide);
  } catch (const wale::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("window") && Catch::Contains("16 MiB"));
  }
}
