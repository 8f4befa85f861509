#include "common/storage/gcs/gcs_settings.hpp"

#include <nlohmann/json.hpp>

#include "common/core/error.hpp"
#include "common/net/url.hpp"

namespace wale::storage::gcs {
namespace {

[[noreturn]] void bad_endpoint(std::string_view variable, std::string_view text, std::string_view form) {
  throw Error(ErrorKind::usage, std::string(variable) + "='" + std::string(text) + "' is not " + std::string(form));
}

[[noreturn]] void bad_credentials(const std::string& path, const std::string& why) {
  throw Error(ErrorKind::usage, "GOOGLE_APPLICATION_CREDENTIALS='" + path + "' " + why +
                                    "; point it at a service-account key file (JSON) from the Google Cloud console");
}

std::string field(const nlohmann::json& j, const char* name, const std::string& path, const std::string& kind) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty())
    bad_credentials(path, "is a " + kind + " file without \"" + name + "\"");
  return it->get<std::string>();
}

}  // namespace

net::Endpoint parse_gs_endpoint(std::string_view text, std::string_view variable) {
  const auto url = net::parse_url(text);
  if (!url || url->target != "/")
    bad_endpoint(variable, text, "of the form https://host[:port] or http://host:port (no path, no user name)");
  return url->endpoint;
}

net::Endpoint parse_emulator_host(std::string_view text, std::string_view variable) {
  if (text.starts_with("http://") || text.starts_with("https://")) return parse_gs_endpoint(text, variable);
  std::string_view authority = text;
  if (authority.ends_with('/')) authority.remove_suffix(1);
  const auto endpoint = net::parse_authority(authority, false);
  if (!endpoint) bad_endpoint(variable, text, "of the form host:port or http://host:port");
  return *endpoint;
}

Credentials parse_credentials_json(std::string_view json, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception&) {
    bad_credentials(path, "is not JSON");
  }
  if (!j.is_object()) bad_credentials(path, "is not a JSON object");
  const std::string type = j.value("type", std::string());
  Credentials c;
  c.file = path;
  if (const auto it = j.find("token_uri"); it != j.end() && it->is_string()) c.token_uri = it->get<std::string>();
  if (type == "service_account") {
    c.source = CredentialSource::service_account;
    c.client_email = field(j, "client_email", path, "service-account");
    c.private_key_pem = field(j, "private_key", path, "service-account");
    c.private_key_id = j.value("private_key_id", std::string());
  } else if (type == "authorized_user") {
    c.source = CredentialSource::authorized_user;
    c.client_id = field(j, "client_id", path, "authorized-user");
    c.client_secret = field(j, "client_secret", path, "authorized-user");
    c.refresh_token = field(j, "refresh_token", path, "authorized-user");
  } else if (type.empty()) {
    bad_credentials(path, "has no \"type\"");
  } else {
    bad_credentials(path, "is of type '" + type + "', which wal-e does not support (use service_account or authorized_user)");
  }
  const auto token_url = net::parse_url(c.token_uri);
  if (!token_url) bad_credentials(path, "has a token_uri that is not an http(s) URL");
  return c;
}

}  // namespace wale::storage::gcs
