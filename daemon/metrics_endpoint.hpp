// wal-ed --metrics-listen [HOST:]PORT: a small HTTP endpoint for Prometheus
// on the daemon's I/O loop. It answers GET (and HEAD) /metrics with the
// text exposition format and nothing else; off unless asked for, loopback
// unless a host is given. Beast stays inside metrics_endpoint.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/core/log.hpp"

namespace boost::asio {
class io_context;
}

namespace wale::daemon {

struct ListenAddress {
  std::string host;  // an IP address literal
  unsigned short port = 0;
  std::string str() const;  // "127.0.0.1:9187", "[::1]:9187"
};

// "9187" (127.0.0.1), "127.0.0.1:9187", "localhost:9187", "[::1]:9187",
// "0.0.0.0:9187". Throws wale::Error(usage) naming `name` otherwise.
ListenAddress parse_listen_address(std::string_view text, std::string_view name);

class MetricsEndpoint {
 public:
  // Binds at once (throws wale::Error naming the address when it cannot)
  // and serves until destroyed or closed; `render` makes the page.
  MetricsEndpoint(boost::asio::io_context& io, const ListenAddress& address, std::function<std::string()> render, Log& log);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // The address actually bound (port 0 picks one).
  ListenAddress local_address() const;
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace wale::daemon
