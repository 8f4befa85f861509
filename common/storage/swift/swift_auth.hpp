// Authentication for the Swift backend, as WAL-E's python-swiftclient
// (with keystoneclient) does it: v1 (tempauth: X-Auth-User/X-Auth-Key ->
// X-Storage-Url and X-Auth-Token), Keystone v2 (POST /tokens, service
// catalog) and Keystone v3 (POST /auth/tokens with the password method,
// project scope, token in X-Subject-Token). One token is shared by every
// request of the process; it is renewed shortly before it expires when the
// server says when that is, and once when a request is refused with 401.
//
// The password and the token never appear in an error message.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/net/http_client.hpp"
#include "common/storage/swift/swift_settings.hpp"

namespace wale::storage::swift {

// What an authentication yields.
struct AuthAnswer {
  std::string storage_url;
  std::string token;
  std::optional<std::chrono::seconds> lifetime;  // from the answer, when it says
};

// The path an authentication request goes to: SWIFT_AUTHURL's for v1, its
// "/tokens" for Keystone v2, its "/auth/tokens" for v3.
std::string auth_request_target(const SwiftSettings& settings);

// The request bodies keystoneclient sends for WAL-E's settings (tenant
// and project, ids before names, "default" domains where none is given).
nlohmann::json keystone_v2_request(const SwiftSettings& settings);
nlohmann::json keystone_v3_request(const SwiftSettings& settings);

// Parse a successful Keystone answer and look up the object-store endpoint
// in its catalog (SWIFT_REGION, SWIFT_ENDPOINT_TYPE). `server_now_ns` is
// the answer's Date (or the local time) against which the token's expiry
// is measured. Throws wale::Error(permanent) for a malformed answer or a
// catalog without a matching endpoint, listing what it offers.
AuthAnswer parse_keystone_v2(std::string_view body, const SwiftSettings& settings, std::int64_t server_now_ns);
AuthAnswer parse_keystone_v3(std::string_view body, std::string subject_token, const SwiftSettings& settings,
                             std::int64_t server_now_ns);
// A successful v1 answer: X-Storage-Url, X-Auth-Token (or X-Storage-Token),
// X-Auth-Token-Expires (seconds).
AuthAnswer parse_v1(const net::HttpResponse& response, const std::string& auth_url);

// The advice for a refused authentication, naming the variables to check.
std::string credential_advice(const SwiftSettings& settings, int status);

// A token and the account it opens.
struct Session {
  HttpUrl storage;
  std::string token;
  std::chrono::steady_clock::time_point renew_at = std::chrono::steady_clock::time_point::max();
};

class SwiftAuth {
 public:
  SwiftAuth(net::HttpClient& client, const SwiftSettings& settings) : client_(client), settings_(settings) {}

  // Thread-safe: the first caller authenticates while the others wait.
  // Throws wale::Error: transient when the auth service cannot be reached,
  // permanent when it refuses.
  std::shared_ptr<const Session> current();
  // A request made with `session` was answered 401: the next current()
  // authenticates again, unless another thread already did.
  void reject(const std::shared_ptr<const Session>& session);
  std::uint64_t authentications() const;

 private:
  AuthAnswer authenticate();

  net::HttpClient& client_;
  const SwiftSettings& settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Session> session_;
  std::uint64_t authentications_ = 0;
};

}  // namespace wale::storage::swift
