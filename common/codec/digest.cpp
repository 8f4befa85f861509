#include "common/codec/digest.hpp"

#include <stdexcept>

#include <openssl/evp.h>
#include <xxhash.h>

#include "common/codec/xxh3_avx2.hpp"

namespace wale::codec {

bool xxh3_avx2_supported() {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#else
  return false;
#endif
}

struct Digest::Impl {
  EVP_MD_CTX* ctx = nullptr;
  XXH3_state_t* xxh = nullptr;
  std::unique_ptr<Xxh3Avx2> xxh_avx2;
  ~Impl() {
    EVP_MD_CTX_free(ctx);
    XXH3_freeState(xxh);
  }
};

Digest::Digest(DigestKind kind) : impl_(std::make_unique<Impl>()) {
  if (kind == DigestKind::xxh128 && xxh3_avx2_supported()) {
    impl_->xxh_avx2 = std::make_unique<Xxh3Avx2>();
    return;
  }
  if (kind == DigestKind::xxh128) {
    impl_->xxh = XXH3_createState();
    if (impl_->xxh == nullptr || XXH3_128bits_reset(impl_->xxh) != XXH_OK) throw std::runtime_error("xxhash could not start");
    return;
  }
  impl_->ctx = EVP_MD_CTX_new();
  const EVP_MD* md = kind == DigestKind::sha256 ? EVP_sha256() : EVP_md5();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, md, nullptr) != 1)
    throw std::runtime_error("OpenSSL could not start a digest");
}

Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::update(std::string_view data) {
  if (impl_->xxh_avx2) {
    impl_->xxh_avx2->update(data.data(), data.size());
    return;
  }
  if (impl_->xxh != nullptr) {
    XXH3_128bits_update(impl_->xxh, data.data(), data.size());
    return;
  }
  if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) throw std::runtime_error("OpenSSL digest update failed");
}

std::string Digest::finish() {
  if (impl_->xxh_avx2) {
    unsigned char out[16];
    impl_->xxh_avx2->digest(out);
    return std::string(reinterpret_cast<const char*>(out), sizeof(out));
  }
  if (impl_->xxh != nullptr) {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(impl_->xxh));
    return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof(canonical.digest));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out, &len) != 1) throw std::runtime_error("OpenSSL digest final failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

std::string to_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
      return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string content_hash_hex(std::string_view data) {
  Digest d(kContentHash);
  d.update(data);
  return to_hex(d.finish());
}

std::string md5_base64(std::string_view data) {
  Digest d(DigestKind::md5);
  d.update(data);
  return to_base64(d.finish());
}

std::string md5_hex(std::string_view data) {
  Digest d(DigestKind::md5);
  d.update(data);
  return to_hex(d.finish());
}

std::string sha256_hex(std::string_view data) {
  Digest d(DigestKind::sha256);
  d.update(data);
  return to_hex(d.finish());
}

}  // namespace wale::codec
