// HMAC-SHA256 against RFC 4231's test cases, and strict base64 decoding
// (the account keys and block ids of Azure), Content-MD5.
#include "common/codec/hmac.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/codec/digest.hpp"

using namespace wale::codec;

TEST_CASE("hmac-sha256: RFC 4231 test cases 1, 2 and 6", "[codec]") {
  CHECK(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There").view()) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?").view()) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than the block size is hashed first.
  CHECK(to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First").view()) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("secret bytes: moved-from holders are empty", "[codec]") {
  SecretBytes a(std::string("key"));
  SecretBytes b(std::move(a));
  CHECK(b.view() == "key");
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the point of the test
  SecretBytes c;
  c = std::move(b);
  CHECK(c.view() == "key");
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("base64: decoding is strict and undoes to_base64", "[codec]") {
  for (const std::string& text : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)})
    CHECK(from_base64(to_base64(text)) == std::optional<std::string>(text));
  CHECK(from_base64("Zm9vYmFy") == std::optional<std::string>("foobar"));
  CHECK(from_base64("Zm9vYg==") == std::optional<std::string>("foob"));
  for (const char* bad : {"Zm9vYmF", "Zm9v YmFy", "Zm9vYmF=y", "Zm9v\nYmFy", "====", "Zm9vYg=?", "Zm9-YmFy"}) {
    INFO(bad);
    CHECK_FALSE(from_base64(bad).has_value());
  }
}

TEST_CASE("content-md5: base64 of the MD5 digest", "[codec]") {
  CHECK(md5_base64("") == "1B2M2Y8AsgTpgAmY7PhCfg==");
  CHECK(md5_base64("hello world") == "XrY7u+Ae7tCTyyK7j1rNww==");
}
