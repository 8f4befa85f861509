// BlobStore::get for HTTP stores that answer Range requests: a download
// cut off midway resumes where it stopped instead of starting over, so
// that the sink sees every byte exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/net/http_client.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::storage {

struct RangedGet {
  // Sends one GET of the object with this Range header value ("" for
  // none), its 2xx body into the sink; adds the bytes the sink got to
  // `delivered` even when it throws.
  std::function<net::HttpResponse(const std::string& range, std::uint64_t& delivered)> send;
  // Throws the store's error for an unexpected answer.
  std::function<void(const net::HttpResponse&)> fail;
  std::string url;  // the object's URL, for messages
};

// Up to 5 attempts for transient failures. Throws wale::Error(not_found)
// on 404.
void get_resuming(const RangedGet& get, std::optional<ByteRange> range);

}  // namespace wale::storage
