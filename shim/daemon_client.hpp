// Talks to wal-ed over its Unix socket: one request, a stream of output
// frames, one exit status. Every wait has a deadline.
#pragma once

#include <optional>
#include <string>

#include "proto/request.hpp"

namespace wale::shim {

struct ClientDeadlines {
  double connect_seconds = 2;
  // For wal-push/wal-fetch/status the whole request must finish within this;
  // for longer commands it is the longest silence tolerated (the daemon
  // sends heartbeats while it works).
  double request_seconds = 120;
  bool total = true;
};

struct ConnectFailure {
  int error = 0;  // errno of the failed connect
};

struct DaemonAnswer {
  int exit_status = 0;
};

// Either the daemon's answer (after relaying its output to our stdout and
// stderr) or the reason no connection could be made. Failures after the
// connection was made are reported on stderr and turned into an answer
// with `failure_status`.
struct ClientResult {
  std::optional<ConnectFailure> not_connected;
  DaemonAnswer answer;
};

ClientResult run_through_daemon(const std::string& socket_path, const proto::Request& request,
                                const ClientDeadlines& deadlines, int failure_status);

}  // namespace wale::shim
