#include "common/codec/adler32.hpp"

#include <algorithm>
#include <cstddef>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace wale::codec {
namespace {

constexpr std::uint32_t kBase = 65521;  // the largest prime below 2^16
// The most bytes the plain loop can add before s2 could overflow 32 bits.
constexpr std::size_t kMaxRun = 5552;

#if defined(__x86_64__)
__attribute__((target("avx2"))) std::uint64_t lane_sum(__m256i v) {
  alignas(32) std::uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  std::uint64_t total = 0;
  for (const std::uint32_t lane : lanes) total += lane;
  return total;
}

// 32 bytes a step. Per step, with s1 and s2 the running sums before it:
//   s1' = s1 + sum(b[i]),  s2' = s2 + 32 * s1 + sum((32 - i) * b[i]).
// Over a run of steps the vector lanes keep: the byte sums, the sum of the
// byte sums before each step (for the 32 * s1 terms) and the weighted sums;
// a run is short enough that no 32-bit lane overflows, and the scalar sums
// are reduced modulo kBase after each run.
__attribute__((target("avx2"))) std::uint32_t adler32_avx2(std::uint32_t adler, const unsigned char* p, std::size_t n) {
  constexpr std::size_t kStep = 32;
  constexpr std::size_t kStepsPerRun = kMaxRun / kStep;  // 173
  std::uint64_t s1 = adler & 0xFFFF;
  std::uint64_t s2 = adler >> 16;
  const __m256i weights = _mm256_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                                           12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i zero = _mm256_setzero_si256();
  while (n >= kStep) {
    const std::size_t steps = std::min(n / kStep, kStepsPerRun);
    __m256i byte_sums = zero;     // sum(b[i]), in the low half of each 64-bit lane
    __m256i prefix_sums = zero;   // sum over steps of byte_sums before the step
    __m256i weighted = zero;      // sum((32 - i) * b[i])
    for (std::size_t k = 0; k < steps; ++k) {
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      prefix_sums = _mm256_add_epi32(prefix_sums, byte_sums);
      byte_sums = _mm256_add_epi32(byte_sums, _mm256_sad_epu8(bytes, zero));
      weighted = _mm256_add_epi32(weighted, _mm256_madd_epi16(_mm256_maddubs_epi16(bytes, weights), ones));
      p += kStep;
    }
    n -= steps * kStep;
    s2 += steps * kStep * s1 + kStep * lane_sum(prefix_sums) + lane_sum(weighted);
    s1 += lane_sum(byte_sums);
    s1 %= kBase;
    s2 %= kBase;
  }
  return adler32_portable(static_cast<std::uint32_t>(s2 << 16 | s1), std::string_view(reinterpret_cast<const char*>(p), n));
}
#endif

}  // namespace

std::uint32_t adler32_portable(std::uint32_t adler, std::string_view data) {
  std::uint32_t s1 = adler & 0xFFFF;
  std::uint32_t s2 = adler >> 16;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  while (n > 0) {
    const std::size_t run = std::min(n, kMaxRun);
    n -= run;
    for (std::size_t i = 0; i < run; ++i) {
      s1 += p[i];
      s2 += s1;
    }
    p += run;
    s1 %= kBase;
    s2 %= kBase;
  }
  return s2 << 16 | s1;
}

std::uint32_t adler32(std::uint32_t adler, std::string_view data) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return adler32_avx2(adler, reinterpret_cast<const unsigned char*>(data.data()), data.size());
#endif
  return adler32_portable(adler, data);
}

}  // namespace wale::codec
