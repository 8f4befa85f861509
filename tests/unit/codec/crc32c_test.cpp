#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "common/codec/crc32c.hpp"

using wale::codec::crc32c;

TEST_CASE("crc32c: the check value of the standard test string", "[codec]") {
  // The CRC-32C check value: CRC of "123456789".
  CHECK(crc32c(0, "123456789") == 0xE3069283u);
  CHECK(crc32c(0, "") == 0u);
}

TEST_CASE("crc32c: pieces give the same value as the whole", "[codec]") {
  std::string data(100003, '\0');
  std::mt19937 rng(42);
  for (auto& c : data) c = static_cast<char>(rng());
  const auto whole = crc32c(0, data);
  for (std::size_t piece : {1u, 7u, 8u, 4096u, 65537u}) {
    std::uint32_t crc = 0;
    for (std::size_t at = 0; at < data.size(); at += piece) crc = crc32c(crc, std::string_view(data).substr(at, piece));
    CHECK(crc == whole);
  }
}
