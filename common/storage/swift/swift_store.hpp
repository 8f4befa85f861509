// OpenStack Swift, as WAL-E lays objects out there: the object for key K
// under swift://container/P is named "/" + P + K (WAL-E passes the URL's
// path, leading slash included, to python-swiftclient), so a request path
// reads /v1/AUTH_x/container//P/K.
//
// Requests go over the shared keep-alive connection pool with the token of
// SwiftAuth; every PUT carries the body's MD5 as its ETag (Swift refuses a
// damaged body with 422); listings page with marker; deletes use the
// bulk-delete middleware when the cluster has it. Objects larger than a
// segment are Static Large Objects (slo_writer.hpp) whose segments live in
// the container "<container>_segments", python-swiftclient's convention,
// so that the archive container holds exactly WAL-E's layout.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/net/http_client.hpp"
#include "common/storage/blob_store.hpp"
#include "common/storage/swift/swift_settings.hpp"

namespace wale::storage::swift {

class SwiftAuth;
struct ListedObject;

class SwiftStore final : public BlobStore {
 public:
  SwiftStore(StoreUrl url, SwiftSettings settings);
  ~SwiftStore() override;

  PutOutcome put(const std::string& key, std::string_view body, const PutOptions& options) override;
  std::unique_ptr<ByteSink> open_writer(const std::string& key, const PutOptions& options) override;
  std::optional<ObjectInfo> head(const std::string& key) override;
  void get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) override;
  void list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) override;
  // Deletes the objects and the Static Large Object segments of each.
  void remove(const std::vector<std::string>& keys) override;
  std::uint64_t connections_opened() const override;

  // What the segment writer and the tests need; not part of the store
  // interface.
  struct Request;
  net::HttpResponse send(const Request& request, ByteSink* sink = nullptr, std::uint64_t* delivered = nullptr);
  // Throws the error for an unexpected answer about `container`: the
  // status, Swift's message and what to do (`hint` instead of the usual
  // advice when given).
  [[noreturn]] void fail(const std::string& what, const net::HttpResponse& response, const std::string& container,
                         const std::string& hint = {}) const;
  const SwiftSettings& settings() const { return settings_; }
  const std::string& segment_container() const { return segment_container_; }
  // "/" + P + key: the object's name in the container.
  std::string object_name(const std::string& key) const;
  // User metadata, content type and create-only of an object's PUT.
  static void add_put_headers(net::Headers& headers, const PutOptions& options);
  // The request path of an object (percent-encoded, below the storage URL).
  static std::string object_path(const std::string& container, const std::string& name);
  // Calls `each` for every object of `container` whose name starts with
  // `prefix`, page by page; false when the container does not exist.
  bool list_container(const std::string& container, const std::string& prefix, const std::function<void(ListedObject&&)>& each);
  // Deletes objects of `container` by name; absent ones are no error.
  void remove_names(const std::string& container, const std::vector<std::string>& names);
  // Creates the segment container (with the archive container's storage
  // policy) if it is missing.
  void create_segment_container();
  std::uint64_t authentications() const;

 private:
  std::optional<std::size_t> bulk_delete_limit();
  void remove_segments_of(const std::vector<std::string>& owners);

  SwiftSettings settings_;
  std::string segment_container_;
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<SwiftAuth> auth_;
  std::mutex capabilities_mutex_;
  bool capabilities_known_ = false;
  std::optional<std::size_t> bulk_delete_limit_;
};

// One request below the account's storage URL, before the token is added.
struct SwiftStore::Request {
  std::string method = "GET";
  std::string path;  // "" for the account, "/container" or object_path(...)
  std::vector<std::pair<std::string, std::string>> query;  // encoded by send(); an empty value gives a bare name
  net::Headers headers;
  std::string_view body;
  bool idempotent = true;
};

}  // namespace wale::storage::swift
