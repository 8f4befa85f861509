// XXH3-128 built for AVX2. Debian's libxxhash is built for SSE2 and hashes
// a WAL segment at a third of this speed; every archived byte is hashed.
// Only digest.cpp uses it, after checking the CPU (xxh3_avx2_supported).
#pragma once

#include <cstddef>
#include <memory>

namespace wale::codec {

bool xxh3_avx2_supported();

class Xxh3Avx2 {
 public:
  Xxh3Avx2();
  ~Xxh3Avx2();
  Xxh3Avx2(const Xxh3Avx2&) = delete;
  Xxh3Avx2& operator=(const Xxh3Avx2&) = delete;

  void update(const void* data, std::size_t size);
  // The digest in canonical (big-endian) byte order.
  void digest(unsigned char out[16]);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wale::codec
