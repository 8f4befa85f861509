// The daemon's store, behind one object that every part of the daemon holds
// (upload pipeline, prefetcher, commands run for clients). A reload (SIGHUP)
// replaces the backend inside it: each operation runs to its end on the
// backend it started on, the next one uses the new backend, so uploads in
// flight finish with the old configuration and retries pick up the new one
// (rotated credentials, a new endpoint). It also counts what the store
// answered: errors by kind for the metrics, and whether it is failing,
// which the drop policy asks before dropping anything.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>

#include "common/core/error.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::daemon {

std::string_view error_kind_name(ErrorKind kind);
inline constexpr std::size_t kErrorKinds = 6;

class ReloadableStore final : public storage::BlobStore {
 public:
  explicit ReloadableStore(std::unique_ptr<storage::BlobStore> backend);

  // Operations started from now on use `backend` (same prefix).
  void replace(std::unique_ptr<storage::BlobStore> backend);

  storage::PutOutcome put(const std::string& key, std::string_view body, const storage::PutOptions& options) override;
  std::unique_ptr<ByteSink> open_writer(const std::string& key, const storage::PutOptions& options) override;
  std::optional<storage::ObjectInfo> head(const std::string& key) override;
  void get(const std::string& key, ByteSink& sink, std::optional<storage::ByteRange> range = {}) override;
  void list(const std::string& prefix, const std::function<void(storage::ObjectInfo&&)>& each) override;
  void remove(const std::vector<std::string>& keys) override;
  std::uint64_t connections_opened() const override;

  // Failed operations so far, indexed by ErrorKind.
  std::array<std::uint64_t, kErrorKinds> errors() const;
  // True when the most recent store operation to end failed for want of
  // the store (an outage, a throttle, refused credentials: transient and
  // permanent errors; a missing object is an answer); false before any.
  bool failing() const { return failing_.load(); }

 private:
  std::shared_ptr<storage::BlobStore> current() const;
  template <class Op>
  auto counted(Op&& op) -> decltype(op());

  mutable std::mutex mutex_;
  std::shared_ptr<storage::BlobStore> backend_;
  std::uint64_t retired_connections_ = 0;  // opened by backends replaced since
  std::array<std::atomic<std::uint64_t>, kErrorKinds> errors_{};
  std::atomic<bool> failing_{false};
};

}  // namespace wale::daemon
