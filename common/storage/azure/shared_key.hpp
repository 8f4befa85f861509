// Azure Storage "Shared Key" authorization for the Blob service (REST
// versions 2009-09-19 and later), written from Microsoft's "Authorize with
// Shared Key" reference and checked in the unit tests against vectors
// computed independently (Python's hmac) and against Azurite.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/net/http_client.hpp"

namespace wale::storage::azure {

struct SharedKeyRequest {
  std::string method;  // "PUT"
  // The request path exactly as sent, percent-encoded: "/container/blob",
  // or "/devstoreaccount1/container/blob" on a path-style endpoint (whose
  // account then appears twice in the canonicalized resource).
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded names and values
  net::Headers headers;                                    // every header sent, any case
  std::uint64_t content_length = 0;                        // of the body (signed as "" when 0)
};

// The canonical string: the verb, twelve standard header values, the x-ms-*
// headers and the canonicalized resource. Throws wale::Error(usage) for a
// header that would forge extra lines.
std::string string_to_sign(const SharedKeyRequest& request, std::string_view account);

// "SharedKey <account>:<base64 HMAC-SHA256 of the string with the decoded key>".
std::string shared_key_authorization(const SharedKeyRequest& request, std::string_view account, std::string_view key);

// The x-ms-date value for now: "Sun, 11 Oct 2009 21:49:13 GMT".
std::string rfc1123_now();

}  // namespace wale::storage::azure
