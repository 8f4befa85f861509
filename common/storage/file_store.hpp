// file://HOST/abs/path: objects are files under /abs/path (HOST is ignored,
// as in WAL-E). Writes are atomic and durable: temporary name, fsync,
// rename, fsync of the directory. Metadata lives in user.* extended
// attributes; a file system without them still works, only the
// "already stored" check then has to read the object back.
#pragma once

#include "common/storage/blob_store.hpp"

namespace wale::storage {

class FileStore final : public BlobStore {
 public:
  explicit FileStore(StoreUrl url);

  PutOutcome put(const std::string& key, std::string_view body, const PutOptions& options) override;
  std::unique_ptr<ByteSink> open_writer(const std::string& key, const PutOptions& options) override;
  std::optional<ObjectInfo> head(const std::string& key) override;
  void get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) override;
  void list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) override;
  void remove(const std::vector<std::string>& keys) override;

  const std::string& root() const { return root_; }
  std::string path_of(const std::string& key) const;

 private:
  std::string root_;  // "/" + canonical prefix, without the trailing '/'
};

// WAL-E's file-backend timestamp: UTC ISO-8601 without zone, microseconds
// only when non-zero (Python's datetime.isoformat()).
std::string file_timestamp(std::int64_t mtime_ns);

}  // namespace wale::storage
