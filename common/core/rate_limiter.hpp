// A token bucket shared by the threads reading a cluster, so that
// --cluster-read-rate-limit bounds their sum.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

namespace wale {

class RateLimiter {
 public:
  // 0 bytes per second: no limit.
  explicit RateLimiter(std::uint64_t bytes_per_second) : rate_(bytes_per_second) {}

  // Blocks until `bytes` may be read.
  void acquire(std::uint64_t bytes) {
    if (rate_ == 0) return;
    std::chrono::steady_clock::time_point ready;
    {
      std::lock_guard lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      // At most one second of burst.
      next_ = std::max(next_, now - std::chrono::seconds(1));
      next_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(static_cast<double>(bytes) / static_cast<double>(rate_)));
      ready = next_;
    }
    std::this_thread::sleep_until(ready);
  }

 private:
  std::uint64_t rate_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace wale
