#include "daemon/session.hpp"

#include <utility>

#include "proto/walg_message.hpp"

namespace wale::daemon {

void Session::emit(proto::FrameType type, std::string_view payload) {
  // WAL-G's clients take nothing but the reply byte.
  if (finished_.load() || wire_ == Wire::walg_reply) return;
  // Large outputs go out in frames the protocol accepts.
  do {
    const auto piece = payload.substr(0, proto::kMaxPayload);
    {
      std::lock_guard lock(mutex_);
      pending_ += proto::encode_frame(type, piece);
    }
    payload.remove_prefix(piece.size());
  } while (!payload.empty());
  notify_();
}

bool Session::finish(int exit_status) {
  if (finished_.exchange(true)) return false;
  {
    std::lock_guard lock(mutex_);
    if (wire_ == Wire::walg_reply) {
      using proto::walg::Reply;
      const Reply reply = exit_status == 0 ? Reply::ok : not_found_ ? Reply::not_found : Reply::error;
      pending_.push_back(static_cast<char>(reply));
    } else {
      pending_ += proto::encode_frame(proto::FrameType::exit_status, std::string(1, static_cast<char>(exit_status & 0xFF)));
    }
    exit_queued_ = true;
  }
  notify_();
  return true;
}

std::string Session::take(bool& last) {
  std::lock_guard lock(mutex_);
  last = exit_queued_;
  return std::exchange(pending_, {});
}

bool Session::has_pending() {
  std::lock_guard lock(mutex_);
  return !pending_.empty();
}

}  // namespace wale::daemon
