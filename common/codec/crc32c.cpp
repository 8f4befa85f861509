#include "common/codec/crc32c.hpp"

#include <cstring>

#include <boost/crc.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "common/codec/digest.hpp"

namespace wale::codec {
namespace {

#if defined(__x86_64__)
// The instruction works on the bit-reflected register without the final
// inversion; the inversions at both ends make it the standard CRC-32C.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  std::uint64_t c = ~crc;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#endif

}  // namespace

std::uint32_t crc32c_portable(std::uint32_t crc, std::string_view data) {
  // Boost's CRC with the Castagnoli polynomial, reflected. It takes the
  // initial remainder unreflected, so the running value is un-inverted and
  // bit-reversed to carry on from it.
  std::uint32_t remainder = crc ^ 0xFFFFFFFFu, unreflected = 0;
  for (int bit = 0; bit < 32; ++bit, remainder >>= 1) unreflected = unreflected << 1 | (remainder & 1u);
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> c(unreflected);
  c.process_bytes(data.data(), data.size());
  return c.checksum();
}

std::uint32_t crc32c(std::uint32_t crc, std::string_view data) {
#if defined(__x86_64__)
  static const bool sse42 = __builtin_cpu_supports("sse4.2");
  if (sse42) return crc32c_sse42(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
#endif
  return crc32c_portable(crc, data);
}

std::string crc32c_base64(std::uint32_t crc) {
  const char bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16), static_cast<char>(crc >> 8),
                         static_cast<char>(crc)};
  return to_base64(std::string_view(bytes, 4));
}

}  // namespace wale::codec
