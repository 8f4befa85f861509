// The streaming upload of a large object (a base-backup partition) as a
// block blob: blocks of settings.block_size go up in parallel (at most
// block_concurrency at once, so memory stays below block_size times that
// plus one) as soon as they are full, and close() commits them with Put
// Block List. An object smaller than one block is a single Put Blob.
//
// Destroyed without close(), the writer abandons the upload. Azure cannot
// delete uncommitted blocks one by one, but deleting the blob name removes
// them with it: when no committed blob existed under the name, the writer
// does that, and nothing is left. A blob that did exist is not touched;
// Azure discards the uncommitted blocks beside it after a week.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <string>

#include "common/core/stream.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::storage::azure {

class AzureStore;

class BlockBlobWriter final : public ByteSink {
 public:
  BlockBlobWriter(AzureStore& store, std::string key, PutOptions options);
  ~BlockBlobWriter() override;
  BlockBlobWriter(const BlockBlobWriter&) = delete;
  BlockBlobWriter& operator=(const BlockBlobWriter&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  void start_block();
  void put_block(std::uint32_t number, const std::string& data);
  void commit();
  void wait_for_blocks();
  void abandon() noexcept;

  AzureStore& store_;
  std::string key_;
  PutOptions options_;
  std::size_t block_size_;
  std::string buffer_;
  std::uint32_t blocks_started_ = 0;
  std::deque<std::future<void>> in_flight_;
  bool done_ = false;
};

}  // namespace wale::storage::azure
