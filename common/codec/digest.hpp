// Content digests on OpenSSL's EVP interface.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale::codec {

// sha256 and md5 for what stores and signatures demand; xxh128 (XXH3,
// 128 bits) for the content hash this project records on its objects: it
// identifies content against accidental collisions at a small fraction of
// SHA-256's cost, which matters on the archive path, where every byte is
// also compressed.
enum class DigestKind { sha256, md5, xxh128 };

class Digest {
 public:
  explicit Digest(DigestKind kind);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;

  void update(std::string_view data);
  // Raw digest bytes; the object may not be updated afterwards.
  std::string finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string to_hex(std::string_view bytes);
std::string to_base64(std::string_view bytes);
// Strict RFC 4648 base64 (padding required, no blanks); nullopt otherwise.
std::optional<std::string> from_base64(std::string_view text);
std::string sha256_hex(std::string_view data);
// The MD5 of `data`, base64-encoded: Content-MD5 (S3) and md5Hash (GCS).
std::string md5_base64(std::string_view data);
// The content hash recorded on objects (xxh128, hex).
std::string content_hash_hex(std::string_view data);
inline constexpr DigestKind kContentHash = DigestKind::xxh128;

// Passes data through to `next` while digesting it.
class DigestSink final : public ByteSink {
 public:
  DigestSink(DigestKind kind, ByteSink& next) : digest_(kind), next_(next) {}
  void write(std::string_view data) override {
    digest_.update(data);
    next_.write(data);
  }
  void close() override { next_.close(); }
  std::string finish() { return digest_.finish(); }

 private:
  Digest digest_;
  ByteSink& next_;
};

}  // namespace wale::codec
