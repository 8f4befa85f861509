#include <catch2/catch.hpp>

#include <string>

#include "common/codec/digest.hpp"

#include <xxhash.h>

using namespace wale::codec;

TEST_CASE("digest: the content hash is XXH3-128 in canonical byte order", "[codec]") {
  // The published XXH3_128bits values of the empty string and of "abc".
  CHECK(content_hash_hex("") == "99aa06d3014798d86001c324468d497f");
  CHECK(content_hash_hex("abc") == "06b05ab6733a618578af5f94892f3950");
}

TEST_CASE("digest: pieces hash like the whole for every kind", "[codec]") {
  std::string data(300001, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 % 251);
  for (auto kind : {DigestKind::sha256, DigestKind::md5, DigestKind::xxh128}) {
    Digest whole(kind);
    whole.update(data);
    Digest pieces(kind);
    for (std::size_t at = 0; at < data.size(); at += 4099) pieces.update(std::string_view(data).substr(at, 4099));
    CHECK(to_hex(whole.finish()) == to_hex(pieces.finish()));
  }
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_base64("hello") == "aGVsbG8=");
}

TEST_CASE("digest: xxh128 on long input matches libxxhash (the AVX2 build is the same hash)", "[codec]") {
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (const std::size_t n : {241u, 1024u, 4096u, 100000u, 1u << 20}) {
    XXH128_canonical_t expected;
    XXH128_canonicalFromHash(&expected, XXH3_128bits(data.data(), n));
    Digest digest(DigestKind::xxh128);
    digest.update(std::string_view(data).substr(0, n / 3));
    digest.update(std::string_view(data).substr(n / 3, n - n / 3));
    CHECK(digest.finish() == std::string(reinterpret_cast<const char*>(expected.digest), sizeof(expected.digest)));
  }
}
