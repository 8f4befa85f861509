// CRC-32C: RFC 3720's vectors, the SSE4.2 path against the table for every
// length and alignment and when continued piece by piece, and the base64
// form Google Cloud Storage writes.
#include "common/codec/crc32c.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using wale::codec::crc32c;
using wale::codec::crc32c_base64;
using wale::codec::crc32c_portable;

TEST_CASE("crc32c of the standard vectors", "[codec]") {
  std::string ascending(32, '\0'), descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[static_cast<std::size_t>(i)] = static_cast<char>(i);
    descending[static_cast<std::size_t>(i)] = static_cast<char>(31 - i);
  }
  for (auto f : {crc32c, crc32c_portable}) {
    CHECK(f(0, "") == 0);
    CHECK(f(0, "123456789") == 0xE3069283u);
    CHECK(f(0, std::string(32, '\0')) == 0x8A9136AAu);        // RFC 3720 B.4
    CHECK(f(0, std::string(32, '\xFF')) == 0x62A8AB43u);
    CHECK(f(0, ascending) == 0x46DD794Eu);
    CHECK(f(0, descending) == 0x113FDB5Cu);
  }
}

TEST_CASE("crc32c: every length and alignment, whole and in pieces", "[codec]") {
  std::mt19937 rng(7);
  std::string data(4096 + 64, '\0');
  for (char& c : data) c = static_cast<char>(rng() & 0xFF);
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t length : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 17u, 63u, 64u, 65u, 1000u, 4096u}) {
      const std::string_view piece = std::string_view(data).substr(offset, length);
      const std::uint32_t whole = crc32c_portable(0, piece);
      INFO("offset " << offset << " length " << length);
      CHECK(crc32c(0, piece) == whole);
      const std::size_t cut = length / 3;
      CHECK(crc32c(crc32c(0, piece.substr(0, cut)), piece.substr(cut)) == whole);
      CHECK(crc32c_portable(crc32c_portable(0, piece.substr(0, cut)), piece.substr(cut)) == whole);
    }
  }
}

TEST_CASE("crc32c in Google's form: big-endian bytes, base64", "[codec]") {
  CHECK(crc32c_base64(0) == "AAAAAA==");
  CHECK(crc32c_base64(0xE3069283u) == "4waSgw==");
  CHECK(crc32c_base64(crc32c(0, "hello")) == "mnG7TA==");
}
