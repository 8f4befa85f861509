// Decompression limits: an object that decodes to more than its kind can
// hold (a bomb: megabytes of zeros in a few KiB of lzop), or whose lzop
// stream runs on with padding, fails with a clear error as soon as the
// limit is crossed, before the excess reaches the sink.
#include "common/codec/object_codec.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/archive/layout.hpp"
#include "common/codec/compression.hpp"
#include "common/codec/lzop.hpp"
#include "common/core/error.hpp"
#include "common/core/stream.hpp"

using wale::CountingSink;
using wale::Error;
using wale::ErrorKind;
using wale::NullSink;
using wale::StringSink;
using wale::codec::Compression;
using wale::codec::ObjectDecoder;
using wale::codec::lzop_compress;

namespace {

constexpr std::uint64_t kMiB = 1u << 20;

// Decodes `object` with a limit; returns the error, "" on success, and the
// decoded bytes that reached the sink.
std::string decode(const std::string& object, std::uint64_t limit, std::uint64_t& delivered,
                   Compression compression = Compression::lzop) {
  NullSink sink;
  CountingSink counted(sink);
  ObjectDecoder decoder(counted, {}, compression, limit, ", more than this kind of object holds");
  std::string error;
  try {
    for (std::size_t at = 0; at < object.size(); at += 65536) decoder.input().write(std::string_view(object).substr(at, 65536));
    decoder.input().close();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::corrupt);
    error = e.what();
  }
  delivered = counted.count();
  return error;
}

std::string compressed(Compression compression, const std::string& data) {
  StringSink out;
  auto compressor = wale::codec::make_compressor(compression, out);
  compressor->write(data);
  compressor->close();
  return out.data();
}

}  // namespace

TEST_CASE("object decoding: lz4 and zstd bombs stop at the limit too", "[codec][limits]") {
  for (const auto compression : {Compression::lz4, Compression::zstd}) {
    INFO(wale::codec::compression_name(compression));
    const std::string bomb = compressed(compression, std::string(64 * kMiB, '\0'));
    REQUIRE(bomb.size() < kMiB);
    std::uint64_t delivered = 0;
    CHECK(decode(bomb, 4 * kMiB, delivered, compression) ==
          "the decoded object is larger than 4194304 bytes, more than this kind of object holds");
    CHECK(delivered <= 4 * kMiB);
    CHECK(decode(bomb, 64 * kMiB, delivered, compression).empty());
    CHECK(delivered == 64 * kMiB);
  }
}

TEST_CASE("object decoding: an object within its limit decodes", "[codec][limits]") {
  std::uint64_t delivered = 0;
  CHECK(decode(lzop_compress(std::string(kMiB, 'x')), kMiB, delivered).empty());
  CHECK(delivered == kMiB);
}

TEST_CASE("object decoding: a decompression bomb stops at the limit", "[codec][limits]") {
  const std::string bomb = lzop_compress(std::string(64 * kMiB, '\0'));
  REQUIRE(bomb.size() < kMiB);  // the point of a bomb
  std::uint64_t delivered = 0;
  const std::string error = decode(bomb, 4 * kMiB, delivered);
  CHECK(error == "the decoded object is larger than 4194304 bytes, more than this kind of object holds");
  CHECK(delivered <= 4 * kMiB);
}

TEST_CASE("object decoding: endless padding after the lzop stream is cut off", "[codec][limits]") {
  std::string padded = lzop_compress("segment");
  padded.append(3 * kMiB, '\0');
  std::uint64_t delivered = 0;
  CHECK(decode(padded, kMiB / 2, delivered).find("the object's compressed stream is larger than") == 0);
  // A little padding, as tape-block writers leave, is fine.
  padded.resize(padded.size() - 3 * kMiB + 4096);
  CHECK(decode(padded, kMiB / 2, delivered).empty());
}

TEST_CASE("object decoding: the limit for each kind of key", "[codec][limits]") {
  using wale::archive::decode_limit;
  CHECK(decode_limit("wal_005/000000010000000000000001.lzo").bytes == (1u << 30));
  CHECK(decode_limit("wal_005/000000010000000000000001.partial.lzo").bytes == (1u << 30));
  CHECK(decode_limit("wal_005/00000002.history.lzo").bytes == 16 * kMiB);
  CHECK(decode_limit("wal_005/000000010000000000000001.00000028.backup.lzo").bytes == 16 * kMiB);
  const auto partition = decode_limit("basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo");
  CHECK(partition.bytes == 1610612736 + 512 * kMiB);
  CHECK(std::string(partition.reason).find("partition") != std::string::npos);
}
