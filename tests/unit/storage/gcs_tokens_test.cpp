// The access-token cache: one fetch while the token is fresh, renewal five
// minutes before expiry (halfway for short lifetimes), a fresh token after
// the store refused one, and one fetch however many threads ask at once.
#include "common/storage/gcs/access_tokens.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace wale::storage::gcs;
using namespace std::chrono_literals;
using Clock = TokenCache::Clock;

TEST_CASE("gcs: renewal time of a token", "[gcs]") {
  const Clock::time_point t0{};
  CHECK(renewal_time(t0, 3600s) == t0 + 3300s);
  CHECK(renewal_time(t0, 600s) == t0 + 300s);
  CHECK(renewal_time(t0, 599s) == t0 + 599s / 2);
  CHECK(renewal_time(t0, 4s) == t0 + 2s);
}

TEST_CASE("gcs: the token cache fetches once, renews before expiry and after a refusal", "[gcs]") {
  Clock::time_point now{};
  int issued = 0;
  TokenCache cache([&] { return AccessToken{"token-" + std::to_string(++issued), 3600s}; }, [&] { return now; });
  CHECK(cache.token() == "token-1");
  now += 3299s;
  CHECK(cache.token() == "token-1");
  CHECK(cache.fetches() == 1);
  now += 1s;  // five minutes before it expires
  CHECK(cache.token() == "token-2");
  CHECK(cache.token() == "token-2");
  cache.invalidate();
  CHECK(cache.token() == "token-3");
  CHECK(cache.fetches() == 3);
}

TEST_CASE("gcs: a failed fetch leaves no token and the next call tries again", "[gcs]") {
  bool fail = true;
  TokenCache cache([&]() -> AccessToken {
    if (fail) throw wale::Error(wale::ErrorKind::transient, "down");
    return AccessToken{"ok", 3600s};
  });
  CHECK_THROWS_AS(cache.token(), wale::Error);
  fail = false;
  CHECK(cache.token() == "ok");
}

TEST_CASE("gcs: threads asking at once share one fetch", "[gcs]") {
  std::atomic<int> fetches{0};
  TokenCache cache([&] {
    ++fetches;
    std::this_thread::sleep_for(20ms);
    return AccessToken{"shared", 3600s};
  });
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (cache.token() == "shared") ++right;
    });
  for (auto& t : threads) t.join();
  CHECK(fetches == 1);
  CHECK(right == 8);
}
