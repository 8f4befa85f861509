// The service-account JWT: header and claims as Google's token endpoint
// wants them, base64url without padding, and an RS256 signature that the
// public half of the test-only key pair (tests/fixtures/gcs) verifies;
// the grant bodies; token answers and OAuth error documents.
#include "common/storage/gcs/oauth.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/core/error.hpp"
#include "tests/unit/support/temp_dir.hpp"

using wale::Error;
using wale::ErrorKind;
using namespace wale::storage::gcs;

namespace {

std::string fixture(const char* name) { return wale::test::read_file(std::string(WALE_SOURCE_DIR) + "/tests/fixtures/gcs/" + name); }

std::string base64url_decode(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text += '=';
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - (text.size() - text.find_last_not_of('=') - 1));
  return out;
}

bool rs256_verifies(const std::string& data, const std::string& signature, const std::string& public_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

}  // namespace

TEST_CASE("gcs: base64url has no padding and the URL alphabet", "[gcs]") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url("\xfb\xff\xbf") == "-_-_");
  CHECK(base64url_decode(base64url("any bytes \x01\xfe")) == "any bytes \x01\xfe");
}

TEST_CASE("gcs: a service-account JWT: header, claims and an RS256 signature the public key verifies", "[gcs]") {
  JwtClaims claims;
  claims.issuer = "wal-e@project.iam.gserviceaccount.com";
  claims.scope = std::string(kStorageScope);
  claims.audience = "https://oauth2.googleapis.com/token";
  claims.issued_at = 1700000000;
  claims.expires_at = 1700003600;
  const std::string jwt = signed_jwt(claims, "key-id-1", fixture("test-service-account.key.pem"));

  const auto first = jwt.find('.');
  const auto second = jwt.find('.', first + 1);
  REQUIRE(second != std::string::npos);
  CHECK(jwt.find('.', second + 1) == std::string::npos);
  CHECK(jwt.find('=') == std::string::npos);

  const auto header = nlohmann::json::parse(base64url_decode(jwt.substr(0, first)));
  CHECK(header == nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "key-id-1"}});
  const auto body = nlohmann::json::parse(base64url_decode(jwt.substr(first + 1, second - first - 1)));
  CHECK(body == nlohmann::json{{"iss", claims.issuer},
                               {"scope", "https://www.googleapis.com/auth/devstorage.read_write"},
                               {"aud", claims.audience},
                               {"iat", 1700000000},
                               {"exp", 1700003600}});

  const std::string signature = base64url_decode(jwt.substr(second + 1));
  CHECK(signature.size() == 256);  // a 2048-bit key
  const std::string public_key = fixture("test-service-account.pub.pem");
  CHECK(rs256_verifies(jwt.substr(0, second), signature, public_key));
  CHECK_FALSE(rs256_verifies(jwt.substr(0, second) + "x", signature, public_key));

  // Without a key id the header has no "kid".
  const std::string anonymous = signed_jwt(claims, "", fixture("test-service-account.key.pem"));
  CHECK(nlohmann::json::parse(base64url_decode(anonymous.substr(0, anonymous.find('.')))).count("kid") == 0);
}

TEST_CASE("gcs: a private key that is not an RSA key in PEM form is a usage error that does not repeat it", "[gcs]") {
  for (const std::string& pem : {std::string("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"),
                                std::string("secret-looking-garbage")}) {
    try {
      rs256_signature("data", pem);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK_THAT(e.what(), Catch::Contains("GOOGLE_APPLICATION_CREDENTIALS"));
      CHECK_THAT(e.what(), !Catch::Contains("bm90IGEga2V5") && !Catch::Contains("secret-looking-garbage"));
    }
  }
}

TEST_CASE("gcs: the grant bodies are form-encoded", "[gcs]") {
  CHECK(jwt_bearer_grant("a.b.c") == "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c");
  CHECK(refresh_token_grant("id.apps", "s e/c", "1//x") ==
        "grant_type=refresh_token&client_id=id.apps&client_secret=s%20e%2Fc&refresh_token=1%2F%2Fx");
}

TEST_CASE("gcs: token answers", "[gcs]") {
  const AccessToken t = parse_token_answer(R"({"access_token":"ya29.abc","expires_in":3599,"token_type":"Bearer"})", "x");
  CHECK(t.value == "ya29.abc");
  CHECK(t.lifetime == std::chrono::seconds(3599));
  // no lifetime: Google's hour
  CHECK(parse_token_answer(R"({"access_token":"t"})", "x").lifetime == std::chrono::hours(1));
  for (const char* bad : {"", "not json", "{}", R"({"access_token":""})", "[1]"}) {
    INFO(bad);
    try {
      parse_token_answer(bad, "the token endpoint T");
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::permanent);
      CHECK_THAT(e.what(), Catch::Contains("the token endpoint T answered without an access_token"));
    }
  }
}

TEST_CASE("gcs: OAuth error documents", "[gcs]") {
  CHECK(describe_oauth_error(R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})") ==
        "invalid_grant (Invalid JWT Signature.)");
  CHECK(describe_oauth_error(R"({"error":"invalid_client"})") == "invalid_client");
  CHECK(describe_oauth_error(R"({"error":"x","error_description":"two\nlines"})") == "x (two lines)");
  CHECK(describe_oauth_error("<html>") == "");
  CHECK(describe_oauth_error(R"({"error":{"code":400}})") == "");
}
