// Percent-encoding of URI components, kept apart from the HTTP client so
// that the signer and the fuzz targets use it without Beast.
#pragma once

#include <string>
#include <string_view>

namespace wale::net {

// Percent-encoding as AWS SigV4 and most REST APIs want it (RFC 3986
// unreserved characters kept, every other byte as %XX in upper case; '/'
// kept when `keep_slash`).
std::string uri_encode(std::string_view text, bool keep_slash);

}  // namespace wale::net
