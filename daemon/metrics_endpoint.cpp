#include "daemon/metrics_endpoint.hpp"

#include <charconv>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "common/core/error.hpp"

namespace wale::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

[[noreturn]] void bad_address(std::string_view text, std::string_view name, std::string_view why) {
  throw Error(ErrorKind::usage, std::string(name) + "='" + std::string(text) + "' " + std::string(why) +
                                    "; give a port (9187, on 127.0.0.1) or HOST:PORT with an IP address (127.0.0.1:9187, [::1]:9187)");
}

}  // namespace

std::string ListenAddress::str() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(std::string_view text, std::string_view name) {
  ListenAddress a{"127.0.0.1", 0};
  std::string_view port = text;
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    std::string_view host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    if (host.empty()) bad_address(text, name, "has no host before the port");
    a.host = host == "localhost" ? "127.0.0.1" : std::string(host);
    boost::system::error_code ec;
    asio::ip::make_address(a.host, ec);
    if (ec) bad_address(text, name, "does not name an IP address");
  }
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc{} || r.ptr != port.data() + port.size() || value == 0 || value > 65535)
    bad_address(text, name, "does not end in a port between 1 and 65535");
  a.port = static_cast<unsigned short>(value);
  return a;
}

struct MetricsEndpoint::Impl : std::enable_shared_from_this<MetricsEndpoint::Impl> {
  tcp::acceptor acceptor;
  std::function<std::string()> render;
  Log& log;

  Impl(asio::io_context& io, std::function<std::string()> r, Log& l) : acceptor(io), render(std::move(r)), log(l) {}

  http::response<http::string_body> answer(const http::request<http::empty_body>& request) {
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(false);
    std::string_view target(request.target().data(), request.target().size());
    target = target.substr(0, target.find('?'));
    if (target != "/metrics") {
      response.result(http::status::not_found);
      response.set(http::field::content_type, "text/plain");
      response.body() = "wal-ed serves only /metrics\n";
    } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response.result(http::status::method_not_allowed);
      response.set(http::field::allow, "GET, HEAD");
      response.set(http::field::content_type, "text/plain");
      response.body() = "only GET and HEAD\n";
    } else {
      response.result(http::status::ok);
      response.set(http::field::content_type, kContentType);
      response.body() = render();
    }
    response.prepare_payload();
    if (request.method() == http::verb::head) response.body().clear();
    return response;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    stream.expires_after(kRequestTimeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto response = answer(parser.get());
    stream.expires_after(kRequestTimeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        log.warning("wal_e.daemon.metrics", "accept failed on the metrics endpoint", ec.message());
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }
};

MetricsEndpoint::MetricsEndpoint(asio::io_context& io, const ListenAddress& address, std::function<std::string()> render, Log& log)
    : impl_(std::make_shared<Impl>(io, std::move(render), log)) {
  const tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
  boost::system::error_code ec;
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ErrorKind::usage, "wal-ed cannot serve metrics on " + address.str() + ": " + ec.message() +
                                      "; pick another address with --metrics-listen (WALE_METRICS_LISTEN)");
  asio::co_spawn(io, impl_->accept_loop(), asio::detached);
}

MetricsEndpoint::~MetricsEndpoint() { close(); }

ListenAddress MetricsEndpoint::local_address() const {
  boost::system::error_code ec;
  const auto e = impl_->acceptor.local_endpoint(ec);
  return ListenAddress{e.address().to_string(), e.port()};
}

void MetricsEndpoint::close() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace wale::daemon
