// The lzop container: exact `lzop -c` layout, incremental decoding, damage
// detection, and interoperability with the real lzop 1.04 and with objects
// written by WAL-E.
#include "common/codec/lzop.hpp"

#include <lzo/lzo1x.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/stream.hpp"
#include "tests/unit/support/sample_data.hpp"
#include "tests/unit/support/temp_dir.hpp"

#ifndef WALE_SOURCE_DIR
#error "WALE_SOURCE_DIR must name the source tree (CMake defines it)"
#endif

namespace fs = std::filesystem;
using wale::codec::has_lzop_magic;
using wale::codec::LzopDecoder;
using wale::codec::LzopEncoder;
using wale::codec::LzopHeaderFields;
using wale::codec::lzop_compress;
using wale::codec::lzop_decompress;
using wale::test::check_output;
using wale::test::mixed;
using wale::test::random_bytes;
using wale::test::text_like;
using wale::test::read_file;
using wale::test::run_command;
using wale::test::shell_quote;
using wale::test::TempDir;
using wale::test::write_file;

namespace {

constexpr std::size_t kBlock = 256 * 1024;
constexpr std::size_t kHeaderSize = 38;  // `lzop -c` header: no name, no filter
constexpr std::string_view kMagic{"\x89LZO\x00\r\n\x1a\n", 9};

// ---- container access ------------------------------------------------------

std::uint32_t u32_at(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes.at(at + i));
  return value;
}

std::uint16_t u16_at(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes.at(at)) << 8 |
                                    static_cast<unsigned char>(bytes.at(at + 1)));
}

void put_u32(std::string& bytes, std::size_t at, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) bytes.at(at + i) = static_cast<char>(value >> (24 - 8 * i));
}

void append_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void append_u16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

// Written independently of liblzo2 so that the header checksum is checked
// against the definition, not against the library the encoder uses.
std::uint32_t reference_adler32(std::string_view bytes) {
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (const char c : bytes) {
    a = (a + static_cast<unsigned char>(c)) % 65521;
    b = (b + a) % 65521;
  }
  return b << 16 | a;
}

struct BlockInfo {
  std::uint32_t uncompressed_len;
  std::uint32_t compressed_len;
  std::size_t data_offset;
};

// Walks the blocks of a container with our encoder's flags (Adler-32 of the
// uncompressed data only).
std::vector<BlockInfo> blocks_of(std::string_view container) {
  std::vector<BlockInfo> blocks;
  std::size_t at = kHeaderSize;
  for (;;) {
    const std::uint32_t uncompressed_len = u32_at(container, at);
    if (uncompressed_len == 0) break;
    const std::uint32_t compressed_len = u32_at(container, at + 4);
    blocks.push_back({uncompressed_len, compressed_len, at + 12});
    at += 12 + compressed_len;
  }
  REQUIRE(at + 4 == container.size());
  return blocks;
}

// ---- sinks and feeding -----------------------------------------------------

class RecordingSink final : public wale::ByteSink {
 public:
  void write(std::string_view data) override {
    data_.append(data);
    ++writes_;
  }
  void close() override { ++closes_; }
  const std::string& data() const { return data_; }
  int writes() const { return writes_; }
  int closes() const { return closes_; }

 private:
  std::string data_;
  int writes_ = 0;
  int closes_ = 0;
};

std::string decode_in_pieces(std::string_view container, const std::vector<std::size_t>& pattern) {
  wale::StringSink sink;
  LzopDecoder decoder(sink);
  std::size_t at = 0;
  for (std::size_t k = 0; at < container.size(); ++k) {
    const std::size_t piece = std::min(pattern[k % pattern.size()], container.size() - at);
    decoder.write(container.substr(at, piece));
    at += piece;
  }
  decoder.close();
  return std::move(sink.data());
}

std::string encode_in_pieces(std::string_view data, const std::vector<std::size_t>& pattern,
                             LzopHeaderFields fields = {}) {
  wale::StringSink sink;
  LzopEncoder encoder(sink, fields);
  std::size_t at = 0;
  for (std::size_t k = 0; at < data.size(); ++k) {
    const std::size_t piece = std::min(pattern[k % pattern.size()], data.size() - at);
    encoder.write(data.substr(at, piece));
    at += piece;
  }
  encoder.close();
  return std::move(sink.data());
}

// Decodes (in one piece, or in pieces of `piece` bytes) and requires a corrupt error.
void require_corrupt(std::string_view container, std::size_t piece = 0) {
  INFO("container of " << container.size() << " bytes, pieces of " << piece);
  try {
    if (piece == 0) {
      (void)lzop_decompress(container);
    } else {
      (void)decode_in_pieces(container, {piece});
    }
  } catch (const wale::Error& e) {
    CHECK(e.kind() == wale::ErrorKind::corrupt);
    CHECK_THAT(e.what(), Catch::Matchers::StartsWith("lzop data is corrupt: "));
    return;
  }
  FAIL("decoding succeeded on damaged lzop data");
}

std::string corrupt_message(std::string_view container) {
  try {
    (void)lzop_decompress(container);
  } catch (const wale::Error& e) {
    REQUIRE(e.kind() == wale::ErrorKind::corrupt);
    return e.what();
  }
  FAIL("decoding succeeded on damaged lzop data");
  return {};
}

// ---- hand-built containers (for the flags `lzop -c` never writes) ----------

void ensure_lzo() {
  static const bool ready = lzo_init() == LZO_E_OK;
  REQUIRE(ready);
}

lzo_bytep lzo_in(std::string_view bytes) {
  return const_cast<lzo_bytep>(reinterpret_cast<const unsigned char*>(bytes.data()));
}

std::uint32_t lzo_adler(std::string_view bytes) { return lzo_adler32(1, lzo_in(bytes), bytes.size()); }
std::uint32_t lzo_crc(std::string_view bytes) { return lzo_crc32(0, lzo_in(bytes), bytes.size()); }

std::string lzo1x_1(std::string_view data) {
  ensure_lzo();
  std::string out(data.size() + data.size() / 16 + 64 + 3, '\0');
  std::string work(LZO1X_1_MEM_COMPRESS, '\0');
  lzo_uint size = 0;
  REQUIRE(lzo1x_1_compress(lzo_in(data), data.size(), reinterpret_cast<unsigned char*>(out.data()), &size,
                           work.data()) == LZO_E_OK);
  out.resize(size);
  return out;
}

constexpr std::uint32_t F_ADLER32_D = 0x1;
constexpr std::uint32_t F_ADLER32_C = 0x2;
constexpr std::uint32_t F_H_EXTRA_FIELD = 0x40;
constexpr std::uint32_t F_CRC32_D = 0x100;
constexpr std::uint32_t F_CRC32_C = 0x200;
constexpr std::uint32_t F_H_FILTER = 0x800;
constexpr std::uint32_t F_H_CRC32 = 0x1000;
constexpr std::uint32_t kLzopFlags = 0x0300000D;

struct HeaderSpec {
  std::uint16_t version = 0x1040;
  std::uint16_t version_needed = 0x0940;
  std::uint8_t method = 1;
  std::uint8_t level = 5;
  std::uint32_t flags = kLzopFlags;
  std::uint32_t filter = 0;
  std::string name;
  std::optional<std::string> extra;
  bool bad_checksum = false;
  bool bad_extra_checksum = false;
};

std::string build_header(const HeaderSpec& spec) {
  const bool full = spec.version >= 0x0940;
  std::string fields;
  append_u16(fields, spec.version);
  append_u16(fields, 0x20A0);
  if (full) append_u16(fields, spec.version_needed);
  fields.push_back(static_cast<char>(spec.method));
  if (full) fields.push_back(static_cast<char>(spec.level));
  append_u32(fields, spec.flags);
  if ((spec.flags & F_H_FILTER) != 0) append_u32(fields, spec.filter);
  append_u32(fields, 0x81A4);      // mode
  append_u32(fields, 0x5F000000);  // mtime_low
  if (full) append_u32(fields, 0);  // mtime_high
  fields.push_back(static_cast<char>(spec.name.size()));
  fields += spec.name;
  const bool crc = (spec.flags & F_H_CRC32) != 0;
  std::uint32_t checksum = crc ? lzo_crc(fields) : lzo_adler(fields);
  if (spec.bad_checksum) checksum ^= 1;
  std::string header = std::string(kMagic) + fields;
  append_u32(header, checksum);
  if (spec.extra) {
    std::string extra;
    append_u32(extra, static_cast<std::uint32_t>(spec.extra->size()));
    extra += *spec.extra;
    std::uint32_t extra_checksum = crc ? lzo_crc(extra) : lzo_adler(extra);
    if (spec.bad_extra_checksum) extra_checksum ^= 1;
    header += extra;
    append_u32(header, extra_checksum);
  }
  return header;
}

// One block with the checksums `flags` asks for, compressed when that shrinks it.
std::string build_block(std::string_view data, std::uint32_t flags) {
  const std::string packed = lzo1x_1(data);
  const bool compressed = packed.size() < data.size();
  const std::string_view payload = compressed ? std::string_view(packed) : data;
  std::string block;
  append_u32(block, static_cast<std::uint32_t>(data.size()));
  append_u32(block, static_cast<std::uint32_t>(payload.size()));
  if ((flags & F_ADLER32_D) != 0) append_u32(block, lzo_adler(data));
  if ((flags & F_CRC32_D) != 0) append_u32(block, lzo_crc(data));
  if (compressed && (flags & F_ADLER32_C) != 0) append_u32(block, lzo_adler(payload));
  if (compressed && (flags & F_CRC32_C) != 0) append_u32(block, lzo_crc(payload));
  block += payload;
  return block;
}

std::string build_stream(const HeaderSpec& spec, std::string_view data, std::size_t block_size = kBlock) {
  std::string out = build_header(spec);
  for (std::size_t at = 0; at < data.size(); at += block_size) {
    out += build_block(data.substr(at, block_size), spec.flags);
  }
  append_u32(out, 0);
  return out;
}

// ---- the real lzop -----------------------------------------------------------

LzopHeaderFields fields_of(std::string_view lzop_output) {
  LzopHeaderFields fields;
  fields.mode = u32_at(lzop_output, 21);
  fields.mtime = static_cast<std::int64_t>(static_cast<std::uint64_t>(u32_at(lzop_output, 29)) << 32 |
                                           u32_at(lzop_output, 25));
  return fields;
}

std::vector<fs::path> fixture_objects() {
  const fs::path root = fs::path(WALE_SOURCE_DIR) / "tests/fixtures/wale-archive-1";
  INFO("fixture archive: " << root);
  REQUIRE(fs::is_directory(root));
  std::vector<fs::path> objects;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".lzo") objects.push_back(entry.path());
  }
  std::sort(objects.begin(), objects.end());
  return objects;
}

}  // namespace

// =============================================================================
// Encoder layout

TEST_CASE("lzop: empty input is the header and the end marker (42 bytes)", "[lzop]") {
  const std::string out = lzop_compress("");
  std::string expected(kMagic);
  append_u16(expected, 0x1040);
  append_u16(expected, static_cast<std::uint16_t>(lzo_version() & 0xFFFF));
  append_u16(expected, 0x0940);
  expected += '\x01';  // method LZO1X-1
  expected += '\x05';  // level
  append_u32(expected, 0x0300000D);
  append_u32(expected, 0);  // mode
  append_u32(expected, 0);  // mtime_low
  append_u32(expected, 0);  // mtime_high
  expected += '\0';         // name length
  append_u32(expected, reference_adler32(std::string_view(expected).substr(9)));
  append_u32(expected, 0);  // end marker
  REQUIRE(expected.size() == 42);
  CHECK(out == expected);
  CHECK(lzop_decompress(out).empty());
}

TEST_CASE("lzop: header byte layout", "[lzop]") {
  LzopHeaderFields fields;
  fields.mode = 0x81A4;
  fields.mtime = 0x1'2345'6789;
  const std::string out = lzop_compress("payload", fields);
  CHECK(out.substr(0, 9) == kMagic);
  CHECK(has_lzop_magic(out));
  CHECK(u16_at(out, 9) == 0x1040);
  CHECK(u16_at(out, 11) == static_cast<std::uint16_t>(lzo_version() & 0xFFFF));
  CHECK(u16_at(out, 11) == 0x20A0);  // LZO 2.10, as on the machines WAL-E ran on
  CHECK(u16_at(out, 13) == 0x0940);
  CHECK(out[15] == 1);
  CHECK(out[16] == 5);
  CHECK(u32_at(out, 17) == 0x0300000D);
  CHECK(u32_at(out, 21) == 0x81A4);
  CHECK(u32_at(out, 25) == 0x23456789);
  CHECK(u32_at(out, 29) == 0x1);
  CHECK(out[33] == 0);
  CHECK(u32_at(out, 34) == reference_adler32(std::string_view(out).substr(9, 25)));
  CHECK(lzop_decompress(out) == "payload");
}

TEST_CASE("lzop: small input is one raw block", "[lzop]") {
  const std::string data = "hello, world\n";
  const std::string out = lzop_compress(data);
  REQUIRE(out.size() == kHeaderSize + 12 + data.size() + 4);
  CHECK(u32_at(out, 38) == data.size());
  CHECK(u32_at(out, 42) == data.size());
  CHECK(u32_at(out, 46) == reference_adler32(data));
  CHECK(out.substr(50, data.size()) == data);
  CHECK(u32_at(out, out.size() - 4) == 0);
  CHECK(lzop_decompress(out) == data);
}

TEST_CASE("lzop: incompressible data is stored in raw blocks", "[lzop]") {
  const std::string data = random_bytes(3 * kBlock + 1000, 1);
  const std::string out = lzop_compress(data);
  const auto blocks = blocks_of(out);
  REQUIRE(blocks.size() == 4);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    CHECK(blocks[i].compressed_len == blocks[i].uncompressed_len);
    CHECK(std::string_view(out).substr(blocks[i].data_offset, blocks[i].compressed_len) ==
          std::string_view(data).substr(i * kBlock, blocks[i].uncompressed_len));
  }
  CHECK(out.size() == kHeaderSize + 4 * 12 + data.size() + 4);
  CHECK(lzop_decompress(out) == data);
}

TEST_CASE("lzop: compressible data shrinks", "[lzop]") {
  SECTION("zeros") {
    const std::string data(2 * kBlock + 5, '\0');
    const std::string out = lzop_compress(data);
    CHECK(out.size() < 5000);
    const auto blocks = blocks_of(out);
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0].compressed_len < blocks[0].uncompressed_len);
    CHECK(blocks[1].compressed_len < blocks[1].uncompressed_len);
    CHECK(blocks[2].compressed_len == 5);  // 5 bytes do not shrink: stored raw
    CHECK(lzop_decompress(out) == data);
  }
  SECTION("text") {
    const std::string data = text_like(900'000, 2);
    const std::string out = lzop_compress(data);
    CHECK(out.size() < data.size() / 2);
    CHECK(lzop_decompress(out) == data);
  }
}

TEST_CASE("lzop: block boundaries at 256 KiB", "[lzop]") {
  const auto [size, block_count, last_block] = GENERATE(table<std::size_t, std::size_t, std::size_t>({
      {kBlock - 1, 1, kBlock - 1},
      {kBlock, 1, kBlock},
      {kBlock + 1, 2, 1},
      {4 * kBlock + 17, 5, 17},  // 1 MiB + 17
  }));
  INFO("input of " << size << " bytes");
  for (const std::string& data : {text_like(size, 3), random_bytes(size, 4)}) {
    const std::string out = lzop_compress(data);
    const auto blocks = blocks_of(out);
    REQUIRE(blocks.size() == block_count);
    for (std::size_t i = 0; i + 1 < blocks.size(); ++i) CHECK(blocks[i].uncompressed_len == kBlock);
    CHECK(blocks.back().uncompressed_len == last_block);
    CHECK(lzop_decompress(out) == data);
  }
}

TEST_CASE("lzop: encoding does not depend on how the input is split", "[lzop]") {
  const std::string data = mixed(4 * kBlock + 17, 5);
  const std::string whole = lzop_compress(data);
  CHECK(encode_in_pieces(data, {1, 7, 4093}) == whole);
  CHECK(encode_in_pieces(data, {kBlock - 1, 3, kBlock + 2}) == whole);
  CHECK(encode_in_pieces(data, {3 * kBlock}) == whole);
}

TEST_CASE("lzop: the encoder passes each block on as soon as it is complete", "[lzop]") {
  RecordingSink sink;
  LzopEncoder encoder(sink);
  const std::string data = text_like(kBlock + 10, 6);
  encoder.write(std::string_view(data).substr(0, kBlock - 1));
  CHECK(sink.data().size() == kHeaderSize);  // header only: the block is not complete yet
  encoder.write(std::string_view(data).substr(kBlock - 1));
  const std::size_t after_first_block = sink.data().size();
  CHECK(after_first_block > kHeaderSize);
  CHECK(sink.closes() == 0);
  encoder.close();
  CHECK(sink.closes() == 1);
  CHECK(sink.data().size() > after_first_block);
  CHECK(lzop_decompress(sink.data()) == data);
}

// =============================================================================
// Decoder

TEST_CASE("lzop: decoding in pieces of any size", "[lzop]") {
  const std::string data = mixed(4 * kBlock + 17, 7);
  const std::string container = lzop_compress(data);
  CHECK(decode_in_pieces(container, {1}) == data);
  CHECK(decode_in_pieces(container, {7}) == data);
  CHECK(decode_in_pieces(container, {4093, 1, 65537, 13, 300'001}) == data);
  CHECK(decode_in_pieces(container, {container.size()}) == data);
  const std::string small = lzop_compress("tiny");
  for (std::size_t piece = 1; piece <= small.size(); ++piece) CHECK(decode_in_pieces(small, {piece}) == "tiny");
}

TEST_CASE("lzop: the decoder passes blocks on before the stream ends, and closes next", "[lzop]") {
  const std::string data = text_like(3 * kBlock, 8);
  const std::string container = lzop_compress(data);
  const auto blocks = blocks_of(container);
  RecordingSink sink;
  LzopDecoder decoder(sink);
  decoder.write(std::string_view(container).substr(0, blocks[1].data_offset + blocks[1].compressed_len));
  CHECK(sink.data() == std::string_view(data).substr(0, 2 * kBlock));
  decoder.write(std::string_view(container).substr(blocks[1].data_offset + blocks[1].compressed_len));
  CHECK(sink.closes() == 0);
  decoder.close();
  CHECK(sink.closes() == 1);
  CHECK(sink.data() == data);
}

TEST_CASE("lzop: truncation anywhere is corrupt", "[lzop]") {
  SECTION("every prefix of single-block streams") {
    for (const std::string& data : {text_like(3000, 9), random_bytes(300, 10)}) {
      const std::string container = lzop_compress(data);
      for (std::size_t size = 0; size < container.size(); ++size) {
        require_corrupt(std::string_view(container).substr(0, size));
      }
    }
  }
  SECTION("interesting points of a multi-block stream") {
    const std::string data = mixed(4 * kBlock + 17, 11);
    const std::string container = lzop_compress(data);
    std::vector<std::size_t> cuts = {0, 1, 8, 9, 10, 20, 33, 34, 37, kHeaderSize, kHeaderSize + 3,
                                     kHeaderSize + 11, container.size() - 4, container.size() - 1};
    for (const auto& block : blocks_of(container)) {
      for (const std::size_t at : {block.data_offset - 12, block.data_offset - 8, block.data_offset - 1,
                                   block.data_offset, block.data_offset + block.compressed_len / 2,
                                   block.data_offset + block.compressed_len - 1}) {
        cuts.push_back(at);
      }
    }
    for (const std::size_t cut : cuts) {
      require_corrupt(std::string_view(container).substr(0, cut));
      require_corrupt(std::string_view(container).substr(0, cut), 7);
    }
  }
  SECTION("messages say what is missing") {
    const std::string container = lzop_compress(text_like(1000, 12));
    CHECK_THAT(corrupt_message(""), Catch::Matchers::Contains("empty input"));
    CHECK_THAT(corrupt_message(container.substr(0, 20)), Catch::Matchers::Contains("header"));
    CHECK_THAT(corrupt_message(container.substr(0, 60)), Catch::Matchers::Contains("block 1"));
    CHECK_THAT(corrupt_message(container.substr(0, container.size() - 4)),
               Catch::Matchers::Contains("end marker"));
  }
}

TEST_CASE("lzop: damaged block data is corrupt", "[lzop]") {
  SECTION("compressed block") {
    const std::string container = lzop_compress(text_like(2 * kBlock, 13));
    const auto blocks = blocks_of(container);
    REQUIRE(blocks[1].compressed_len < blocks[1].uncompressed_len);
    for (const std::size_t at : {blocks[1].data_offset, blocks[1].data_offset + 100,
                                 blocks[1].data_offset + blocks[1].compressed_len / 2,
                                 blocks[1].data_offset + blocks[1].compressed_len - 1}) {
      std::string damaged = container;
      damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
      INFO("flipped byte at " << at);
      require_corrupt(damaged);
      require_corrupt(damaged, 7);
    }
    std::string damaged = container;
    damaged[blocks[0].data_offset + 200] = static_cast<char>(damaged[blocks[0].data_offset + 200] ^ 0x01);
    const std::string message = corrupt_message(damaged);
    CHECK_THAT(message, Catch::Matchers::Contains("block 1"));
  }
  SECTION("raw block") {
    const std::string container = lzop_compress(random_bytes(kBlock + 100, 14));
    const auto blocks = blocks_of(container);
    std::string damaged = container;
    damaged[blocks[1].data_offset + 50] = static_cast<char>(damaged[blocks[1].data_offset + 50] ^ 0x01);
    CHECK_THAT(corrupt_message(damaged), Catch::Matchers::Contains("block 2 checksum mismatch"));
  }
  SECTION("stored checksum") {
    std::string damaged = lzop_compress(text_like(5000, 15));
    damaged[kHeaderSize + 8] = static_cast<char>(damaged[kHeaderSize + 8] ^ 0x01);
    require_corrupt(damaged);
  }
}

TEST_CASE("lzop: header damage and unsupported headers are corrupt", "[lzop]") {
  ensure_lzo();
  const std::string data = text_like(10'000, 16);
  SECTION("our own header, damaged") {
    const std::string container = lzop_compress(data);
    for (std::size_t at = 0; at < kHeaderSize; ++at) {
      std::string damaged = container;
      damaged[at] = static_cast<char>(damaged[at] ^ 0x04);
      INFO("flipped header byte " << at);
      require_corrupt(damaged);
    }
    std::string wrong_checksum = container;
    put_u32(wrong_checksum, 34, u32_at(container, 34) + 1);
    CHECK_THAT(corrupt_message(wrong_checksum), Catch::Matchers::Contains("header checksum"));
    CHECK_THAT(corrupt_message("not lzop at all, just text"), Catch::Matchers::Contains("bad magic"));
  }
  SECTION("well-formed headers the decoder must refuse") {
    HeaderSpec spec;
    spec.bad_checksum = true;
    require_corrupt(build_stream(spec, data));
    spec = {};
    spec.version_needed = 0x1050;
    CHECK_THAT(corrupt_message(build_stream(spec, data)), Catch::Matchers::Contains("0x1050"));
    spec = {};
    spec.version = 0x0800;
    require_corrupt(build_stream(spec, data));
    for (const std::uint8_t method : {std::uint8_t{0}, std::uint8_t{4}, std::uint8_t{128}}) {
      spec = {};
      spec.method = method;
      CHECK_THAT(corrupt_message(build_stream(spec, data)), Catch::Matchers::Contains("method"));
    }
    spec = {};
    spec.flags = kLzopFlags | 0x00004000;
    CHECK_THAT(corrupt_message(build_stream(spec, data)), Catch::Matchers::Contains("reserved"));
    spec = {};
    spec.flags = kLzopFlags | F_H_FILTER;
    spec.filter = 1;
    CHECK_THAT(corrupt_message(build_stream(spec, data)), Catch::Matchers::Contains("filter"));
    spec = {};
    spec.flags = kLzopFlags | F_H_EXTRA_FIELD;
    spec.extra = "extra";
    spec.bad_extra_checksum = true;
    CHECK_THAT(corrupt_message(build_stream(spec, data)), Catch::Matchers::Contains("extra field"));
  }
}

TEST_CASE("lzop: header variants lzop can read", "[lzop]") {
  ensure_lzo();
  const std::string data = mixed(kBlock + 70'000, 17);
  HeaderSpec spec;
  SECTION("pre-0.94 header without version_needed, level and mtime_high") { spec.version = 0x0930; }
  SECTION("method 2 (LZO1X-1(15))") { spec.method = 2; }
  SECTION("method 3 (LZO1X-999)") { spec.method = 3; }
  SECTION("CRC-32 header checksum") { spec.flags = kLzopFlags | F_H_CRC32; }
  SECTION("null filter field") { spec.flags = kLzopFlags | F_H_FILTER; }
  SECTION("file name") { spec.name = "base/16384/1259"; }
  SECTION("extra field, Adler-32") {
    spec.flags = kLzopFlags | F_H_EXTRA_FIELD;
    spec.extra = std::string(1000, 'x');
  }
  SECTION("extra field, CRC-32") {
    spec.flags = kLzopFlags | F_H_EXTRA_FIELD | F_H_CRC32;
    spec.extra = "";
  }
  SECTION("all block checksums") { spec.flags = kLzopFlags | F_ADLER32_C | F_CRC32_D | F_CRC32_C; }
  SECTION("no block checksums") { spec.flags = 0x0300000C; }
  const std::string container = build_stream(spec, data);
  CHECK(lzop_decompress(container) == data);
  CHECK(decode_in_pieces(container, {1}) == data);
  CHECK(decode_in_pieces(container, {7}) == data);
}

TEST_CASE("lzop: every block checksum present is verified", "[lzop]") {
  ensure_lzo();
  const std::string data = text_like(50'000, 18);
  HeaderSpec spec;
  spec.flags = 0x0300000C | F_ADLER32_D | F_CRC32_D | F_ADLER32_C | F_CRC32_C;
  const std::string container = build_stream(spec, data);
  const std::size_t header_size = build_header(spec).size();
  // Block header: lengths, then the four checksums in the order the flags list them.
  const std::array<std::string_view, 4> names = {"Adler-32", "CRC-32", "Adler-32 of compressed data",
                                                 "CRC-32 of compressed data"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string damaged = container;
    const std::size_t at = header_size + 8 + 4 * i;
    put_u32(damaged, at, u32_at(damaged, at) ^ 0x10);
    INFO("damaged checksum " << names[i]);
    CHECK_THAT(corrupt_message(damaged), Catch::Matchers::Contains(std::string(names[i]) + ")"));
  }
}

TEST_CASE("lzop: block length limits", "[lzop]") {
  ensure_lzo();
  const std::string header = build_header({});
  auto stream_with_block = [&](std::uint32_t uncompressed_len, std::uint32_t compressed_len, std::string_view payload) {
    std::string out = header;
    append_u32(out, uncompressed_len);
    append_u32(out, compressed_len);
    append_u32(out, lzo_adler(payload));
    out += payload;
    append_u32(out, 0);
    return out;
  };
  CHECK_THAT(corrupt_message(stream_with_block(64 * 1024 * 1024 + 1, 10, "0123456789")),
             Catch::Matchers::Contains("64 MiB"));
  CHECK_THAT(corrupt_message(stream_with_block(0xFFFFFFFF, 10, "0123456789")), Catch::Matchers::Contains("split"));
  CHECK_THAT(corrupt_message(stream_with_block(10, 0, "")), Catch::Matchers::Contains("compressed length of 0"));
  CHECK_THAT(corrupt_message(stream_with_block(10, 11, "0123456789a")), Catch::Matchers::Contains("exceeds"));

  SECTION("a block that decompresses to a different size") {
    const std::string data = text_like(20'000, 19);
    const std::string packed = lzo1x_1(data);
    HeaderSpec spec;
    spec.flags = 0x0300000C;  // no checksums: only the size check can notice
    for (const std::uint32_t claimed : {19'999u, 20'001u, 64u * 1024 * 1024}) {
      std::string out = build_header(spec);
      append_u32(out, claimed);
      append_u32(out, static_cast<std::uint32_t>(packed.size()));
      out += packed;
      append_u32(out, 0);
      INFO("claimed " << claimed);
      require_corrupt(out);
    }
  }
  SECTION("blocks larger than 256 KiB (up to 64 MiB) are read") {
    const std::string data = text_like(3 * kBlock + 5, 20);
    CHECK(lzop_decompress(build_stream({}, data, data.size())) == data);
  }
}

TEST_CASE("lzop: what may follow the end marker", "[lzop]") {
  const std::string first = text_like(kBlock + 3, 21);
  const std::string second = random_bytes(5000, 22);
  const std::string a = lzop_compress(first);
  const std::string b = lzop_compress(second);
  SECTION("trailing zeros") {
    for (const std::size_t zeros : {1u, 3u, 4u, 1000u}) {
      const std::string padded = a + std::string(zeros, '\0');
      CHECK(lzop_decompress(padded) == first);
      CHECK(decode_in_pieces(padded, {1}) == first);
    }
  }
  SECTION("concatenated streams") {
    CHECK(lzop_decompress(a + b) == first + second);
    CHECK(decode_in_pieces(a + b, {1}) == first + second);
    CHECK(decode_in_pieces(a + b + a + std::string(8, '\0'), {7}) == first + second + first);
    CHECK(lzop_decompress(lzop_compress("") + b) == second);
  }
  SECTION("garbage") {
    CHECK_THAT(corrupt_message(a + "garbage"), Catch::Matchers::Contains("after the end"));
    require_corrupt(a + std::string(3, '\0') + "x");
    require_corrupt(a + b.substr(0, 20));                    // second stream truncated
    require_corrupt(a + std::string(kMagic).substr(0, 5));  // truncated magic
  }
}

TEST_CASE("lzop: a failed decoder stays failed", "[lzop]") {
  wale::StringSink sink;
  LzopDecoder decoder(sink);
  CHECK_THROWS_AS(decoder.write("definitely not lzop"), wale::Error);
  CHECK_THROWS_AS(decoder.write(lzop_compress("x")), wale::Error);
  CHECK_THROWS_AS(decoder.close(), wale::Error);
}

TEST_CASE("lzop: magic detection", "[lzop]") {
  CHECK(has_lzop_magic(lzop_compress("")));
  CHECK(has_lzop_magic(kMagic));
  CHECK_FALSE(has_lzop_magic(kMagic.substr(0, 8)));
  CHECK_FALSE(has_lzop_magic(""));
  CHECK_FALSE(has_lzop_magic("\x1f\x8b\x08 gzip data"));
}

// =============================================================================
// Interoperability with lzop 1.04

TEST_CASE("lzop: the real lzop reads our output", "[lzop][interop]") {
  TempDir dir{"lzop-test"};
  const std::vector<std::string> inputs = {"", "hello\n", random_bytes(4 * kBlock + 17, 23), text_like(3 * kBlock, 24),
                                           std::string(kBlock, 'a'), mixed(2'000'000, 25)};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i << " of " << inputs[i].size() << " bytes");
    const std::string path = dir.file("ours" + std::to_string(i) + ".lzo");
    write_file(path, lzop_compress(inputs[i]));
    CHECK(run_command("lzop -t " + shell_quote(path) + " 2>/dev/null").status == 0);
    CHECK(check_output("lzop -dc " + shell_quote(path)) == inputs[i]);
  }
}

TEST_CASE("lzop: our output is byte-identical to lzop -c", "[lzop][interop]") {
  TempDir dir{"lzop-test"};
  const std::vector<std::string> inputs = {"", "x", random_bytes(kBlock + 1, 26), text_like(4 * kBlock + 17, 27),
                                           mixed(1'500'000, 28)};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i << " of " << inputs[i].size() << " bytes");
    const std::string path = dir.file("in" + std::to_string(i));
    write_file(path, inputs[i]);
    // stdin is a regular file here, so lzop records its mode and mtime;
    // through a pipe it records 0 and "now".
    for (const std::string& command : {"lzop -c < " + shell_quote(path), "cat " + shell_quote(path) + " | lzop -c"}) {
      const std::string theirs = check_output(command);
      CHECK(lzop_compress(inputs[i], fields_of(theirs)) == theirs);
    }
  }
}

TEST_CASE("lzop: we read what lzop writes, with every option", "[lzop][interop]") {
  TempDir dir{"lzop-test"};
  const std::string data = mixed(3 * kBlock + 12'345, 29);
  const std::string path = dir.file("in");
  write_file(path, data);
  for (const char* options : {"", "-1", "-9", "-C -C", "--crc32", "--crc32 -C -C", "-9 --crc32 -C -C"}) {
    INFO("lzop -c " << options);
    const std::string theirs = check_output(std::string("lzop -c ") + options + " < " + shell_quote(path));
    CHECK(lzop_decompress(theirs) == data);
    CHECK(decode_in_pieces(theirs, {4093}) == data);
  }
  write_file(path, "");
  CHECK(lzop_decompress(check_output("lzop -c < " + shell_quote(path))).empty());
}

TEST_CASE("lzop: objects written by WAL-E", "[lzop][interop][fixtures]") {
  const auto objects = fixture_objects();
  REQUIRE(objects.size() >= 20);
  for (const auto& object : objects) {
    INFO("object " << object);
    const std::string container = read_file(object.string());
    const std::string original = lzop_decompress(container);
    CHECK(original == check_output("lzop -dc " + shell_quote(object.string())));
    CHECK(decode_in_pieces(container, {65536 + 7}) == original);
    // WAL-E ran `lzop -c`, so with the same mode and mtime we write the same bytes.
    CHECK(lzop_compress(original, fields_of(container)) == container);
  }
}
