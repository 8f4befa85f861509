// Where the backend's bearer tokens come from, shared by every thread of
// the process: one token at a time, fetched when first needed, renewed
// before it expires (and at once when the store refused it), by one thread
// while the others wait for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/storage/gcs/gcs_settings.hpp"
#include "common/storage/gcs/oauth.hpp"

namespace wale::net {
class HttpClient;
}

namespace wale::storage::gcs {

// The caching rule on its own, with the fetch and the clock given, so that
// the tests can drive it.
class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;
  TokenCache(std::function<AccessToken()> fetch, std::function<Clock::time_point()> now = Clock::now);

  // The current token, fetched first when there is none or it is due.
  std::string token();
  // The store refused the token: the next call fetches another.
  void invalidate();
  std::uint64_t fetches() const;

 private:
  std::function<AccessToken()> fetch_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::string token_;
  Clock::time_point renew_at_{};
  std::uint64_t fetches_ = 0;
};

// When a token of `lifetime` fetched at `fetched` is renewed: five minutes
// before it expires, or halfway through a lifetime shorter than ten minutes,
// so that no request goes out with a token about to lapse.
TokenCache::Clock::time_point renewal_time(TokenCache::Clock::time_point fetched, std::chrono::seconds lifetime);

class AccessTokens {
 public:
  virtual ~AccessTokens() = default;
  // The Authorization header's value ("Bearer ..."), or "" when requests
  // go without one (an emulator). Throws wale::Error naming
  // GOOGLE_APPLICATION_CREDENTIALS when no token can be had.
  virtual std::string authorization() = 0;
  virtual void invalidate() = 0;
};

// Uses `client` (the store's connection pool) for the token requests.
std::unique_ptr<AccessTokens> make_access_tokens(const Credentials& credentials, net::HttpClient& client);

}  // namespace wale::storage::gcs
