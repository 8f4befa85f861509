#include "shim/daemon_client.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto/frame.hpp"

namespace wale::shim {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // our own stdout/stderr is gone; nothing sensible left to do
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void say(std::string_view line) {
  std::string out = "wal-e: ";
  out.append(line);
  out.push_back('\n');
  write_all(STDERR_FILENO, out);
}

int ms_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

Clock::time_point after(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Connects without blocking past the deadline. Returns the errno on failure.
int connect_with_deadline(int fd, const std::string& path, double seconds) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return ENAMETOOLONG;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) return 0;
  if (errno != EINPROGRESS && errno != EAGAIN) return errno;
  // A Unix socket whose listen backlog is full: wait for room.
  const auto deadline = after(seconds);
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    const int r = ::poll(&p, 1, ms_until(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return ETIMEDOUT;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 || errno == EISCONN) return 0;
    if (errno != EINPROGRESS && errno != EAGAIN && errno != EALREADY) return errno;
  }
}

bool send_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, ms_until(deadline)) <= 0 && Clock::now() >= deadline) return false;
  }
  return true;
}

}  // namespace

ClientResult run_through_daemon(const std::string& socket_path, const proto::Request& request,
                                const ClientDeadlines& deadlines, int failure_status) {
  ClientResult result;
  Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (sock.get() < 0) {
    result.not_connected = ConnectFailure{errno};
    return result;
  }
  if (const int err = connect_with_deadline(sock.get(), socket_path, deadlines.connect_seconds); err != 0) {
    result.not_connected = ConnectFailure{err};
    return result;
  }

  result.answer.exit_status = failure_status;
  auto deadline = after(deadlines.request_seconds);
  const std::string timeout_text = "no answer from wal-ed on " + socket_path + " within " +
                                   std::to_string(static_cast<long>(deadlines.request_seconds)) +
                                   " s; see the daemon's log, or raise WALE_SHIM_TIMEOUT";
  // A daemon that refuses us (uid, version) answers and closes before
  // reading: the send then fails, but its answer is waiting to be read.
  std::string send_error;
  if (!send_all(sock.get(), proto::encode_frame(proto::FrameType::request, proto::encode_request(request)), deadline))
    send_error = "could not send the request to wal-ed on " + socket_path + ": " + std::strerror(errno);

  proto::FrameDecoder decoder;
  char buf[64 * 1024];
  for (;;) {
    pollfd p{sock.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, ms_until(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      if (Clock::now() < deadline) continue;
      say(timeout_text);
      return result;
    }
    const ssize_t n = ::recv(sock.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      say(!send_error.empty() ? send_error : "lost the connection to wal-ed on " + socket_path + ": " + std::strerror(errno));
      return result;
    }
    if (n == 0) {
      say(!send_error.empty() ? send_error
                              : "wal-ed on " + socket_path + " closed the connection without an answer; see the daemon's log");
      return result;
    }
    try {
      decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      while (auto frame = decoder.next()) {
        if (frame->version != proto::kProtocolVersion) {
          if (frame->type == proto::FrameType::refusal) say(frame->payload);
          else say(proto::version_mismatch_message(proto::kProtocolVersion, frame->version));
          return result;
        }
        if (!deadlines.total) deadline = after(deadlines.request_seconds);
        switch (frame->type) {
          case proto::FrameType::stdout_data: write_all(STDOUT_FILENO, frame->payload); break;
          case proto::FrameType::stderr_data: write_all(STDERR_FILENO, frame->payload); break;
          case proto::FrameType::heartbeat: break;
          case proto::FrameType::refusal: say(frame->payload); return result;
          case proto::FrameType::exit_status:
            if (frame->payload.size() != 1) throw proto::ProtocolError("malformed exit frame");
            result.answer.exit_status = static_cast<unsigned char>(frame->payload[0]);
            return result;
          case proto::FrameType::request: throw proto::ProtocolError("unexpected request frame from the daemon");
        }
      }
    } catch (const proto::ProtocolError& e) {
      say(std::string("protocol error talking to wal-ed on ") + socket_path + ": " + e.what());
      return result;
    }
  }
}

}  // namespace wale::shim
