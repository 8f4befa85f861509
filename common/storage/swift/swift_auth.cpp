#include "common/storage/swift/swift_auth.hpp"

#include <charconv>

#include "common/core/error.hpp"
#include "common/storage/s3/s3_xml.hpp"
#include "common/storage/swift/swift_json.hpp"

namespace wale::storage::swift {
namespace {

using nlohmann::json;

// A string member, or "" when absent, null or of another type.
std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// keystoneclient accepts both spellings and normalises them per version:
// "publicURL" for v2 catalogs, "public" for v3 ones.
std::string v2_interface(const std::string& type) { return type.ends_with("URL") ? type : type + "URL"; }
std::string v3_interface(const std::string& type) { return type.ends_with("URL") ? type.substr(0, type.size() - 3) : type; }

std::string effective_project_id(const SwiftSettings& s) { return s.project_id.empty() ? s.tenant_id : s.project_id; }
std::string effective_project_name(const SwiftSettings& s) { return s.project_name.empty() ? s.tenant_name : s.project_name; }

// keystoneclient's domain for a name: the id if given, else the name, else
// the id "default".
json domain_of(const std::string& id, const std::string& name) {
  if (!id.empty()) return {{"id", id}};
  if (!name.empty()) return {{"name", name}};
  return {{"id", "default"}};
}

// The first object-store endpoint of the wanted interface (and region),
// in catalog order, as keystoneclient's url_for picks it.
std::string find_object_store(const json& catalog, bool v3, const SwiftSettings& s) {
  const std::string wanted = v3 ? v3_interface(s.endpoint_type) : v2_interface(s.endpoint_type);
  std::string offered;
  auto offer = [&](const std::string& region, const std::string& interface) {
    offered += (offered.empty() ? "" : ", ") + (region.empty() ? std::string("(no region)") : region) + "/" + interface;
  };
  if (catalog.is_array()) {
    for (const auto& service : catalog) {
      if (text_of(service, "type") != "object-store" || !service.contains("endpoints") || !service["endpoints"].is_array()) continue;
      for (const auto& e : service["endpoints"]) {
        const std::string region = text_of(e, "region");
        const std::string region_id = text_of(e, "region_id");
        const bool region_ok = s.region.empty() || s.region == region || s.region == region_id;
        if (v3) {
          const std::string interface = text_of(e, "interface");
          offer(region.empty() ? region_id : region, interface);
          if (interface == wanted && region_ok && !text_of(e, "url").empty()) return text_of(e, "url");
        } else {
          for (const char* interface : {"publicURL", "internalURL", "adminURL"}) {
            if (text_of(e, interface).empty()) continue;
            offer(region, interface);
            if (interface == wanted && region_ok) return text_of(e, interface);
          }
        }
      }
    }
  }
  throw Error(ErrorKind::permanent,
              "the Keystone catalog has no object-store endpoint of type '" + wanted + "'" +
                  (s.region.empty() ? std::string() : " in region '" + s.region + "'") + "; it offers " +
                  (offered.empty() ? std::string("none (is Swift registered in this Keystone?)") : offered) +
                  "; check SWIFT_REGION and SWIFT_ENDPOINT_TYPE");
}

std::optional<std::chrono::seconds> lifetime_until(const std::string& expires, std::int64_t server_now_ns) {
  const std::int64_t expires_ns = s3::parse_iso8601_ns(expires);
  if (expires_ns == 0) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds(expires_ns - server_now_ns));
}

json parse_body(std::string_view body, const char* what) {
  try {
    return json::parse(body);
  } catch (const json::exception&) {
    throw Error(ErrorKind::permanent, std::string("the Keystone ") + what + " answer is not JSON: " + server_message(body));
  }
}

}  // namespace

std::string auth_request_target(const SwiftSettings& s) {
  switch (s.auth_version) {
    case AuthVersion::v1:
      return s.auth_url.path.empty() ? "/" : s.auth_url.path;
    case AuthVersion::v2:
      return s.auth_url.path + "/tokens";
    case AuthVersion::v3:
      break;
  }
  return s.auth_url.path + "/auth/tokens";
}

json keystone_v2_request(const SwiftSettings& s) {
  json auth = {{"passwordCredentials", {{"username", s.user}, {"password", s.password}}}};
  if (const std::string id = effective_project_id(s); !id.empty()) auth["tenantId"] = id;
  else if (const std::string name = effective_project_name(s); !name.empty()) auth["tenantName"] = name;
  return {{"auth", auth}};
}

json keystone_v3_request(const SwiftSettings& s) {
  json user = {{"password", s.password}};
  if (!s.user_id.empty()) {
    user["id"] = s.user_id;
  } else {
    user["name"] = s.user;
    user["domain"] = domain_of(s.user_domain_id, s.user_domain_name);
  }
  json auth = {{"identity", {{"methods", json::array({"password"})}, {"password", {{"user", user}}}}}};
  if (const std::string id = effective_project_id(s); !id.empty()) {
    auth["scope"] = {{"project", {{"id", id}}}};
  } else if (const std::string name = effective_project_name(s); !name.empty()) {
    auth["scope"] = {{"project", {{"name", name}, {"domain", domain_of(s.project_domain_id, s.project_domain_name)}}}};
  }
  return {{"auth", auth}};
}

AuthAnswer parse_keystone_v2(std::string_view body, const SwiftSettings& settings, std::int64_t server_now_ns) {
  const json j = parse_body(body, "v2");
  const json access = j.is_object() && j.contains("access") ? j["access"] : json();
  const json token = access.is_object() && access.contains("token") ? access["token"] : json();
  AuthAnswer a;
  a.token = text_of(token, "id");
  if (a.token.empty()) throw Error(ErrorKind::permanent, "the Keystone v2 answer has no access.token.id");
  a.storage_url = find_object_store(access.value("serviceCatalog", json()), false, settings);
  a.lifetime = lifetime_until(text_of(token, "expires"), server_now_ns);
  return a;
}

AuthAnswer parse_keystone_v3(std::string_view body, std::string subject_token, const SwiftSettings& settings,
                             std::int64_t server_now_ns) {
  const json j = parse_body(body, "v3");
  const json token = j.is_object() && j.contains("token") ? j["token"] : json();
  if (subject_token.empty()) throw Error(ErrorKind::permanent, "the Keystone v3 answer has no X-Subject-Token header");
  if (!token.is_object()) throw Error(ErrorKind::permanent, "the Keystone v3 answer has no token");
  AuthAnswer a;
  a.token = std::move(subject_token);
  a.storage_url = find_object_store(token.value("catalog", json()), true, settings);
  a.lifetime = lifetime_until(text_of(token, "expires_at"), server_now_ns);
  return a;
}

AuthAnswer parse_v1(const net::HttpResponse& response, const std::string& auth_url) {
  AuthAnswer a;
  a.storage_url = response.header("x-storage-url");
  a.token = response.header("x-auth-token");
  if (a.token.empty()) a.token = response.header("x-storage-token");
  if (a.storage_url.empty() || a.token.empty())
    throw Error(ErrorKind::permanent, "the Swift authentication at " + auth_url +
                                          " answered without X-Storage-Url and X-Auth-Token; check SWIFT_AUTHURL and "
                                          "SWIFT_AUTH_VERSION (1 is tempauth's /auth/v1.0)");
  const std::string expires = response.header("x-auth-token-expires");
  long long seconds = 0;
  const auto r = std::from_chars(expires.data(), expires.data() + expires.size(), seconds);
  if (!expires.empty() && r.ec == std::errc{} && r.ptr == expires.data() + expires.size()) a.lifetime = std::chrono::seconds(seconds);
  return a;
}

std::string credential_advice(const SwiftSettings& s, int status) {
  // Anything but a refusal of the identity means the URL or the protocol
  // is wrong (404, 405 for a v2 request at a v1 service, ...).
  if (status != 400 && status != 401 && status != 403)
    return "; check SWIFT_AUTHURL" + std::string(s.auth_version == AuthVersion::v1 ? "" : " and SWIFT_AUTH_VERSION");
  switch (s.auth_version) {
    case AuthVersion::v1:
      return "; check SWIFT_USER and SWIFT_PASSWORD";
    case AuthVersion::v2:
      return "; check SWIFT_USER, SWIFT_PASSWORD and SWIFT_TENANT (or SWIFT_TENANT_ID)";
    case AuthVersion::v3:
      break;
  }
  return "; check SWIFT_USER (or SWIFT_USER_ID), SWIFT_PASSWORD, the project (SWIFT_PROJECT_NAME, SWIFT_PROJECT_ID, "
         "SWIFT_TENANT) and the domains (SWIFT_USER_DOMAIN_*, SWIFT_PROJECT_DOMAIN_*)";
}

AuthAnswer SwiftAuth::authenticate() {
  const HttpUrl& url = settings_.auth_url;
  net::HttpRequest request;
  request.target = auth_request_target(settings_);
  std::string body;
  switch (settings_.auth_version) {
    case AuthVersion::v1:
      request.headers = {{"x-auth-user", settings_.user}, {"x-auth-key", settings_.password}};
      break;
    case AuthVersion::v2:
      body = keystone_v2_request(settings_).dump();
      break;
    case AuthVersion::v3:
      body = keystone_v3_request(settings_).dump();
      break;
  }
  if (!body.empty()) {
    request.method = "POST";
    request.headers = {{"content-type", "application/json"}, {"accept", "application/json"}};
    request.body = body;
  }
  const std::string where = (url.endpoint.tls ? "https://" : "http://") + url.endpoint.host_header() + request.target;
  net::HttpResponse response;
  try {
    response = client_.send(url.endpoint, std::move(request));
  } catch (const Error& e) {
    throw Error(e.kind(), "Swift authentication at " + where + ": " + e.what() + "; check SWIFT_AUTHURL");
  }
  if (response.status < 200 || response.status > 299) {
    std::string text = "Swift authentication at " + where + " failed: HTTP " + std::to_string(response.status);
    if (const std::string message = server_message(response.body); !message.empty()) text += " (" + message + ")";
    throw Error(net::retryable_status(response.status) ? ErrorKind::transient : ErrorKind::permanent,
                text + credential_advice(settings_, response.status));
  }
  std::int64_t server_now_ns = s3::parse_http_date_ns(response.header("date"));
  if (server_now_ns == 0)
    server_now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  try {
    switch (settings_.auth_version) {
      case AuthVersion::v1:
        return parse_v1(response, where);
      case AuthVersion::v2:
        return parse_keystone_v2(response.body, settings_, server_now_ns);
      case AuthVersion::v3:
        break;
    }
    return parse_keystone_v3(response.body, response.header("x-subject-token"), settings_, server_now_ns);
  } catch (const Error& e) {
    throw Error(e.kind(), "Swift authentication at " + where + ": " + e.what());
  }
}

std::shared_ptr<const Session> SwiftAuth::current() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (session_ && now < session_->renew_at) return session_;
  AuthAnswer answer = authenticate();
  auto storage = parse_http_url(answer.storage_url);
  if (!storage)
    throw Error(ErrorKind::permanent, "Swift authentication at " + settings_.auth_url.text() +
                                          " answered a storage URL that is not http(s)://host/path: '" + answer.storage_url + "'");
  auto session = std::make_shared<Session>();
  session->storage = std::move(*storage);
  session->token = std::move(answer.token);
  if (answer.lifetime) {
    // Renew a little early, so that a request never starts with a token
    // about to lapse.
    const auto margin = std::min<std::chrono::seconds>(*answer.lifetime / 2, std::chrono::seconds(60));
    session->renew_at = now + *answer.lifetime - margin;
  }
  ++authentications_;
  session_ = session;
  return session_;
}

void SwiftAuth::reject(const std::shared_ptr<const Session>& session) {
  std::lock_guard lock(mutex_);
  if (session_ == session) session_.reset();
}

std::uint64_t SwiftAuth::authentications() const {
  std::lock_guard lock(mutex_);
  return authentications_;
}

}  // namespace wale::storage::swift
