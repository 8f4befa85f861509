// Progress of a long transfer (backup-push, backup-fetch): log lines every
// few seconds with bytes done and total, rate and time left, or a progress
// bar redrawn in place when the user watches a terminal.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/core/log.hpp"

namespace wale::command {

class Progress {
 public:
  // `bar` draws on a terminal (nullptr: log lines instead).
  Progress(Log& log, std::string what, std::uint64_t total_bytes, std::function<void(std::string_view)> bar,
           std::chrono::seconds log_every = std::chrono::seconds(10));
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(std::uint64_t bytes) { done_.fetch_add(bytes, std::memory_order_relaxed); }
  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  double seconds() const;
  // Stops reporting; draws or logs a last line.
  void finish();

 private:
  void report(bool last);

  Log& log_;
  std::string what_;
  std::uint64_t total_;
  std::function<void(std::string_view)> bar_;
  std::chrono::seconds log_every_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> done_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread reporter_;
};

// "1.5 GiB", "12.0 MiB"
std::string human_bytes(double bytes);

}  // namespace wale::command
