// Everything the OpenStack Swift backend needs, resolved once from WAL-E's
// SWIFT_* settings (config/store_settings.cpp does that) into a plain
// struct. The Keystone fields keep WAL-E's names; how they reach Keystone
// is python-swiftclient's and keystoneclient's mapping (swift_auth.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/http_client.hpp"

namespace wale::storage::swift {

// v1: tempauth/swauth style (X-Auth-User/X-Auth-Key); v2 and v3: Keystone.
enum class AuthVersion { v1, v2, v3 };

// An http(s) URL split for net::HttpClient: where to connect, and the path
// (percent-encoded as given, without a trailing '/').
struct HttpUrl {
  net::Endpoint endpoint;
  std::string path;
  std::string text() const;  // scheme://host[:port]path, for messages
};

// nullopt unless `text` is http:// or https://host[:port][/path] (no user
// name, query or fragment).
std::optional<HttpUrl> parse_http_url(std::string_view text);

struct SwiftSettings {
  std::string container;
  HttpUrl auth_url;  // SWIFT_AUTHURL; for Keystone ending in /v2.0 or /v3 (see normalise_keystone_url)
  AuthVersion auth_version = AuthVersion::v2;
  std::string user;      // SWIFT_USER, after a v2/v3 "tenant:user" was split
  std::string password;  // secret: never in a message or log line
  std::string tenant_name;
  std::string tenant_id;
  std::string user_id;
  std::string user_domain_id;
  std::string user_domain_name;
  std::string project_id;
  std::string project_name;
  std::string project_domain_id;
  std::string project_domain_name;
  std::string region;                     // empty: any region
  std::string endpoint_type = "publicURL";  // as given; each Keystone version normalises it
  std::string ca_file;
  // Large objects: Static Large Object segments of this size, this many in
  // flight per object.
  std::uint64_t segment_size = 8u << 20;
  std::size_t segment_concurrency = 2;
  std::size_t max_connections = 16;
  std::size_t list_page_size = 0;  // the limit of a listing request; 0: none, the cluster's own maximum
};

// SWIFT_AUTH_VERSION: 1, 2 or 3 (also "1.0", "2.0", "3.0" as
// python-swiftclient accepts). Throws usage naming the variable otherwise.
AuthVersion parse_auth_version(std::string_view text);

// python-swiftclient's rule for a Keystone URL whose last path component
// is not a version ("v2", "v2.0", "v3", "v3.0"): "/v2.0" is appended for
// version 2, "/v3" for version 3. Version 1 URLs are used as given.
void normalise_keystone_url(SwiftSettings& settings);

// Completes and checks the identity after the variables were read, as
// python-swiftclient does for WAL-E: for Keystone, a SWIFT_USER of
// "tenant:user" names the tenant too (over SWIFT_TENANT), v2 needs a user
// name and a tenant, v3 a user (name or id) and a project; the URL gets its
// version (normalise_keystone_url); SWIFT_ENDPOINT_TYPE must be one of
// publicURL, internalURL, adminURL (or public, internal, admin). Throws
// wale::Error(usage) naming the variable to set.
void resolve_identity(SwiftSettings& settings);

// The smallest segment: Swift allows 1000 segments per manifest, so this
// keeps objects up to about 1 GiB possible even at the minimum.
inline constexpr std::uint64_t kMinSegmentSize = 1u << 20;
// Swift's default max_file_size, the largest single object (or segment).
inline constexpr std::uint64_t kMaxSegmentSize = 5ull << 30;
// Swift's default max_manifest_segments.
inline constexpr std::size_t kMaxManifestSegments = 1000;

}  // namespace wale::storage::swift
