// http:// and https:// URLs split into what net::HttpClient needs: the
// endpoint to connect to and the request target. For settings (endpoints,
// token URLs) and for URLs a server hands back (upload session URIs).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/net/http_client.hpp"

namespace wale::net {

struct Url {
  Endpoint endpoint;
  std::string target = "/";  // path and query as given (already percent-encoded); "/" when absent
};

// nullopt unless `text` is http://HOST[:PORT][/PATH][?QUERY] or https://...
// with a host, a port in 1-65535 when given, and no user name or password.
// An IPv6 host is written in brackets.
std::optional<Url> parse_url(std::string_view text);

// "host" or "host:port" (no scheme, no path): how GCE_METADATA_HOST and
// STORAGE_EMULATOR_HOST give an address. nullopt when malformed.
std::optional<Endpoint> parse_authority(std::string_view text, bool tls);

}  // namespace wale::net
