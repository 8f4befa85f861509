// Google Cloud Storage through its JSON API, over the shared keep-alive
// connection pool: objects are named "/" + prefix path + key, as WAL-E's
// client library stored them (the leading slash is part of the name).
// Single-request uploads carry the body's MD5 and CRC-32C for the service
// to verify; large objects go up as resumable uploads in chunks, cancelled
// when abandoned; deletes go one object a request, several at once.
#pragma once

#include <memory>

#include "common/storage/blob_store.hpp"
#include "common/storage/gcs/gcs_settings.hpp"

namespace wale::net {
class HttpClient;
struct HttpResponse;
}  // namespace wale::net

namespace wale::storage::gcs {

class AccessTokens;
struct ObjectResource;

class GcsStore final : public BlobStore {
 public:
  GcsStore(StoreUrl url, GcsSettings settings);
  ~GcsStore() override;

  PutOutcome put(const std::string& key, std::string_view body, const PutOptions& options) override;
  std::unique_ptr<ByteSink> open_writer(const std::string& key, const PutOptions& options) override;
  std::optional<ObjectInfo> head(const std::string& key) override;
  void get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) override;
  void list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) override;
  void remove(const std::vector<std::string>& keys) override;
  std::uint64_t connections_opened() const override;

  // What the resumable writer needs; not part of the store interface.
  struct Request;
  net::HttpResponse send(const Request& request, ByteSink* sink = nullptr, std::uint64_t* delivered = nullptr);
  [[noreturn]] void fail(const std::string& what, const net::HttpResponse& response) const;
  const GcsSettings& settings() const { return settings_; }
  // The object's name in the bucket: "/" + prefix path + key.
  std::string object_name(const std::string& key) const;
  // The JSON API path of an object ("/storage/v1/b/BUCKET/o/NAME").
  std::string object_path(const std::string& key) const;
  std::string upload_path() const;  // "/upload/storage/v1/b/BUCKET/o"
  // Checks the service's answer to an upload against what was sent; on a
  // mismatch the stored object is deleted and a transient error thrown.
  void check_stored(const ObjectResource& stored, const std::string& key, std::uint64_t size, const std::string& md5_base64,
                    const std::string& crc32c_base64);
  // Deletes an object an upload left wrong, best effort.
  void discard(const ObjectResource& stored) noexcept;

 private:
  void remove_one(const std::string& key);

  GcsSettings settings_;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<AccessTokens> tokens_;
};

// One JSON API request before its Authorization header is added.
struct GcsStore::Request {
  std::string method = "GET";
  std::string target;  // path and query, percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
  bool idempotent = true;
};

}  // namespace wale::storage::gcs
