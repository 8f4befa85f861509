// AWS Signature Version 4: the four worked examples of the S3 documentation
// ("Examples: Signature Calculations in AWS Signature Version 4") must sign
// exactly as AWS computes them; the canonical query and header rules are
// checked one by one; the secret must never leak into what is returned.
#include "common/storage/s3/sigv4.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/core/error.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::storage::s3::canonical_query;
using wale::storage::s3::Credentials;
using wale::storage::s3::sign_v4;
using wale::storage::s3::Signature;
using wale::storage::s3::SigningInput;

namespace {

constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kHost = "examplebucket.s3.amazonaws.com";

Credentials example_credentials() { return Credentials{"AKIAIOSFODNN7EXAMPLE", kSecret, ""}; }

// The request shape common to the documentation examples; each adds its
// own method, path, query, headers and payload hash.
SigningInput example_request(std::string method, std::string uri, std::string payload_hash) {
  SigningInput input;
  input.method = std::move(method);
  input.canonical_uri = std::move(uri);
  input.payload_sha256_hex = payload_hash;
  input.amz_date = "20130524T000000Z";
  input.region = "us-east-1";
  input.headers = {{"Host", kHost}, {"x-amz-date", "20130524T000000Z"}, {"x-amz-content-sha256", payload_hash}};
  return input;
}

void check_no_secret(const Signature& s) {
  for (const std::string* field : {&s.canonical_request, &s.string_to_sign, &s.signed_headers, &s.signature_hex,
                                   &s.authorization}) {
    CHECK(field->find(kSecret) == std::string::npos);
    CHECK(field->find("bPxRfiCY") == std::string::npos);
  }
}

}  // namespace

TEST_CASE("sigv4: GET object with a range (AWS example)", "[storage][s3][sigv4]") {
  SigningInput input = example_request("GET", "/test.txt", kEmptySha256);
  input.headers.emplace_back("Range", "bytes=0-9");
  const Signature s = sign_v4(input, example_credentials());

  CHECK(s.canonical_request ==
        "GET\n"
        "/test.txt\n"
        "\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "range:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n"
        "\n"
        "host;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(s.string_to_sign ==
        "AWS4-HMAC-SHA256\n"
        "20130524T000000Z\n"
        "20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(s.signed_headers == "host;range;x-amz-content-sha256;x-amz-date");
  CHECK(s.signature_hex == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK(s.authorization ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  check_no_secret(s);
}

TEST_CASE("sigv4: PUT object with storage class (AWS example)", "[storage][s3][sigv4]") {
  const std::string body_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  SigningInput input = example_request("PUT", "/test%24file.text", body_hash);
  input.headers.emplace_back("Date", "Fri, 24 May 2013 00:00:00 GMT");
  input.headers.emplace_back("x-amz-storage-class", "REDUCED_REDUNDANCY");
  const Signature s = sign_v4(input, example_credentials());

  CHECK(s.canonical_request ==
        "PUT\n"
        "/test%24file.text\n"
        "\n"
        "date:Fri, 24 May 2013 00:00:00 GMT\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
        "x-amz-date:20130524T000000Z\n"
        "x-amz-storage-class:REDUCED_REDUNDANCY\n"
        "\n"
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  CHECK(s.signed_headers == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  CHECK(s.signature_hex == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  check_no_secret(s);
}

TEST_CASE("sigv4: GET bucket lifecycle (AWS example)", "[storage][s3][sigv4]") {
  SigningInput input = example_request("GET", "/", kEmptySha256);
  input.query = {{"lifecycle", ""}};
  const Signature s = sign_v4(input, example_credentials());

  CHECK(s.canonical_request ==
        "GET\n"
        "/\n"
        "lifecycle=\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n"
        "\n"
        "host;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(s.signature_hex == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  check_no_secret(s);
}

TEST_CASE("sigv4: list objects (AWS example)", "[storage][s3][sigv4]") {
  SigningInput input = example_request("GET", "/", kEmptySha256);
  input.query = {{"prefix", "J"}, {"max-keys", "2"}};  // deliberately out of order
  const Signature s = sign_v4(input, example_credentials());

  CHECK(s.canonical_request.find("\n/\nmax-keys=2&prefix=J\n") != std::string::npos);
  CHECK(s.signature_hex == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  CHECK(s.authorization ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
        "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  check_no_secret(s);
}

TEST_CASE("sigv4: an empty canonical URI signs as the root", "[storage][s3][sigv4]") {
  SigningInput input = example_request("GET", "", kEmptySha256);
  input.query = {{"lifecycle", ""}};
  CHECK(sign_v4(input, example_credentials()).signature_hex ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_CASE("sigv4: canonical query sorting", "[storage][s3][sigv4]") {
  CHECK(canonical_query({}) == "");
  CHECK(canonical_query({{"b", "2"}, {"a", "1"}, {"a", "0"}}) == "a=0&a=1&b=2");
  // Sorted by the encoded names: "%2F" (0x25...) comes before '-' (0x2D),
  // although '/' (0x2F) sorts after '-' before encoding.
  CHECK(canonical_query({{"a-", "y"}, {"a/", "x"}}) == "a%2F=x&a-=y");
  CHECK(canonical_query({{"list-type", "2"}, {"prefix", "wal_005/"}, {"continuation-token", "1/a+b=="},
                         {"encoding-type", "url"}}) ==
        "continuation-token=1%2Fa%2Bb%3D%3D&encoding-type=url&list-type=2&prefix=wal_005%2F");
}

TEST_CASE("sigv4: canonical query encoding", "[storage][s3][sigv4]") {
  CHECK(canonical_query({{"prefix", "a/b"}}) == "prefix=a%2Fb");
  CHECK(canonical_query({{"k", "a+b"}}) == "k=a%2Bb");
  CHECK(canonical_query({{"k", "a b"}}) == "k=a%20b");
  CHECK(canonical_query({{"k", "a=b"}}) == "k=a%3Db");
  CHECK(canonical_query({{"k", "a~b-c_d.e"}}) == "k=a~b-c_d.e");
  CHECK(canonical_query({{"k", "caf\xC3\xA9"}}) == "k=caf%C3%A9");
  CHECK(canonical_query({{"k", "*!'()&%"}}) == "k=%2A%21%27%28%29%26%25");
  CHECK(canonical_query({{"uploads", ""}}) == "uploads=");
  CHECK(canonical_query({{"a b", "1"}}) == "a%20b=1");
  CHECK(canonical_query({{"delete", ""}, {"versionId", ""}}) == "delete=&versionId=");
}

TEST_CASE("sigv4: header canonicalisation", "[storage][s3][sigv4]") {
  SigningInput input = example_request("GET", "/k", kEmptySha256);
  input.headers = {{"X-Amz-Date", "20130524T000000Z"},
                   {"HOST", "  examplebucket.s3.amazonaws.com  "},
                   {"X-Amz-Meta-Note", "  a   b \t  c  "},
                   {"x-amz-content-sha256", kEmptySha256},
                   {"X-Amz-Meta-Twice", "one"},
                   {"x-amz-meta-twice", "two"}};
  const Signature s = sign_v4(input, example_credentials());
  CHECK(s.canonical_request ==
        "GET\n"
        "/k\n"
        "\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n"
        "x-amz-meta-note:a b c\n"
        "x-amz-meta-twice:one,two\n"
        "\n"
        "host;x-amz-content-sha256;x-amz-date;x-amz-meta-note;x-amz-meta-twice\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  SECTION("the order the headers come in does not change the signature") {
    SigningInput reversed = input;
    std::swap(reversed.headers[0], reversed.headers[3]);
    std::swap(reversed.headers[1], reversed.headers[2]);
    CHECK(sign_v4(reversed, example_credentials()).signature_hex == s.signature_hex);
  }
}

TEST_CASE("sigv4: a session token is signed as given", "[storage][s3][sigv4]") {
  SigningInput input = example_request("GET", "/test.txt", "UNSIGNED-PAYLOAD");
  input.headers.emplace_back("x-amz-security-token", "FQoGZXIvYXdzEXAMPLETOKEN");
  Credentials credentials = example_credentials();
  credentials.session_token = "FQoGZXIvYXdzEXAMPLETOKEN";
  const Signature s = sign_v4(input, credentials);
  CHECK(s.signed_headers == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  CHECK(s.canonical_request.find("\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN\n") != std::string::npos);
  CHECK(s.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  check_no_secret(s);
}

TEST_CASE("sigv4: the secret and the signature are bound together", "[storage][s3][sigv4]") {
  const SigningInput input = example_request("GET", "/test.txt", kEmptySha256);
  Credentials other = example_credentials();
  other.secret_access_key = "another-secret";
  CHECK(sign_v4(input, other).signature_hex != sign_v4(input, example_credentials()).signature_hex);

  SigningInput elsewhere = input;
  elsewhere.region = "eu-west-1";
  const Signature s = sign_v4(elsewhere, example_credentials());
  CHECK(s.authorization.find("/20130524/eu-west-1/s3/aws4_request, ") != std::string::npos);
  CHECK(s.signature_hex != sign_v4(input, example_credentials()).signature_hex);
  check_no_secret(s);
}

TEST_CASE("sigv4: malformed signing input is refused", "[storage][s3][sigv4]") {
  auto refused = [](const SigningInput& input) {
    try {
      (void)sign_v4(input, example_credentials());
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find(kSecret) == std::string::npos);
      return e.kind() == ErrorKind::usage;
    }
    return false;
  };
  SigningInput input = example_request("GET", "/", kEmptySha256);
  SECTION("a date not in the basic ISO 8601 form") {
    input.amz_date = "2013-05-24T00:00:00Z";
    CHECK(refused(input));
    input.amz_date = "";
    CHECK(refused(input));
  }
  SECTION("a header value with a line break") {
    input.headers.emplace_back("x-amz-meta-x", "a\r\nx-amz-date: 1");
    CHECK(refused(input));
  }
  SECTION("a header name with a colon") {
    input.headers.emplace_back("x-amz:meta", "a");
    CHECK(refused(input));
  }
  SECTION("a header name with a ';', which would split SignedHeaders") {
    input.headers.emplace_back("x-amz-meta-a;x-amz-date", "a");
    CHECK(refused(input));
  }
  SECTION("no region") {
    input.region.clear();
    CHECK(refused(input));
  }
  SECTION("a line break or '/' in a part of the canonical request or the scope") {
    for (auto SigningInput::*field : {&SigningInput::method, &SigningInput::canonical_uri, &SigningInput::payload_sha256_hex,
                                       &SigningInput::region, &SigningInput::service}) {
      SigningInput forged = input;
      forged.*field += "\nx-amz-date:20990101T000000Z";
      CHECK(refused(forged));
    }
    SigningInput scope = input;
    scope.region = "us-east-1/s3/aws4_request";
    CHECK(refused(scope));
  }
  SECTION("an access key id that would forge the Authorization header") {
    try {
      (void)sign_v4(input, {"AKID\r\nX-Evil: 1", kSecret, ""});
      FAIL("signed");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
    }
  }
}

TEST_CASE("sigv4: amz_date_now has the basic ISO 8601 form", "[storage][s3][sigv4]") {
  const std::string now = wale::storage::s3::amz_date_now();
  REQUIRE(now.size() == 16);
  CHECK(now[8] == 'T');
  CHECK(now[15] == 'Z');
  CHECK(now.substr(0, 2) == "20");
  for (const std::size_t i : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 9u, 10u, 11u, 12u, 13u, 14u})
    CHECK((now[i] >= '0' && now[i] <= '9'));
}
