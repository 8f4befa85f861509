#include "common/storage/swift/swift_settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "common/core/error.hpp"
#include "common/net/url.hpp"

namespace wale::storage::swift {

std::string HttpUrl::text() const { return (endpoint.tls ? "https://" : "http://") + endpoint.host_header() + path; }

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  if (text.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  auto parsed = net::parse_url(text);
  if (!parsed) return std::nullopt;
  HttpUrl url{std::move(parsed->endpoint), std::move(parsed->target)};
  while (url.path.ends_with('/')) url.path.pop_back();
  return url;
}

AuthVersion parse_auth_version(std::string_view text) {
  if (text == "1" || text == "1.0") return AuthVersion::v1;
  if (text == "2" || text == "2.0") return AuthVersion::v2;
  if (text == "3" || text == "3.0") return AuthVersion::v3;
  throw Error(ErrorKind::usage, "SWIFT_AUTH_VERSION='" + std::string(text) + "' is not an authentication version; use 1 (tempauth), 2 or 3 (Keystone)");
}

void normalise_keystone_url(SwiftSettings& settings) {
  if (settings.auth_version == AuthVersion::v1) return;
  const std::string& path = settings.auth_url.path;
  const std::string_view last = std::string_view(path).substr(path.rfind('/') + 1);
  const bool versioned = last == "v2" || last == "v2.0" || last == "v3" || last == "v3.0";
  if (!versioned) settings.auth_url.path += settings.auth_version == AuthVersion::v2 ? "/v2.0" : "/v3";
}

void resolve_identity(SwiftSettings& s) {
  static constexpr std::string_view kTypes[] = {"publicURL", "internalURL", "adminURL", "public", "internal", "admin"};
  if (std::find(std::begin(kTypes), std::end(kTypes), s.endpoint_type) == std::end(kTypes))
    throw Error(ErrorKind::usage, "SWIFT_ENDPOINT_TYPE='" + s.endpoint_type +
                                      "' is not an endpoint type; use publicURL, internalURL or adminURL (or public, internal, admin)");
  if (s.password.empty())
    throw Error(ErrorKind::usage, "Swift needs SWIFT_PASSWORD; put it in the environment (an envdir), never on the command line");
  if (s.auth_version == AuthVersion::v1) {
    if (s.user.empty()) throw Error(ErrorKind::usage, "Swift needs SWIFT_USER (for tempauth, account:user)");
    return;
  }
  if (const auto colon = s.user.find(':'); colon != std::string::npos) {
    if (s.user.find(':', colon + 1) != std::string::npos)
      throw Error(ErrorKind::usage, "SWIFT_USER='" + s.user + "' has more than one ':'; write tenant:user or set SWIFT_TENANT");
    s.tenant_name = s.user.substr(0, colon);
    s.user = s.user.substr(colon + 1);
  }
  const bool has_project = !(s.tenant_name.empty() && s.tenant_id.empty() && s.project_name.empty() && s.project_id.empty());
  if (s.auth_version == AuthVersion::v2) {
    if (s.user.empty()) throw Error(ErrorKind::usage, "Keystone v2 needs SWIFT_USER (a user name; SWIFT_USER_ID is for v3)");
    if (!has_project)
      throw Error(ErrorKind::usage, "Keystone v2 needs a tenant: set SWIFT_TENANT or SWIFT_TENANT_ID (or write SWIFT_USER as tenant:user)");
  } else {
    if (s.user.empty() && s.user_id.empty()) throw Error(ErrorKind::usage, "Keystone v3 needs SWIFT_USER or SWIFT_USER_ID");
    if (!has_project)
      throw Error(ErrorKind::usage, "Keystone v3 needs a project: set SWIFT_PROJECT_NAME or SWIFT_PROJECT_ID (or SWIFT_TENANT, SWIFT_TENANT_ID)");
  }
  normalise_keystone_url(s);
}

}  // namespace wale::storage::swift
