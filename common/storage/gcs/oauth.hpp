// OAuth 2.0 as Google's token endpoints speak it: the JWT bearer grant of a
// service account (RFC 7523, signed RS256 with the account's private key),
// the refresh-token grant of an authorized user, and the token answers and
// error documents they send back. Pure functions, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace wale::storage::gcs {

// The scope every request of this backend needs: read, write and delete objects.
inline constexpr std::string_view kStorageScope = "https://www.googleapis.com/auth/devstorage.read_write";

// RFC 4648 §5 base64url without padding, as JWTs use it.
std::string base64url(std::string_view bytes);

struct JwtClaims {
  std::string issuer;    // iss: the service account's client_email
  std::string scope;
  std::string audience;  // aud: the token_uri
  std::int64_t issued_at = 0;   // iat, seconds since the epoch
  std::int64_t expires_at = 0;  // exp
};

// header.claims.signature, each base64url; the header names RS256, JWT and
// the key id (when known). Throws wale::Error(usage) when the PEM is not an
// RSA private key (the message says so without repeating it).
std::string signed_jwt(const JwtClaims& claims, const std::string& key_id, const std::string& private_key_pem);

// RSASSA-PKCS1-v1_5 with SHA-256 over `data`, by OpenSSL's EVP interface.
std::string rs256_signature(std::string_view data, const std::string& private_key_pem);

// The form bodies of the two grants.
std::string jwt_bearer_grant(std::string_view assertion);
std::string refresh_token_grant(std::string_view client_id, std::string_view client_secret, std::string_view refresh_token);

struct AccessToken {
  std::string value;
  std::chrono::seconds lifetime{0};
};

// {"access_token": ..., "expires_in": N, "token_type": "Bearer"}; throws
// wale::Error(permanent) naming `source` when the answer has no token.
AccessToken parse_token_answer(std::string_view body, const std::string& source);

// {"error": "invalid_grant", "error_description": "..."}: "invalid_grant
// (Invalid JWT Signature.)", or "" when the body is not such a document.
std::string describe_oauth_error(std::string_view body);

}  // namespace wale::storage::gcs
