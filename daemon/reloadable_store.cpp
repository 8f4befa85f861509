#include "daemon/reloadable_store.hpp"

namespace wale::daemon {
namespace {

// A streaming upload keeps the backend it was opened on alive until it ends.
class PinnedWriter final : public ByteSink {
 public:
  PinnedWriter(std::shared_ptr<storage::BlobStore> backend, std::unique_ptr<ByteSink> writer)
      : backend_(std::move(backend)), writer_(std::move(writer)) {}
  ~PinnedWriter() override { writer_.reset(); }
  void write(std::string_view data) override { writer_->write(data); }
  void close() override { writer_->close(); }

 private:
  std::shared_ptr<storage::BlobStore> backend_;
  std::unique_ptr<ByteSink> writer_;
};

}  // namespace

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::transient: return "transient";
    case ErrorKind::permanent: return "permanent";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::corrupt: return "corrupt";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::usage: return "usage";
  }
  return "permanent";
}

ReloadableStore::ReloadableStore(std::unique_ptr<storage::BlobStore> backend)
    : BlobStore(backend->url()), backend_(std::move(backend)) {}

void ReloadableStore::replace(std::unique_ptr<storage::BlobStore> backend) {
  std::shared_ptr<storage::BlobStore> next(std::move(backend));
  std::lock_guard lock(mutex_);
  retired_connections_ += backend_->connections_opened();
  backend_ = std::move(next);
}

std::shared_ptr<storage::BlobStore> ReloadableStore::current() const {
  std::lock_guard lock(mutex_);
  return backend_;
}

template <class Op>
auto ReloadableStore::counted(Op&& op) -> decltype(op()) {
  try {
    if constexpr (std::is_void_v<decltype(op())>) {
      op();
      failing_ = false;
    } else {
      auto result = op();
      failing_ = false;
      return result;
    }
  } catch (const Error& e) {
    ++errors_[static_cast<std::size_t>(e.kind())];
    if (e.kind() == ErrorKind::transient || e.kind() == ErrorKind::permanent) failing_ = true;
    else if (e.kind() == ErrorKind::not_found) failing_ = false;
    throw;
  }
}

storage::PutOutcome ReloadableStore::put(const std::string& key, std::string_view body, const storage::PutOptions& options) {
  auto backend = current();
  return counted([&] { return backend->put(key, body, options); });
}

std::unique_ptr<ByteSink> ReloadableStore::open_writer(const std::string& key, const storage::PutOptions& options) {
  auto backend = current();
  auto writer = counted([&] { return backend->open_writer(key, options); });
  return std::make_unique<PinnedWriter>(std::move(backend), std::move(writer));
}

std::optional<storage::ObjectInfo> ReloadableStore::head(const std::string& key) {
  auto backend = current();
  return counted([&] { return backend->head(key); });
}

void ReloadableStore::get(const std::string& key, ByteSink& sink, std::optional<storage::ByteRange> range) {
  auto backend = current();
  counted([&] { backend->get(key, sink, range); });
}

void ReloadableStore::list(const std::string& prefix, const std::function<void(storage::ObjectInfo&&)>& each) {
  auto backend = current();
  counted([&] { backend->list(prefix, each); });
}

void ReloadableStore::remove(const std::vector<std::string>& keys) {
  auto backend = current();
  counted([&] { backend->remove(keys); });
}

std::uint64_t ReloadableStore::connections_opened() const {
  std::lock_guard lock(mutex_);
  return retired_connections_ + backend_->connections_opened();
}

std::array<std::uint64_t, kErrorKinds> ReloadableStore::errors() const {
  std::array<std::uint64_t, kErrorKinds> out{};
  for (std::size_t i = 0; i < kErrorKinds; ++i) out[i] = errors_[i].load();
  return out;
}

}  // namespace wale::daemon
