#include "common/storage/s3/credentials.hpp"

#include <charconv>
#include <chrono>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/core/error.hpp"
#include "common/storage/s3/s3_xml.hpp"
#include "proto/bounded_json.hpp"

namespace wale::storage::s3 {
namespace {

class StaticCredentials final : public CredentialSource {
 public:
  explicit StaticCredentials(Credentials c) : credentials_(std::move(c)) {}
  Credentials current() override { return credentials_; }

 private:
  Credentials credentials_;
};

net::Endpoint metadata_endpoint_of(const std::string& url) {
  const std::string_view prefix = "http://";
  if (!url.starts_with(prefix))
    throw Error(ErrorKind::usage, "AWS_EC2_METADATA_SERVICE_ENDPOINT='" + url + "' must be an http:// URL");
  std::string_view authority = std::string_view(url).substr(prefix.size());
  if (authority.ends_with('/')) authority.remove_suffix(1);
  net::Endpoint e;
  e.tls = false;
  e.port = 80;
  const auto colon = authority.rfind(':');
  e.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    const std::string_view digits = authority.substr(colon + 1);
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), e.port);
    if (r.ec != std::errc{} || r.ptr != digits.data() + digits.size())
      throw Error(ErrorKind::usage, "AWS_EC2_METADATA_SERVICE_ENDPOINT='" + url + "' has a bad port");
  }
  return e;
}

// IMDSv2: a session token first, then the role's temporary credentials.
class InstanceProfileCredentials final : public CredentialSource {
 public:
  InstanceProfileCredentials(net::HttpClient& client, const std::string& url)
      : client_(client), endpoint_(metadata_endpoint_of(url)), url_(url) {}

  Credentials current() override {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::system_clock::now();
    if (credentials_.access_key_id.empty() || now + std::chrono::minutes(5) >= expires_) refresh();
    return credentials_;
  }

 private:
  std::string fetch(net::HttpRequest request, const std::string& what) {
    try {
      auto response = client_.send(endpoint_, std::move(request));
      if (response.status == 200) return response.body;
      throw Error(ErrorKind::permanent, what + " answered HTTP " + std::to_string(response.status));
    } catch (const Error& e) {
      throw Error(e.kind() == ErrorKind::transient ? ErrorKind::transient : ErrorKind::permanent,
                  "could not get S3 credentials from the instance metadata service at " + url_ + " (" + e.what() +
                      "); check that this machine has an instance profile (IAM role), or set AWS_ACCESS_KEY_ID and "
                      "AWS_SECRET_ACCESS_KEY instead of --aws-instance-profile");
    }
  }

  void refresh() {
    net::HttpRequest token_request;
    token_request.method = "PUT";
    token_request.target = "/latest/api/token";
    token_request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
    const std::string token = fetch(token_request, "the token request");
    const net::Headers auth{{"X-aws-ec2-metadata-token", token}};

    net::HttpRequest role_request;
    role_request.target = "/latest/meta-data/iam/security-credentials/";
    role_request.headers = auth;
    std::string role = fetch(role_request, "the role request");
    role = role.substr(0, role.find('\n'));
    if (role.empty()) throw Error(ErrorKind::permanent, "the instance metadata service at " + url_ + " lists no IAM role");

    net::HttpRequest credentials_request;
    credentials_request.target = "/latest/meta-data/iam/security-credentials/" + net::uri_encode(role, false);
    credentials_request.headers = auth;
    const std::string body = fetch(credentials_request, "the credentials request");
    try {
      const auto j = proto::parse_bounded_json(body);
      Credentials c;
      c.access_key_id = j.at("AccessKeyId").get<std::string>();
      c.secret_access_key = j.at("SecretAccessKey").get<std::string>();
      c.session_token = j.value("Token", std::string());
      const std::int64_t expires_ns = parse_iso8601_ns(j.value("Expiration", std::string()));
      expires_ = expires_ns > 0 ? std::chrono::system_clock::time_point(std::chrono::nanoseconds(expires_ns))
                                : std::chrono::system_clock::now() + std::chrono::minutes(30);
      credentials_ = std::move(c);
    } catch (const nlohmann::json::exception&) {
      throw Error(ErrorKind::permanent, "the instance metadata service at " + url_ + " answered credentials that are not valid JSON");
    }
  }

  net::HttpClient& client_;
  net::Endpoint endpoint_;
  std::string url_;
  std::mutex mutex_;
  Credentials credentials_;
  std::chrono::system_clock::time_point expires_;
};

}  // namespace

std::unique_ptr<CredentialSource> static_credentials(Credentials credentials) {
  return std::make_unique<StaticCredentials>(std::move(credentials));
}

std::unique_ptr<CredentialSource> instance_profile_credentials(net::HttpClient& client, const std::string& metadata_endpoint) {
  return std::make_unique<InstanceProfileCredentials>(client, metadata_endpoint);
}

}  // namespace wale::storage::s3
