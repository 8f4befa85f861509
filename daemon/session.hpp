// One client connection's output: frames produced by any thread (log
// lines, stdout, the exit status) and written to the socket by the I/O
// thread. finish() is final: the first exit status wins, later ones (a
// result arriving after the request timed out) are dropped.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "proto/frame.hpp"

namespace wale::daemon {

class Session {
 public:
  // `notify` is called (from any thread) whenever there is output to write;
  // it must hand over to the I/O thread.
  explicit Session(std::function<void()> notify) : notify_(std::move(notify)) {}

  void write_stdout(std::string_view data) { emit(proto::FrameType::stdout_data, data); }
  void write_stderr(std::string_view data) { emit(proto::FrameType::stderr_data, data); }
  void heartbeat() { emit(proto::FrameType::heartbeat, {}); }
  // Returns false when the session had already finished.
  bool finish(int exit_status);
  bool finished() const { return finished_.load(); }

  // Takes the encoded frames waiting to be written; `last` tells whether
  // the exit frame is among them.
  std::string take(bool& last);
  bool has_pending();

 private:
  void emit(proto::FrameType type, std::string_view payload);

  std::function<void()> notify_;
  std::mutex mutex_;
  std::string pending_;
  bool exit_queued_ = false;
  std::atomic<bool> finished_{false};
};

}  // namespace wale::daemon
