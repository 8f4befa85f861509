#include "tests/unit/support/sample_data.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <string_view>

namespace wale::test {

std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

std::string text_like(std::size_t size, std::uint64_t seed) {
  static constexpr std::array<std::string_view, 16> kWords = {
      "checkpoint", "relation", "tuple",  "insert", "update", "segment", "postgres", "vacuum",
      "index",      "commit",   "xid",    "lsn",    "buffer", "archive", "restore",  "timeline"};
  std::mt19937_64 rng(seed);
  std::string out;
  out.reserve(size + 32);
  while (out.size() < size) {
    out += kWords[rng() % kWords.size()];
    out += (rng() % 8 == 0) ? '\n' : ' ';
    if (rng() % 4 == 0) out += std::to_string(rng() % 100000) + ' ';
  }
  out.resize(size);
  return out;
}

std::string mixed(std::size_t size, std::uint64_t seed) {
  std::string out;
  std::uint64_t part = 0;
  while (out.size() < size) {
    const std::size_t chunk = std::min<std::size_t>(size - out.size(), 100'000 + part * 37'000);
    out += (part % 2 == 0) ? text_like(chunk, seed + part) : random_bytes(chunk, seed + part);
    ++part;
  }
  return out;
}

}  // namespace wale::test
