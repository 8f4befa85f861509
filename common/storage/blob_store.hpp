// One interface over every blob store. Keys are relative to the configured
// prefix; a backend adds its bucket, container or directory. Every backend
// is chosen by URL scheme in store_factory.cpp and nowhere else.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/stream.hpp"
#include "common/storage/store_url.hpp"

namespace wale::storage {

// User metadata this project records on WAL objects it writes, so that
// "is this content already stored?" is a HEAD, never a download.
inline constexpr std::string_view kMetaContentHash = "wale-xxh128";  // of the uncompressed content (codec::kContentHash)
inline constexpr std::string_view kMetaSize = "wale-size";      // uncompressed size in bytes

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string last_modified;  // as the store reports it (WAL-E prints it verbatim)
  std::int64_t mtime_ns = 0;  // the same instant, for ordering
  std::map<std::string, std::string> metadata;
  // The MD5 (hex) of the bytes the store holds, when it reports one (S3's
  // ETag of an upload that was not multipart nor KMS-encrypted); else empty.
  std::string stored_md5_hex;
};

struct PutOptions {
  std::map<std::string, std::string> metadata;
  std::string content_type;
  // Never replace an existing object; report it instead.
  bool if_absent = false;
};

enum class PutOutcome { stored, already_exists };

struct ByteRange {
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;  // to the end when absent
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  const StoreUrl& url() const { return url_; }

  // Stores `body` under `key` and returns only once the store holds the
  // complete object durably (file: fsynced and renamed into place; HTTP
  // stores: acknowledged with the body checksum verified).
  virtual PutOutcome put(const std::string& key, std::string_view body, const PutOptions& options) = 0;

  // A streaming upload for objects too large to hold in memory: close()
  // commits, destroying the writer without close() abandons the upload and
  // leaves no object and no parts behind.
  virtual std::unique_ptr<ByteSink> open_writer(const std::string& key, const PutOptions& options) = 0;

  // nullopt when absent.
  virtual std::optional<ObjectInfo> head(const std::string& key) = 0;

  // Writes the object (or a range of it) into `sink` without closing it.
  // Throws wale::Error(not_found) when absent.
  virtual void get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range = {}) = 0;

  // Calls `each` for every object whose key starts with `prefix`, in the
  // store's order.
  virtual void list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) = 0;

  // Deletes the keys that exist; absent keys are not an error.
  virtual void remove(const std::vector<std::string>& keys) = 0;

  // Network connections opened to the store so far (0 for local stores).
  virtual std::uint64_t connections_opened() const { return 0; }

 protected:
  explicit BlobStore(StoreUrl url) : url_(std::move(url)) {}

 private:
  StoreUrl url_;
};

}  // namespace wale::storage
