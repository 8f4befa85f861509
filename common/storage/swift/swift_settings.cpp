#include "common/storage/swift/swift_settings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "common/core/error.hpp"

namespace wale::storage::swift {

std::string HttpUrl::text() const { return (endpoint.tls ? "https://" : "http://") + endpoint.host_header() + path; }

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  HttpUrl url;
  std::string_view rest;
  std::string scheme(text.substr(0, std::min<std::size_t>(text.size(), 8)));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme.starts_with("https://")) {
    url.endpoint.tls = true;
    url.endpoint.port = 443;
    rest = text.substr(8);
  } else if (scheme.starts_with("http://")) {
    url.endpoint.tls = false;
    url.endpoint.port = 80;
    rest = text.substr(7);
  } else {
    return std::nullopt;
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return std::nullopt;
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
    if (!after.empty()) port = after.substr(1);
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  if (!port.empty() || authority.back() == ':') {
    const auto r = std::from_chars(port.data(), port.data() + port.size(), url.endpoint.port);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || url.endpoint.port == 0) return std::nullopt;
  }
  url.endpoint.host = std::string(host);
  while (path.ends_with('/')) path.remove_suffix(1);
  url.path = std::string(path);
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
