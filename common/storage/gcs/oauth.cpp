#include "common/storage/gcs/oauth.hpp"

#include <memory>

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "common/storage/gcs/gcs_json.hpp"

namespace wale::storage::gcs {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string form_value(std::string_view v) { return net::uri_encode(v, false); }

}  // namespace

std::string base64url(std::string_view bytes) {
  std::string out = codec::to_base64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

std::string rs256_signature(std::string_view data, const std::string& private_key_pem) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  if (!bio) throw Error(ErrorKind::permanent, "OpenSSL could not allocate a buffer for the service-account key");
  // A null passphrase callback that refuses: a key file with a passphrase
  // is an error, never a prompt.
  const std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
    throw Error(ErrorKind::usage, "the private_key of the service account in GOOGLE_APPLICATION_CREDENTIALS is not an "
                                  "unencrypted RSA private key in PEM form; download a new JSON key for the account");
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSignUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestSignFinal(ctx.get(), nullptr, &length) != 1)
    throw Error(ErrorKind::permanent, "OpenSSL could not sign a JWT with the service-account key");
  std::string signature(length, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length) != 1)
    throw Error(ErrorKind::permanent, "OpenSSL could not sign a JWT with the service-account key");
  signature.resize(length);
  return signature;
}

std::string signed_jwt(const JwtClaims& claims, const std::string& key_id, const std::string& private_key_pem) {
  nlohmann::json header{{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key_id.empty()) header["kid"] = key_id;
  const nlohmann::json body{{"iss", claims.issuer},   {"scope", claims.scope},     {"aud", claims.audience},
                            {"iat", claims.issued_at}, {"exp", claims.expires_at}};
  const std::string signing_input = base64url(header.dump()) + "." + base64url(body.dump());
  return signing_input + "." + base64url(rs256_signature(signing_input, private_key_pem));
}

std::string jwt_bearer_grant(std::string_view assertion) {
  return "grant_type=" + form_value("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + form_value(assertion);
}

std::string refresh_token_grant(std::string_view client_id, std::string_view client_secret, std::string_view refresh_token) {
  return "grant_type=refresh_token&client_id=" + form_value(client_id) + "&client_secret=" + form_value(client_secret) +
         "&refresh_token=" + form_value(refresh_token);
}

AccessToken parse_token_answer(std::string_view body, const std::string& source) {
  AccessToken token;
  try {
    const auto j = nlohmann::json::parse(body);
    token.value = j.value("access_token", std::string());
    if (const auto it = j.find("expires_in"); it != j.end() && it->is_number_integer())
      token.lifetime = std::chrono::seconds(it->get<std::int64_t>());
  } catch (const nlohmann::json::exception&) {
    token.value.clear();
  }
  if (token.value.empty()) throw Error(ErrorKind::permanent, source + " answered without an access_token");
  // A token without a lifetime is treated as Google's usual hour.
  if (token.lifetime <= std::chrono::seconds(0)) token.lifetime = std::chrono::hours(1);
  return token;
}

std::string describe_oauth_error(std::string_view body) {
  try {
    const auto j = nlohmann::json::parse(body);
    if (!j.is_object()) return "";
    const auto error = j.find("error");
    if (error == j.end() || !error->is_string()) return "";
    std::string text = error->get<std::string>();
    if (const auto d = j.find("error_description"); d != j.end() && d->is_string() && !d->get<std::string>().empty())
      text += " (" + d->get<std::string>() + ")";
    return one_line(text);
  } catch (const nlohmann::json::exception&) {
    return "";
  }
}

}  // namespace wale::storage::gcs
