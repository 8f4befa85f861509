#include "common/storage/azure/azure_settings.hpp"

#include "common/core/error.hpp"
#include "common/net/url.hpp"
#include "common/storage/azure/blob_naming.hpp"

namespace wale::storage::azure {
namespace {

[[noreturn]] void bad_endpoint(std::string_view text, const std::string& why) {
  throw Error(ErrorKind::usage, "WALE_WABS_ENDPOINT='" + std::string(text) + "' " + why +
                                    "; write it as https://host[:port][/path], e.g. http://127.0.0.1:10000/devstoreaccount1 "
                                    "for Azurite");
}

bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool path_character(char c) {
  return lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
}

// Calls `each(name, value)` for the fields of a query string; false when
// one is not name=value.
template <typename Each>
bool for_each_field(std::string_view query, Each&& each) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view field = query.substr(0, amp);
    const auto eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    each(field.substr(0, eq), field.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return true;
}

}  // namespace

void parse_wabs_endpoint(std::string_view text, AzureSettings& settings) {
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) bad_endpoint(text, "is not a URL");
  const std::string_view scheme = text.substr(0, sep);
  if (scheme == "https") settings.endpoint.tls = true;
  else if (scheme == "http") settings.endpoint.tls = false;
  else bad_endpoint(text, "names the protocol '" + std::string(scheme) + "'; use http or https");
  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) bad_endpoint(text, "contains a query or a fragment");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);
  for (char c : path)
    if (!path_character(c)) bad_endpoint(text, "has a path with characters other than letters, digits, '-', '_', '.', '~' and '/'");
  if (path.find("//") != std::string_view::npos) bad_endpoint(text, "has an empty path segment");
  if (const std::string problem = net::set_authority(authority, settings.endpoint); !problem.empty()) bad_endpoint(text, problem);
  settings.base_path = std::string(path);
}

void use_account_endpoint(AzureSettings& settings) {
  settings.endpoint.tls = true;
  settings.endpoint.port = 443;
  settings.endpoint.host = settings.account + ".blob.core.windows.net";
  settings.base_path.clear();
}

bool valid_account_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 24) return false;
  for (char c : name)
    if (!lower_or_digit(c)) return false;
  return true;
}

bool valid_container_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  if (!lower_or_digit(name.front()) || !lower_or_digit(name.back())) return false;
  for (char c : name)
    if (!lower_or_digit(c) && c != '-') return false;
  return name.find("--") == std::string_view::npos;
}

std::string normalize_sas_token(std::string_view text) {
  if (text.starts_with('?')) text.remove_prefix(1);
  auto bad = [](const std::string& why) {
    throw Error(ErrorKind::usage, "WABS_SAS_TOKEN " + why +
                                      "; give the token as Azure generates it, a query string such as sv=...&se=...&sp=...&sig=...");
  };
  if (text.empty()) bad("is empty");
  if (text.find_first_of(" \t\r\n#") != std::string_view::npos) bad("contains a blank, a line break or '#'");
  if (text.find("://") != std::string_view::npos || text.find('?') != std::string_view::npos)
    bad("looks like a URL; give only the query string after its '?'");
  bool signature = false;
  const bool fields = for_each_field(text, [&](std::string_view name, std::string_view value) {
    if (name == "sig" && !value.empty()) signature = true;
  });
  if (!fields) bad("has a field that is not name=value");
  if (!signature) bad("has no signature (sig=)");
  return std::string(text);
}

std::optional<std::string> sas_expiry(std::string_view token) {
  std::optional<std::string> expiry;
  for_each_field(token, [&](std::string_view name, std::string_view value) {
    if (name == "se") expiry = percent_decode(value).value_or(std::string(value));
  });
  return expiry;
}

}  // namespace wale::storage::azure
