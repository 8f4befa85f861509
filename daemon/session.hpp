// One request's output: produced by any thread (log lines, stdout, the
// exit status) and written to the socket by the I/O thread. finish() is
// final: the first exit status wins, later ones (a result arriving after
// the request timed out) are dropped.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "proto/frame.hpp"

namespace wale::daemon {

// How a request's output reaches its client.
enum class Wire {
  wale_frames,  // wal-e's protocol: stdout, stderr, heartbeat and exit frames
  walg_reply,   // WAL-G's protocol: one reply byte at the end, nothing else
};

class Session {
 public:
  // `notify` is called (from any thread) whenever there is output to write;
  // it must hand over to the I/O thread.
  explicit Session(std::function<void()> notify, Wire wire = Wire::wale_frames) : notify_(std::move(notify)), wire_(wire) {}

  Wire wire() const { return wire_; }
  void write_stdout(std::string_view data) { emit(proto::FrameType::stdout_data, data); }
  void write_stderr(std::string_view data) { emit(proto::FrameType::stderr_data, data); }
  void heartbeat() { emit(proto::FrameType::heartbeat, {}); }
  // The archive answered "no such object": a failure WAL-G's protocol
  // reports as 'N'. Call before finish().
  void note_not_found() { not_found_ = true; }
  // Returns false when the session had already finished.
  bool finish(int exit_status);
  bool finished() const { return finished_.load(); }

  // Takes the bytes waiting to be written; `last` tells whether the
  // answer's end (the exit frame, or WAL-G's reply) is among them.
  std::string take(bool& last);
  bool has_pending();

 private:
  void emit(proto::FrameType type, std::string_view payload);

  std::function<void()> notify_;
  const Wire wire_;
  std::mutex mutex_;
  std::string pending_;
  bool exit_queued_ = false;
  std::atomic<bool> not_found_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace wale::daemon
