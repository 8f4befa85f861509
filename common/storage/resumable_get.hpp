// Downloading an object, or a range of it, over HTTP so that a transfer cut
// off midway resumes where it stopped instead of starting over: the sink
// sees every byte exactly once. Shared by the HTTP backends, which differ
// only in how they send a ranged GET and how they word a refusal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/core/stream.hpp"
#include "common/net/http_client.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::storage {

// Sends one GET with `range` as the value of the store's range header
// ("bytes=FIRST-[LAST]", empty for the whole object), streaming a 2xx body
// into `sink` and counting what reached it in `delivered`.
using RangedGet = std::function<net::HttpResponse(const std::string& range, ByteSink& sink, std::uint64_t& delivered)>;

// Must throw a wale::Error for a response that is neither 200 nor 206.
using RefuseResponse = std::function<void(const net::HttpResponse& response)>;

// `url` names the object in messages. Transient failures are resumed up to
// five times; a store that answers a range request with the whole object
// is an error. An empty range sends nothing; a 416 after every byte was
// delivered (a cut-off after the last one) ends the download.
void resumable_get(const std::string& url, ByteSink& sink, std::optional<ByteRange> range, const RangedGet& send,
                   const RefuseResponse& refuse);

}  // namespace wale::storage
