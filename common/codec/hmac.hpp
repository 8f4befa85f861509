// HMAC-SHA256 on OpenSSL for the request signers (AWS SigV4, Azure
// SharedKey), with key material wiped from memory when it goes out of scope
// instead of being left in freed heap memory.
#pragma once

#include <string>
#include <string_view>

namespace wale::codec {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes() { wipe(); }

  std::string_view view() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }

 private:
  void wipe() noexcept;
  std::string bytes_;
};

// The raw 32-byte MAC; throws wale::Error(permanent) if OpenSSL fails.
SecretBytes hmac_sha256(std::string_view key, std::string_view data);

}  // namespace wale::codec
