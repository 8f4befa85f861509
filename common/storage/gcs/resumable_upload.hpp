// The streaming writer of the GCS backend: a resumable upload session that
// takes the object in chunks of settings().chunk_size (a multiple of
// 256 KiB), one chunk going up while the next fills, so that memory stays
// at two chunks. After a failed or cut-off chunk it asks the session how
// much it holds (308 and its Range) and sends the rest; the finished
// object's CRC-32C and MD5 are compared with the bytes written. Destroyed
// without close(), it cancels the session (DELETE of the session URI), so
// that no object and no open session stays behind. An object that fits in
// one chunk is a single-request upload instead.
//
// The session URI authorizes uploads on its own: it never appears in a
// message or a log line.
#pragma once

#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <string_view>

#include "common/codec/digest.hpp"
#include "common/core/stream.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::net {
struct HttpResponse;
}

namespace wale::storage::gcs {

class GcsStore;

// Content-Range of a chunk: "bytes FIRST-LAST/TOTAL", TOTAL "*" while the
// size is unknown; "bytes */TOTAL" for an empty chunk (a status query when
// TOTAL is "*").
std::string chunk_content_range(std::uint64_t offset, std::uint64_t size, std::optional<std::uint64_t> total);

// The bytes a session holds, from the Range header of its 308 answer
// ("bytes=0-LAST"; none at all when the header is absent). Throws
// wale::Error(permanent) for anything else.
std::uint64_t persisted_bytes(std::string_view range_header);

class ResumableUpload final : public ByteSink {
 public:
  ResumableUpload(GcsStore& store, std::string key, PutOptions options);
  ~ResumableUpload() override;
  ResumableUpload(const ResumableUpload&) = delete;
  ResumableUpload& operator=(const ResumableUpload&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  void start_session();
  void send_chunk(std::string chunk, bool final);
  void upload(const std::string& chunk, std::uint64_t offset, bool final);
  net::HttpResponse put_range(std::string_view data, std::uint64_t offset, std::optional<std::uint64_t> total);
  void finish(const net::HttpResponse& response, std::uint64_t total, bool final);
  void cancel() noexcept;
  std::string describe(std::uint64_t offset, std::uint64_t end) const;

  GcsStore& store_;
  std::string key_;
  PutOptions options_;
  std::string buffer_;
  std::string session_;     // path and query of the session URI; empty before the first chunk
  std::uint64_t sent_ = 0;  // bytes handed to chunks so far
  codec::Digest md5_{codec::DigestKind::md5};
  std::uint32_t crc32c_ = 0;
  std::string md5_base64_;  // of the whole object, known once close() is called
  std::string crc32c_base64_;
  std::future<void> in_flight_;
  bool done_ = false;
};

}  // namespace wale::storage::gcs
