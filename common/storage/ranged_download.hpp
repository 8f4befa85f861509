// The resume loop every HTTP store's get() shares: a download cut off
// midway continues with a Range request from the first byte not yet
// delivered, so that the sink sees every byte exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/storage/blob_store.hpp"

namespace wale::storage {

// `attempt(range_header, delivered)` sends one request, with the Range
// header given when it is not empty, streams a 2xx body into the sink and
// keeps `delivered` at the bytes it delivered so far (also when it throws,
// as net::HttpClient::send does with its bytes_delivered); it
// returns the status of a 200, 206 or 416 answer and throws
// wale::Error for any other (not_found when the object is absent).
// `url` names the object in messages. Transient failures are resumed up to
// five times in all. A 416 after everything was delivered ends the download.
void download_resuming(std::optional<ByteRange> range, const std::string& url,
                       const std::function<int(const std::string& range_header, std::uint64_t& delivered)>& attempt);

}  // namespace wale::storage
