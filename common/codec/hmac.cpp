#include "common/codec/hmac.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/core/error.hpp"

namespace wale::codec {

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.wipe(); }

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  wipe();
  bytes_ = std::move(other.bytes_);
  other.wipe();
  return *this;
}

void SecretBytes::wipe() noexcept {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

SecretBytes hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out.data(), &length) == nullptr)
    throw Error(ErrorKind::permanent, "OpenSSL could not compute an HMAC-SHA256");
  SecretBytes result(std::string(reinterpret_cast<const char*>(out.data()), length));
  OPENSSL_cleanse(out.data(), out.size());
  return result;
}

}  // namespace wale::codec
