#include "common/storage/gcs/access_tokens.hpp"

#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "common/net/url.hpp"

namespace wale::storage::gcs {
namespace {

constexpr std::chrono::seconds kJwtLifetime{3600};  // the longest Google accepts
constexpr std::string_view kMetadataTokenPath = "/computeMetadata/v1/instance/service-accounts/default/token";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Asks an OAuth token endpoint (service account or authorized user).
class TokenEndpoint {
 public:
  TokenEndpoint(net::HttpClient& client, const Credentials& c) : client_(client), credentials_(c) {
    url_ = *net::parse_url(c.token_uri);  // checked when the settings were read
  }

  AccessToken exchange(const std::string& form) {
    net::HttpRequest request;
    request.method = "POST";
    request.target = url_.target;
    request.headers = {{"content-type", "application/x-www-form-urlencoded"}};
    request.body = form;
    net::HttpResponse response;
    try {
      response = client_.send(url_.endpoint, request);
    } catch (const Error& e) {
      throw Error(e.kind(), "cannot reach Google's token endpoint " + credentials_.token_uri + " for " + who() + " (" +
                                e.what() + "); check the network, or the token_uri in GOOGLE_APPLICATION_CREDENTIALS");
    }
    if (response.status == 200) return parse_token_answer(response.body, "the token endpoint " + credentials_.token_uri);
    std::string why = describe_oauth_error(response.body);
    const ErrorKind kind = net::retryable_status(response.status) ? ErrorKind::transient : ErrorKind::permanent;
    std::string advice = "; check GOOGLE_APPLICATION_CREDENTIALS: the key may have been deleted or replaced, or belong to another account";
    if (why.find("timeframe") != std::string::npos || why.find("iat") != std::string::npos) advice = "; set this machine's clock";
    throw Error(kind, "Google's token endpoint " + credentials_.token_uri + " refused " + who() + ": HTTP " +
                          std::to_string(response.status) + (why.empty() ? "" : " " + why) + advice);
  }

 private:
  std::string who() const {
    const std::string account = credentials_.source == CredentialSource::service_account
                                    ? "the service account " + credentials_.client_email
                                    : "the authorized user of client " + credentials_.client_id;
    return account + " (GOOGLE_APPLICATION_CREDENTIALS=" + credentials_.file + ")";
  }

  net::HttpClient& client_;
  const Credentials& credentials_;
  net::Url url_;
};

class Anonymous final : public AccessTokens {
 public:
  std::string authorization() override { return ""; }
  void invalidate() override {}
};

class CachedTokens final : public AccessTokens {
 public:
  explicit CachedTokens(std::function<AccessToken()> fetch) : cache_(std::move(fetch)) {}
  std::string authorization() override { return "Bearer " + cache_.token(); }
  void invalidate() override { cache_.invalidate(); }

 private:
  TokenCache cache_;
};

// The metadata server of the Compute Engine VM this runs on. Until it has
// answered once, not reaching it means not running on Google Cloud (as
// Google's libraries conclude from a probe): a permanent error, at once,
// rather than retries until the store timeout.
class MetadataServer {
 public:
  MetadataServer(net::HttpClient& client, const std::string& host) : client_(client), host_(host) {}

  AccessToken token() {
    const auto endpoint = net::parse_authority(host_, false);
    const std::string where = "http://" + host_;
    const std::string advice =
        "; GOOGLE_APPLICATION_CREDENTIALS is not set, so credentials come from the Compute Engine metadata server: "
        "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file when not on Google Cloud";
    net::HttpRequest request;
    request.target = std::string(kMetadataTokenPath);
    request.headers = {{"metadata-flavor", "Google"}};
    net::HttpResponse response;
    try {
      if (!endpoint) throw Error(ErrorKind::usage, "GCE_METADATA_HOST='" + host_ + "' is not host[:port]");
      response = client_.send(*endpoint, request);
    } catch (const Error& e) {
      const ErrorKind kind = answered_ ? e.kind() : ErrorKind::permanent;
      throw Error(kind, "cannot get a Google access token from the metadata server " + where + " (" + e.what() + ")" + advice);
    }
    const bool google = response.header("metadata-flavor") == "Google";
    if (response.status != 200 || !google)
      throw Error(google && net::retryable_status(response.status) ? ErrorKind::transient : ErrorKind::permanent,
                  "the metadata server " + where + " answered HTTP " + std::to_string(response.status) + " to a token request" +
                      advice);
    answered_ = true;
    return parse_token_answer(response.body, "the metadata server " + where);
  }

 private:
  net::HttpClient& client_;
  std::string host_;
  bool answered_ = false;  // only touched under the token cache's lock
};

}  // namespace

TokenCache::Clock::time_point renewal_time(TokenCache::Clock::time_point fetched, std::chrono::seconds lifetime) {
  constexpr std::chrono::seconds kMargin{300};
  return lifetime >= 2 * kMargin ? fetched + lifetime - kMargin : fetched + lifetime / 2;
}

TokenCache::TokenCache(std::function<AccessToken()> fetch, std::function<Clock::time_point()> now)
    : fetch_(std::move(fetch)), now_(std::move(now)) {}

std::string TokenCache::token() {
  std::lock_guard lock(mutex_);
  if (token_.empty() || now_() >= renew_at_) {
    const auto fetched = now_();
    AccessToken fresh = fetch_();
    ++fetches_;
    token_ = std::move(fresh.value);
    renew_at_ = renewal_time(fetched, fresh.lifetime);
  }
  return token_;
}

void TokenCache::invalidate() {
  std::lock_guard lock(mutex_);
  token_.clear();
}

std::uint64_t TokenCache::fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

std::unique_ptr<AccessTokens> make_access_tokens(const Credentials& credentials, net::HttpClient& client) {
  switch (credentials.source) {
    case CredentialSource::none:
      return std::make_unique<Anonymous>();
    case CredentialSource::service_account:
      return std::make_unique<CachedTokens>([&credentials, endpoint = std::make_shared<TokenEndpoint>(client, credentials)] {
        JwtClaims claims;
        claims.issuer = credentials.client_email;
        claims.scope = std::string(kStorageScope);
        claims.audience = credentials.token_uri;
        claims.issued_at = unix_now();
        claims.expires_at = claims.issued_at + kJwtLifetime.count();
        return endpoint->exchange(jwt_bearer_grant(signed_jwt(claims, credentials.private_key_id, credentials.private_key_pem)));
      });
    case CredentialSource::authorized_user:
      return std::make_unique<CachedTokens>([&credentials, endpoint = std::make_shared<TokenEndpoint>(client, credentials)] {
        return endpoint->exchange(refresh_token_grant(credentials.client_id, credentials.client_secret, credentials.refresh_token));
      });
    case CredentialSource::metadata_server:
      return std::make_unique<CachedTokens>(
          [server = std::make_shared<MetadataServer>(client, credentials.metadata_host)] { return server->token(); });
  }
  return std::make_unique<Anonymous>();
}

}  // namespace wale::storage::gcs
