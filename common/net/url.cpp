#include "common/net/url.hpp"

#include <cctype>
#include <charconv>

namespace wale::net {

std::optional<Endpoint> parse_authority(std::string_view text, bool tls) {
  if (text.empty() || text.find_first_of("@/?# \t") != std::string_view::npos) return std::nullopt;
  Endpoint e;
  e.tls = tls;
  e.port = tls ? 443 : 80;
  std::string_view host = text;
  std::string_view port_text;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), e.port);
    if (r.ec != std::errc{} || r.ptr != port_text.data() + port_text.size() || e.port == 0) return std::nullopt;
  }
  e.host = std::string(host);
  return e;
}

namespace {

// Schemes are case-insensitive (RFC 3986, 3.1).
bool starts_with_scheme(std::string_view text, std::string_view scheme) {
  if (text.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != scheme[i]) return false;
  return true;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
  bool tls = false;
  if (starts_with_scheme(text, "https://")) {
    tls = true;
    text.remove_prefix(8);
  } else if (starts_with_scheme(text, "http://")) {
    text.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto end = text.find_first_of("/?#");
  auto endpoint = parse_authority(text.substr(0, end), tls);
  if (!endpoint) return std::nullopt;
  Url url;
  url.endpoint = std::move(*endpoint);
  if (end != std::string_view::npos) {
    std::string_view target = text.substr(end);
    target = target.substr(0, target.find('#'));
    url.target = target.front() == '/' ? std::string(target) : "/" + std::string(target);
  }
  return url;
}

std::string set_authority(std::string_view authority, Endpoint& endpoint) {
  if (authority.find('@') != std::string_view::npos) return "contains a user name or password";
  std::uint16_t port = endpoint.tls ? 443 : 80;
  std::string_view host = authority;
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos && !authority.ends_with(']')) {
    host = authority.substr(0, colon);
    const std::string_view digits = authority.substr(colon + 1);
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (r.ec != std::errc{} || r.ptr != digits.data() + digits.size() || port == 0) return "has a bad port";
  }
  if (host.empty() || host == "[]") return "has no host";
  endpoint.host = std::string(host);
  endpoint.port = port;
  return {};
}

}  // namespace wale::net
