#include "common/command/progress.hpp"

#include <cstdio>

namespace wale::command {

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return buf;
}

Progress::Progress(Log& log, std::string what, std::uint64_t total_bytes, std::function<void(std::string_view)> bar,
                   std::chrono::seconds log_every)
    : log_(log), what_(std::move(what)), total_(total_bytes), bar_(std::move(bar)), log_every_(log_every) {
  const auto interval = bar_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(log_every_);
  reporter_ = std::thread([this, interval] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      report(false);
      lock.lock();
    }
  });
}

Progress::~Progress() { finish(); }

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::finish() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  reporter_.join();
  report(true);
}

void Progress::report(bool last) {
  const double done = static_cast<double>(done_.load());
  const double total = static_cast<double>(total_);
  const double secs = seconds();
  const double rate = secs > 0 ? done / secs : 0;
  const double fraction = total > 0 ? std::min(1.0, done / total) : 1.0;
  const double left = rate > 0 && total > done ? (total - done) / rate : 0;
  char eta[32];
  std::snprintf(eta, sizeof(eta), "%d:%02d", static_cast<int>(left) / 60, static_cast<int>(left) % 60);
  const std::string numbers = human_bytes(done) + " of " + human_bytes(total) + ", " + human_bytes(rate) + "/s";
  if (bar_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    char line[256];
    std::snprintf(line, sizeof(line), "\r%s [%s%s] %3d%% %s, %s left%s", what_.c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
                  std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), static_cast<int>(fraction * 100),
                  numbers.c_str(), eta, last ? "\n" : "   ");
    bar_(line);
    return;
  }
  log_.info("wal_e.progress", what_ + (last ? " finished" : " in progress"),
            numbers + " (" + std::to_string(static_cast<int>(fraction * 100)) + "%)" + (last ? "" : ", about " + std::string(eta) + " left"),
            {{"done_bytes", std::to_string(done_.load())}, {"total_bytes", std::to_string(total_)}});
}

}  // namespace wale::command
