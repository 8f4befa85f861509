#include "common/core/retry.hpp"

#include <random>

namespace wale {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  const int shift = attempt > 20 ? 20 : attempt - 1;
  auto base = policy.first_delay * (1LL << shift);
  if (base > policy.max_delay) base = policy.max_delay;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(base.count()) * jitter(rng)));
}

}  // namespace wale
