// S3 and S3-compatible stores (Ceph RGW, MinIO, Swift's s3api, ...):
// SigV4-signed requests over the shared keep-alive connection pool, a body
// checksum on every PUT (Content-MD5 and the signed SHA-256) so that the
// store rejects a corrupted body, and the answer's ETag checked against it;
// ListObjectsV2 with continuation tokens, batch DeleteObjects, and
// multipart uploads for large objects with the parts in flight bounded and
// failed uploads aborted.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/storage/blob_store.hpp"
#include "common/storage/s3/s3_settings.hpp"

namespace wale::net {
class HttpClient;
struct HttpRequest;
struct HttpResponse;
}  // namespace wale::net

namespace wale::storage::s3 {

class CredentialSource;

// The MD5 of an upload's body: base64 for Content-MD5, hex to check the
// ETag the store answers with.
struct UploadDigest {
  explicit UploadDigest(std::string_view body);
  std::string base64;
  std::string hex;
};

class S3Store final : public BlobStore {
 public:
  S3Store(StoreUrl url, S3Settings settings);
  ~S3Store() override;

  PutOutcome put(const std::string& key, std::string_view body, const PutOptions& options) override;
  std::unique_ptr<ByteSink> open_writer(const std::string& key, const PutOptions& options) override;
  std::optional<ObjectInfo> head(const std::string& key) override;
  void get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) override;
  void list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) override;
  void remove(const std::vector<std::string>& keys) override;
  std::uint64_t connections_opened() const override;

  // What the multipart writer needs; not part of the store interface.
  struct Request;
  net::HttpResponse send(Request& request, ByteSink* sink = nullptr, std::uint64_t* delivered = nullptr);
  [[noreturn]] void fail(const std::string& what, const net::HttpResponse& response) const;
  // Throws a transient error when a 200's ETag names other bytes than sent.
  void check_etag(const std::string& what, const net::HttpResponse& response, const UploadDigest& sent) const;
  const S3Settings& settings() const { return settings_; }
  std::string object_path(const std::string& key) const;

 private:
  S3Settings settings_;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<CredentialSource> credentials_;
};

// One S3 request before signing.
struct S3Store::Request {
  std::string method = "GET";
  std::string path;  // the URI-encoded path, bucket included for path addressing
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
  bool idempotent = true;
};

}  // namespace wale::storage::s3
