// Adler-32: the AVX2 path gives liblzo2's answers for every length and
// alignment, across the modulo runs, when continued piece by piece, and on
// the bytes that stress the lane sums (all 0xFF).
#include "common/codec/adler32.hpp"

#include <catch2/catch.hpp>

#include <lzo/lzoconf.h>

#include <initializer_list>
#include <random>
#include <string>

namespace {

std::uint32_t reference(std::uint32_t adler, std::string_view data) {
  return lzo_adler32(adler, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

}  // namespace

TEST_CASE("adler32 of known strings") {
  CHECK(wale::codec::adler32(wale::codec::kAdler32Init, "") == 1);
  CHECK(wale::codec::adler32(wale::codec::kAdler32Init, "Wikipedia") == 0x11E60398);
  CHECK(wale::codec::adler32_portable(wale::codec::kAdler32Init, "Wikipedia") == 0x11E60398);
}

TEST_CASE("adler32 matches liblzo2 for every length and alignment") {
  const std::string data = random_bytes(70000, 7);
  for (std::size_t offset = 0; offset < 33; offset += 1) {
    for (const std::size_t n : std::initializer_list<std::size_t>{0, 1, 31, 32, 33, 63, 64, 65, 5535, 5536, 5552, 5553, 11072, 11100, 65536, 69000}) {
      if (offset + n > data.size()) continue;
      const std::string_view piece(data.data() + offset, n);
      INFO("offset " << offset << " length " << n);
      CHECK(wale::codec::adler32(wale::codec::kAdler32Init, piece) == reference(1, piece));
      CHECK(wale::codec::adler32_portable(wale::codec::kAdler32Init, piece) == reference(1, piece));
    }
  }
}

TEST_CASE("adler32 of all-0xFF data (the largest lane sums)") {
  const std::string ones(1 << 20, '\xFF');
  CHECK(wale::codec::adler32(wale::codec::kAdler32Init, ones) == reference(1, ones));
  CHECK(wale::codec::adler32(0xFFF0FFF0u, ones) == reference(0xFFF0FFF0u, ones));
}

TEST_CASE("adler32 continued piece by piece") {
  const std::string data = random_bytes(300000, 11);
  std::mt19937 rng(3);
  std::uint32_t running = wale::codec::kAdler32Init;
  for (std::size_t at = 0; at < data.size();) {
    const std::size_t n = std::min<std::size_t>(data.size() - at, rng() % 9000);
    running = wale::codec::adler32(running, std::string_view(data).substr(at, n));
    at += n;
  }
  CHECK(running == reference(1, data));
}
