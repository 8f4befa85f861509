// Compiled with -mavx2 (common/CMakeLists.txt): nothing here may run before
// xxh3_avx2_supported() (in digest.cpp) said yes.
#include "common/codec/xxh3_avx2.hpp"

#if defined(__x86_64__)
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

namespace wale::codec {

struct Xxh3Avx2::State {
  XXH3_state_t xxh;
};

Xxh3Avx2::Xxh3Avx2() : state_(std::make_unique<State>()) { XXH3_128bits_reset(&state_->xxh); }

Xxh3Avx2::~Xxh3Avx2() = default;

void Xxh3Avx2::update(const void* data, std::size_t size) { XXH3_128bits_update(&state_->xxh, data, size); }

void Xxh3Avx2::digest(unsigned char out[16]) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(&state_->xxh));
  for (std::size_t i = 0; i < 16; ++i) out[i] = canonical.digest[i];
}

}  // namespace wale::codec
#else
namespace wale::codec {
struct Xxh3Avx2::State {};
Xxh3Avx2::Xxh3Avx2() = default;
Xxh3Avx2::~Xxh3Avx2() = default;
void Xxh3Avx2::update(const void*, std::size_t) {}
void Xxh3Avx2::digest(unsigned char*) {}
}  // namespace wale::codec
#endif
