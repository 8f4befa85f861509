// Retrying transient failures with exponential backoff and jitter, bounded
// by a number of attempts and a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "common/core/error.hpp"
#include "common/core/log.hpp"

namespace wale {

struct RetryPolicy {
  int max_attempts = 100;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds first_delay{100};
  std::chrono::milliseconds max_delay{30'000};
};

// The pause before attempt `attempt` + 1: doubling from first_delay, capped,
// with ±50 % jitter so that many clients do not retry in step.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);

// Runs `op` until it succeeds, throws a non-transient error, or the policy
// is exhausted (then the last error is rethrown). `what` names the
// operation in the warning logged before each retry.
template <class Op>
auto retry_transient(const RetryPolicy& policy, Log& log, const std::string& what, Op&& op) -> decltype(op()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return op();
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::transient || attempt >= policy.max_attempts) throw;
      const auto delay = backoff_delay(policy, attempt);
      if (std::chrono::steady_clock::now() + delay >= policy.deadline) throw;
      log.warning("wal_e.retries", "retrying after a transient failure: " + what,
                  std::string(e.what()) + " (attempt " + std::to_string(attempt) + ", next in " +
                      std::to_string(delay.count()) + " ms)");
      std::this_thread::sleep_for(delay);
    }
  }
}

}  // namespace wale
