#include "common/storage/azure/block_blob_writer.hpp"

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "common/storage/azure/azure_store.hpp"
#include "common/storage/azure/azure_xml.hpp"
#include "common/storage/azure/blob_naming.hpp"

namespace wale::storage::azure {
BlockBlobWriter::BlockBlobWriter(AzureStore& store, std::string key, PutOptions options)
    : store_(store),
      key_(std::move(key)),
      options_(std::move(options)),
      block_size_(static_cast<std::size_t>(store.settings().block_size)) {
  buffer_.reserve(block_size_);
}

BlockBlobWriter::~BlockBlobWriter() {
  if (!done_) abandon();
}

void BlockBlobWriter::write(std::string_view data) {
  while (!data.empty()) {
    const std::size_t take = std::min(data.size(), block_size_ - buffer_.size());
    buffer_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (buffer_.size() == block_size_) start_block();
  }
}

void BlockBlobWriter::close() {
  if (done_) return;
  if (blocks_started_ == 0) {
    store_.put(key_, buffer_, options_);
    done_ = true;
    return;
  }
  if (!buffer_.empty()) start_block();
  wait_for_blocks();
  commit();
  done_ = true;
}

void BlockBlobWriter::start_block() {
  if (blocks_started_ == kMaxBlocks)
    throw Error(ErrorKind::permanent, store_.url().url_for(key_) + " needs more than " + std::to_string(kMaxBlocks) +
                                          " blocks, Azure's limit; raise WALE_WABS_BLOCK_SIZE");
  // Bound the memory: wait for the oldest block before starting another.
  while (in_flight_.size() >= store_.settings().block_concurrency) {
    auto oldest = std::move(in_flight_.front());
    in_flight_.pop_front();
    oldest.get();  // rethrows its failure
  }
  const std::uint32_t number = ++blocks_started_;
  in_flight_.push_back(std::async(std::launch::async, [this, number, data = std::move(buffer_)] { put_block(number, data); }));
  buffer_ = std::string();
  buffer_.reserve(block_size_);
}

void BlockBlobWriter::put_block(std::uint32_t number, const std::string& data) {
  AzureStore::Request r;
  r.method = "PUT";
  r.path = store_.object_path(key_);
  r.query = {{"comp", "block"}, {"blockid", block_id(number)}};
  r.headers = {{"content-md5", codec::md5_base64(data)}};
  r.body = data;
  const auto response = store_.send(r);
  if (response.status != 201)
    store_.fail("cannot upload block " + std::to_string(number) + " of " + store_.url().url_for(key_), response);
}

void BlockBlobWriter::wait_for_blocks() {
  while (!in_flight_.empty()) {
    auto oldest = std::move(in_flight_.front());
    in_flight_.pop_front();
    oldest.get();
  }
}

void BlockBlobWriter::commit() {
  const std::string body = block_list_body(blocks_started_);
  AzureStore::Request r;
  r.method = "PUT";
  r.path = store_.object_path(key_);
  r.query = {{"comp", "blocklist"}};
  r.headers = {{"content-md5", codec::md5_base64(body)}, {"content-type", "application/xml"}};
  add_blob_headers(r.headers, options_);
  r.body = body;
  const auto response = store_.send(r);
  if (response.status != 201) store_.fail("cannot commit the blocks of " + store_.url().url_for(key_), response);
}

void BlockBlobWriter::abandon() noexcept {
  for (auto& block : in_flight_) {
    try {
      block.get();
    } catch (...) {
    }
  }
  in_flight_.clear();
  if (blocks_started_ == 0) return;
  try {
    if (!store_.head(key_)) store_.delete_blob(key_);
  } catch (...) {
    // Best effort: Azure discards uncommitted blocks after a week anyway.
  }
}

}  // namespace wale::storage::azure
