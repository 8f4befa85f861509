#include <catch2/catch.hpp>

#include <string>

#include "common/codec/digest.hpp"

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
