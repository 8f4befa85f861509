// wal-ed's socket server: accepts shim connections on a Unix socket (mode
// 0600, peer uid checked with SO_PEERCRED), reads one request per
// connection and answers it with output frames and an exit status. Asio
// stays inside server.cpp.
#pragma once

#include <memory>

#include "common/core/log.hpp"
#include "daemon/daemon_config.hpp"

namespace wale::daemon {

class Server {
 public:
  Server(DaemonConfig config, Log& log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Takes the lock on the state directory, opens the journal, binds the
  // socket, tells systemd it is ready and serves until SIGTERM/SIGINT; then
  // drains. Returns the process exit status.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wale::daemon
