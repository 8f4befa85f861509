// Azure Blob Storage (and Azurite, Azure Stack, private endpoints): block
// blobs under WAL-E's names, requests authorized with the account key
// (SharedKey) or a SAS token over the shared keep-alive connection pool,
// Content-MD5 on every upload so that the service rejects a corrupted body,
// List Blobs with opaque markers, parallel deletes, and large objects as
// blocks committed with Put Block List.
#pragma once

#include <memory>

#include "common/codec/hmac.hpp"
#include "common/storage/azure/azure_settings.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::net {
class HttpClient;
struct HttpResponse;
}  // namespace wale::net

namespace wale::storage::azure {

class AzureStore final : public BlobStore {
 public:
  AzureStore(StoreUrl url, AzureSettings settings);
  ~AzureStore() override;

  PutOutcome put(const std::string& key, std::string_view body, const PutOptions& options) override;
  std::unique_ptr<ByteSink> open_writer(const std::string& key, const PutOptions& options) override;
  std::optional<ObjectInfo> head(const std::string& key) override;
  void get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) override;
  void list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) override;
  void remove(const std::vector<std::string>& keys) override;
  std::uint64_t connections_opened() const override;

  // What the block writer needs; not part of the store interface.
  struct Request;
  net::HttpResponse send(const Request& request, ByteSink* sink = nullptr, std::uint64_t* delivered = nullptr);
  [[noreturn]] void fail(const std::string& what, const net::HttpResponse& response) const;
  const AzureSettings& settings() const { return settings_; }
  // "/container/<prefix><key>", percent-encoded.
  std::string object_path(const std::string& key) const;
  // Deletes one blob (its uncommitted blocks too); false when there was none.
  bool delete_blob(const std::string& key);

 private:
  AzureSettings settings_;
  codec::SecretBytes key_;  // the decoded account key (SharedKey only)
  std::unique_ptr<net::HttpClient> client_;
};

// The properties a new blob gets from PutOptions: user metadata and content type.
void add_blob_headers(std::vector<std::pair<std::string, std::string>>& headers, const PutOptions& options);

// One Blob service request before authorization.
struct AzureStore::Request {
  std::string method = "GET";
  std::string path;  // "/container[/blob]", percent-encoded, without the endpoint's base path
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

}  // namespace wale::storage::azure
