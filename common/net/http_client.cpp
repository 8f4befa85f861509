// The HTTP client on Boost.Beast. This is the only translation unit that
// sees Beast or Asio (they cost ~15 s of compile time wherever included).
//
// Division of labour: the calling worker thread drives an exchange step by
// step (take a connection, send, read the header, read the body, retry),
// while each I/O step runs as a coroutine on the client's io_context, on
// the strand of the connection it uses, and the worker waits for it on a
// future. Decisions, sleeps between retries and writes into the caller's
// ByteSink (decompression, files) thus happen on the worker thread; the I/O
// threads only move bytes, so a slow sink never delays other transfers.
#include "common/net/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/core/error.hpp"

namespace wale::net {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Strand = asio::strand<asio::io_context::executor_type>;
using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The request as sent: the body is a view of the caller's bytes, so a
// 16 MiB part is never copied.
using RequestBody = http::span_body<const char>;
using OutgoingRequest = http::request<RequestBody>;

// The Node-based peers (and many load balancers) close idle keep-alive
// connections after 5 s; dropping ours a little earlier avoids most
// replays. Replays still cover servers with shorter idle timeouts.
constexpr auto max_idle = std::chrono::seconds(4);
constexpr std::size_t body_chunk_size = 256 * 1024;
// The most a single composed write sends before its deadline is re-armed.
constexpr std::size_t io_chunk_size = 256 * 1024;
// S3 answers carry a handful of x-amz-* headers; object metadata can add more.
constexpr std::uint32_t response_header_limit = 64 * 1024;
// Beast 1.74 compares a Content-Length with body_limit(boost::none) as if
// the limit were below everything; the largest value is what "none" means.
constexpr std::uint64_t no_body_limit = std::numeric_limits<std::uint64_t>::max();
// Bodies not streamed to a sink (listings, error documents, credentials)
// are held in memory: none is ever near this, and the XML reader refuses
// larger documents anyway (xml.hpp), so a hostile or broken server cannot
// make the client buffer gigabytes first.
constexpr std::uint64_t buffered_body_limit = 64u << 20;
// The most Beast reads in one operation, and the read buffer's capacity.
constexpr std::size_t read_buffer_size = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string to_string(beast::string_view text) { return std::string(text.data(), text.size()); }

// "[::1]" as written in URLs -> "::1".
std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::optional<asio::ip::address> parse_ip(const std::string& text) {
  ErrorCode ec;
  auto address = asio::ip::make_address(strip_brackets(text), ec);
  if (ec) return std::nullopt;
  return address;
}

// RFC 6761: "localhost" and names under ".localhost" are the loopback
// host; glibc's resolver only knows the bare name from /etc/hosts.
bool is_localhost_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  constexpr std::string_view suffix = ".localhost";
  return iequals(name, "localhost") ||
         (name.size() > suffix.size() && iequals(name.substr(name.size() - suffix.size()), suffix));
}

// An IPv6 address as URLs and Host headers write it: "[::1]".
std::string url_host(const std::string& host) {
  const bool bare_ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return bare_ipv6 ? "[" + host + "]" : host;
}

std::string scheme_host_port(const Endpoint& endpoint) {
  return std::string(endpoint.tls ? "https://" : "http://") + url_host(endpoint.host) + ":" +
         std::to_string(endpoint.port);
}

// Names the request in error messages. The query is left out: it may hold
// a pre-signed signature or a SAS token, which are credentials.
std::string describe(const Endpoint& endpoint, const HttpRequest& request) {
  const auto path = std::string_view(request.target).substr(0, request.target.find('?'));
  return request.method + " " + scheme_host_port(endpoint) + std::string(path);
}

// Resolves where to connect; a timer bounds the lookup because getaddrinfo
// itself has no deadline.
asio::awaitable<ErrorCode> resolve(const Endpoint& endpoint, Millis timeout, std::vector<tcp::endpoint>& out) {
  const std::string& name = endpoint.connect_address.empty() ? endpoint.host : endpoint.connect_address;
  if (auto ip = parse_ip(name)) {
    out.emplace_back(*ip, endpoint.port);
    co_return ErrorCode{};
  }
  if (is_localhost_name(name)) {
    out.emplace_back(asio::ip::address_v4::loopback(), endpoint.port);
    co_return ErrorCode{};
  }
  const auto executor = co_await asio::this_coro::executor;
  // Shared with the timer's handler, which may still be queued after this
  // coroutine has finished.
  auto resolver = std::make_shared<tcp::resolver>(executor);
  asio::steady_timer timer(executor, timeout);
  timer.async_wait([resolver](const ErrorCode& ec) {
    if (!ec) resolver->cancel();
  });
  ErrorCode ec;
  const auto results = co_await resolver->async_resolve(name, std::to_string(endpoint.port),
                                                        asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (ec == asio::error::operation_aborted) co_return beast::error::timeout;
  if (ec) co_return ec;
  for (const auto& entry : results) out.push_back(entry.endpoint());
  co_return ErrorCode{};
}

// One keep-alive connection, as Beast's examples have it: an object owning
// the stream and its read buffer, with the deadline kept on the stream.
// The steps are coroutines run on the connection's strand; the plain and
// TLS variants differ only in the stream type (StreamConnection below).
class Connection {
 public:
  explicit Connection(Strand strand) : strand_(std::move(strand)) {}
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const Strand& strand() const { return strand_; }

  // Resolves, connects and (for TLS) handshakes within connect_timeout.
  // A certificate that fails verification throws wale::Error(permanent).
  virtual asio::awaitable<ErrorCode> open(const Endpoint& endpoint, const HttpClientOptions& options,
                                          std::atomic<std::uint64_t>& opened) = 0;
  virtual asio::awaitable<ErrorCode> write(OutgoingRequest& request, Millis io_timeout) = 0;
  // Reads until the header is complete (header_only), or until the message
  // is complete or the parser's buffer_body buffer is full.
  virtual asio::awaitable<ErrorCode> read(http::basic_parser<false>& parser, bool header_only, Millis io_timeout) = 0;

  // Nothing received beyond the last response: the connection can carry another.
  bool drained() const { return buffer_.size() == 0; }

  // Beast reads as much as the buffer's free capacity (at least 512 bytes,
  // at most 64 KiB): without this reserve a body comes in reads the size
  // of the response header, a few thousand operations a segment. Only an
  // answer with a body to read gets it, and an idle connection gives it
  // back: the connections an upload burst opened (every answer a header
  // alone) hold no read buffer while they wait.
  void reserve_for_body() { buffer_.reserve(read_buffer_size); }
  void release_idle_buffer() {
    if (drained()) buffer_.shrink_to_fit();
  }

  bool reused = false;  // taken from the idle pool rather than freshly opened
  Clock::time_point idle_since;

 protected:
  Strand strand_;
  beast::flat_buffer buffer_;  // bytes received but not yet parsed
};

template <class Stream>
class StreamConnection final : public Connection {
 public:
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  explicit StreamConnection(const Strand& strand, Args&... args) : Connection(strand), stream_(strand, args...) {}

  asio::awaitable<ErrorCode> open(const Endpoint& endpoint, const HttpClientOptions& options,
                                  std::atomic<std::uint64_t>& opened) override {
    std::vector<tcp::endpoint> addresses;
    ErrorCode ec = co_await resolve(endpoint, options.connect_timeout, addresses);
    if (ec) co_return ec;
    // One deadline for connect and handshake together.
    tcp_layer().expires_after(options.connect_timeout);
    co_await tcp_layer().async_connect(addresses, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    ++opened;
    // Small requests go out as header and body writes; Nagle would hold the
    // second one back for a delayed ACK.
    ErrorCode ignored;
    tcp_layer().socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (tls) {
      ec = co_await handshake(endpoint, options);
      if (ec) co_return ec;
    }
    tcp_layer().expires_never();
    co_return ErrorCode{};
  }

  asio::awaitable<ErrorCode> write(OutgoingRequest& request, Millis io_timeout) override {
    // One composed write per slice of io_chunk_size bytes: the coroutine
    // resumes (and the deadline is re-armed) once a slice, not once a TLS
    // record, and io_timeout still bounds each stall rather than the
    // transfer of a whole 16 MiB body.
    http::request_serializer<RequestBody> serializer(request);
    ErrorCode ec;
    std::vector<asio::const_buffer> pending;
    while (!ec && !serializer.is_done()) {
      pending.clear();
      serializer.next(ec, [&](ErrorCode&, const auto& buffers) {
        for (const auto buffer : beast::buffers_range_ref(buffers)) pending.push_back(buffer);
      });
      if (ec) break;
      tcp_layer().expires_after(io_timeout);
      const std::size_t sent = co_await asio::async_write(stream_, beast::buffers_prefix(io_chunk_size, pending),
                                                          asio::redirect_error(asio::use_awaitable, ec));
      serializer.consume(sent);
    }
    tcp_layer().expires_never();
    co_return ec;
  }

  asio::awaitable<ErrorCode> read(http::basic_parser<false>& parser, bool header_only, Millis io_timeout) override {
    // Composed reads: the header in one operation, the body one caller's
    // chunk at a time (the parser's buffer_body fills up: need_buffer),
    // so the coroutine resumes and the deadline is re-armed once a chunk
    // rather than once a TLS record.
    ErrorCode ec;
    tcp_layer().expires_after(io_timeout);
    if (header_only)
      co_await http::async_read_header(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    else
      co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};  // the caller's chunk is full
    tcp_layer().expires_never();
    co_return ec;
  }

 private:
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  asio::awaitable<ErrorCode> handshake(const Endpoint& endpoint, const HttpClientOptions& options) {
    SSL* const ssl = stream_.native_handle();
    const std::string host = strip_brackets(endpoint.host);
    const bool ip = parse_ip(host).has_value();
    // SNI must not carry an address (RFC 6066 section 3). The macro
    // SSL_set_tlsext_host_name is this call behind a C cast.
    if (!ip) SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
    if (options.verify_tls) {
      // OpenSSL's own name check (rather than asio's host_name_verification
      // callback) records X509_V_ERR_HOSTNAME_MISMATCH, so the error below
      // can say why the certificate was refused.
      const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str())
                         : SSL_set1_host(ssl, host.c_str());
      if (set != 1) co_return ErrorCode(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    }
    ErrorCode ec;
    co_await stream_.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec && options.verify_tls) {
      const long result = SSL_get_verify_result(ssl);
      if (result != X509_V_OK) {
        const bool other_name = result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH;
        throw Error(ErrorKind::permanent, "TLS certificate of " + endpoint.host + ":" + std::to_string(endpoint.port) +
                                              " could not be verified (" + X509_verify_cert_error_string(result) + "); " +
                                              (other_name ? "connect by a name the certificate was issued for"
                                                          : "give the CA with " + options.ca_file_variable + " or fix the endpoint"));
      }
    }
    co_return ec;
  }

  Stream stream_;
};

using PlainConnection = StreamConnection<beast::tcp_stream>;
using TlsConnection = StreamConnection<beast::ssl_stream<beast::tcp_stream>>;

// Runs an I/O step on a strand and blocks the calling (worker) thread until
// it is done. Exceptions thrown by the step are rethrown here.
template <class T>
T run_on(const Strand& strand, asio::awaitable<T> step) {
  std::promise<T> promise;
  auto result = promise.get_future();
  asio::co_spawn(strand, std::move(step), [promise = std::move(promise)](std::exception_ptr error, T value) mutable {
    if (error)
      promise.set_exception(error);
    else
      promise.set_value(std::move(value));
  });
  return result.get();
}

// Streams are touched only on their strand: a connection is destroyed there
// too, after any cancelled timer handler of its stream has run.
void close_on_strand(std::unique_ptr<Connection> connection) {
  if (!connection) return;
  const Strand strand = connection->strand();
  asio::post(strand, [doomed = std::move(connection)]() mutable { doomed.reset(); });
}

// Keep-alive connections per endpoint key, bounded per endpoint. A slot is
// counted from the moment a worker decides to open a connection until the
// connection is closed, so the bound holds while connections are opening.
class ConnectionPools {
 public:
  explicit ConnectionPools(std::size_t limit) : limit_(std::max<std::size_t>(limit, 1)) {}

  // An idle connection (the most recently used), or nullptr: the caller
  // holds a slot and opens a new one. Waits while the endpoint is at its limit.
  std::unique_ptr<Connection> acquire(const std::string& key) {
    std::vector<std::unique_ptr<Connection>> expired;
    std::unique_ptr<Connection> connection;
    {
      std::unique_lock lock(mutex_);
      Pool& pool = pools_[key];
      for (;;) {
        // Oldest first: the idle list is used as a stack.
        const auto cutoff = Clock::now() - max_idle;
        const auto fresh = std::find_if(pool.idle.begin(), pool.idle.end(),
                                        [&](const auto& c) { return c->idle_since > cutoff; });
        for (auto it = pool.idle.begin(); it != fresh; ++it) expired.push_back(std::move(*it));
        pool.open -= static_cast<std::size_t>(fresh - pool.idle.begin());
        pool.idle.erase(pool.idle.begin(), fresh);
        if (!pool.idle.empty()) {
          connection = std::move(pool.idle.back());
          pool.idle.pop_back();
          break;
        }
        if (pool.open < limit_) {
          ++pool.open;
          break;
        }
        pool.freed.wait(lock);
      }
    }
    for (auto& c : expired) close_on_strand(std::move(c));
    return connection;
  }

  // Ends the use of a slot: the connection goes back to the idle list when
  // `reusable`, otherwise it is closed (it may be nullptr) and the slot freed.
  void release(const std::string& key, std::unique_ptr<Connection> connection, bool reusable) {
    if (reusable && connection) {
      connection->reused = true;
      connection->idle_since = Clock::now();
      connection->release_idle_buffer();
    }
    {
      std::lock_guard lock(mutex_);
      Pool& pool = pools_[key];
      if (reusable && connection) {
        pool.idle.push_back(std::move(connection));
      } else {
        --pool.open;
      }
      pool.freed.notify_one();
    }
    close_on_strand(std::move(connection));
  }

  // Only once the I/O threads have stopped.
  void clear() {
    std::lock_guard lock(mutex_);
    pools_.clear();
  }

 private:
  struct Pool {
    std::size_t open = 0;  // idle + in use + being opened
    std::vector<std::unique_ptr<Connection>> idle;
    std::condition_variable freed;
  };

  const std::size_t limit_;
  std::mutex mutex_;
  std::unordered_map<std::string, Pool> pools_;
};

// A slot of an endpoint's pool for the duration of one attempt; gives the
// connection back (or closes it) however the attempt ends.
class Lease {
 public:
  Lease(ConnectionPools& pools, std::string key)
      : pools_(pools), key_(std::move(key)), connection_(pools_.acquire(key_)) {}
  ~Lease() { pools_.release(key_, std::move(connection_), reusable_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  std::unique_ptr<Connection>& connection() { return connection_; }
  void keep_alive(bool reusable) { reusable_ = reusable; }

 private:
  ConnectionPools& pools_;
  std::string key_;
  std::unique_ptr<Connection> connection_;
  bool reusable_ = false;
};

enum class Stage { connect, send, response, body };

std::string failure_reason(Stage stage, const ErrorCode& ec, const HttpClientOptions& options) {
  if (ec == beast::error::timeout) {
    const auto io = std::to_string(options.io_timeout.count()) + " ms";
    switch (stage) {
      case Stage::connect:
        return "no connection within " + std::to_string(options.connect_timeout.count()) + " ms";
      case Stage::send:
        return "sending the request stalled for " + io;
      case Stage::response:
        return "no response within " + io;
      case Stage::body:
        return "the response body stalled for " + io;
    }
  }
  if (ec == http::error::body_limit)
    return "the server's answer is larger than " + std::to_string(buffered_body_limit >> 20) +
           " MiB, far more than any listing or error document (refused unread)";
  const auto detail = " (" + ec.message() + ")";
  // The parser's other complaints (a bad status line, a bad chunk) are about
  // what the server sent, not about the connection.
  if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message)
    return "the server sent a malformed response" + detail;
  switch (stage) {
    case Stage::connect:
      return "cannot connect" + detail;
    case Stage::send:
      return "connection lost while sending the request" + detail;
    case Stage::response:
      return "connection lost before the response" + detail;
    case Stage::body:
      break;
  }
  return "connection lost during the response body" + detail;
}

// How a kept-alive connection looks when the server closed it while idle.
bool is_disconnect(const ErrorCode& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted || ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

OutgoingRequest make_request(const Endpoint& endpoint, const HttpRequest& request) {
  OutgoingRequest out;
  out.version(11);
  out.method_string(request.method);
  out.target(request.target);
  out.set(http::field::host, endpoint.host_header());
  out.set(http::field::user_agent, "wal-e/0.1");
  for (const auto& [name, value] : request.headers) {
    // Framing is the client's business.
    if (iequals(name, "content-length") || iequals(name, "connection") || iequals(name, "transfer-encoding")) continue;
    // A signer may have set Host (it signs it) or a caller User-Agent: theirs win, without duplicates.
    if (iequals(name, "host") || iequals(name, "user-agent"))
      out.set(name, value);
    else
      out.insert(name, value);
  }
  out.body() = RequestBody::value_type(request.body.data(), request.body.size());
  // Servers want a length on PUT/POST even when it is 0; GET and friends go without.
  if (!request.body.empty() || iequals(request.method, "PUT") || iequals(request.method, "POST"))
    out.content_length(request.body.size());
  return out;
}

template <class Body>
void copy_header(const http::response<Body>& message, HttpResponse& response) {
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message)
    response.headers.emplace_back(lower_case(to_string(field.name_string())), to_string(field.value()));
}

ssl::context make_tls_context(const HttpClientOptions& options) {
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  if (!options.verify_tls) {
    context.set_verify_mode(ssl::verify_none);
    return context;
  }
  context.set_verify_mode(ssl::verify_peer);
  ErrorCode ec;
  if (options.ca_file.empty())
    context.set_default_verify_paths(ec);
  else
    context.load_verify_file(options.ca_file, ec);
  if (ec) {
    throw Error(ErrorKind::permanent,
                (options.ca_file.empty() ? std::string("cannot load the system's CA certificates")
                                         : "cannot load the CA file " + options.ca_file + " (" + options.ca_file_variable + ")") +
                    ": " + ec.message());
  }
  return context;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string Endpoint::host_header() const {
  std::string out = url_host(host);
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

std::string Endpoint::key() const {
  return scheme_host_port(*this) + (connect_address.empty() ? "" : " via " + connect_address);
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

bool retryable_status(int status) {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------

struct HttpClient::Impl {
  // What one attempt came to: a response, or why none arrived.
  struct Attempt {
    std::optional<HttpResponse> response;
    std::string failure;
  };

  // One request/response on one connection.
  struct Exchange {
    std::optional<HttpResponse> response;
    ErrorCode error;
    Stage stage = Stage::send;
    bool response_started = false;  // some of the response arrived: not a stale connection
    bool keep_alive = false;
  };

  explicit Impl(HttpClientOptions client_options)
      : options(std::move(client_options)),
        io(static_cast<int>(std::max<std::size_t>(options.io_threads, 1))),
        tls(make_tls_context(options)),
        pools(options.max_connections_per_endpoint),
        work(asio::make_work_guard(io)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(options.io_threads, 1); ++i)
      threads.emplace_back([this] { io.run(); });
  }

  ~Impl() {
    work.reset();
    // Idle connections have no pending operations, so run() returns once
    // the queued closes have run.
    for (auto& thread : threads) thread.join();
    pools.clear();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::unique_ptr<Connection> make_connection(const Endpoint& endpoint) {
    if (endpoint.tls) return std::make_unique<TlsConnection>(asio::make_strand(io), tls);
    return std::make_unique<PlainConnection>(asio::make_strand(io));
  }

  HttpResponse send(const Endpoint& endpoint, const HttpRequest& request, ByteSink* sink,
                    const std::function<void(HttpRequest&)>& sign, std::uint64_t* bytes_delivered) {
    std::uint64_t delivered = 0;
    if (bytes_delivered) *bytes_delivered = 0;
    const auto& policy = options.retry;
    for (int attempt_number = 1;; ++attempt_number) {
      HttpRequest signed_request = request;
      if (sign) sign(signed_request);
      Attempt result = attempt(endpoint, signed_request, sink, delivered, bytes_delivered);

      if (result.response && !(request.idempotent && retryable_status(result.response->status)))
        return std::move(*result.response);
      if (!result.response && delivered > 0) {
        // The caller resumes with a Range request from what it has.
        throw Error(ErrorKind::transient, describe(endpoint, request) + ": " + result.failure + " after " +
                                              std::to_string(delivered) + " bytes of the body");
      }

      const bool attempts_left = request.idempotent && attempt_number < policy.max_attempts;
      const auto delay = backoff_delay(policy, attempt_number);
      if (!attempts_left || Clock::now() + delay >= policy.deadline) {
        if (result.response) return std::move(*result.response);  // still retryable: the caller sees the last one
        throw Error(ErrorKind::transient, describe(endpoint, request) + ": " + result.failure + " after " +
                                              std::to_string(attempt_number) +
                                              (attempt_number == 1 ? " attempt" : " attempts"));
      }
      std::this_thread::sleep_for(delay);
    }
  }

  Attempt attempt(const Endpoint& endpoint, const HttpRequest& request, ByteSink* sink, std::uint64_t& delivered,
                  std::uint64_t* bytes_delivered) {
    OutgoingRequest outgoing = make_request(endpoint, request);
    Lease lease(pools, endpoint.key());
    auto& connection = lease.connection();
    for (bool replayed = false;; replayed = true) {
      if (!connection) {
        connection = make_connection(endpoint);
        if (const auto ec = run_on(connection->strand(), connection->open(endpoint, options, opened)))
          return {std::nullopt, failure_reason(Stage::connect, ec, options)};
      }
      Exchange exchange = exchange_on(*connection, outgoing, request, sink, delivered, bytes_delivered);
      if (exchange.response) {
        lease.keep_alive(exchange.keep_alive && connection->drained());
        return {std::move(exchange.response), {}};
      }
      // A kept-alive connection the server had closed while it sat idle:
      // nothing was processed, so even a non-idempotent request is sent
      // again, once, on a fresh connection, and that is not a retry.
      const bool stale = connection->reused && !exchange.response_started && is_disconnect(exchange.error);
      if (stale && !replayed) {
        close_on_strand(std::move(connection));
        continue;
      }
      return {std::nullopt, failure_reason(exchange.stage, exchange.error, options)};
    }
  }

  Exchange exchange_on(Connection& connection, OutgoingRequest& outgoing, const HttpRequest& request, ByteSink* sink,
                       std::uint64_t& delivered, std::uint64_t* bytes_delivered) {
    Exchange result;
    const auto& strand = connection.strand();
    if ((result.error = run_on(strand, connection.write(outgoing, options.io_timeout)))) return result;

    // The header is read with a buffer_body parser so that a 2xx body can
    // then be streamed in chunks; any other body is read into a string.
    http::response_parser<http::buffer_body> head;
    head.body_limit(no_body_limit);
    head.header_limit(response_header_limit);
    const bool is_head = iequals(request.method, "HEAD");
    if (is_head) head.skip(true);
    result.stage = Stage::response;
    result.error = run_on(strand, connection.read(head, true, options.io_timeout));
    result.response_started = head.got_some();
    if (result.error) return result;

    HttpResponse response;
    copy_header(head.get(), response);
    result.stage = Stage::body;
    if (!head.is_done()) connection.reserve_for_body();
    if (sink && !is_head && response.status / 100 == 2) {
      const auto chunk = std::make_unique_for_overwrite<char[]>(body_chunk_size);
      while (!head.is_done()) {
        auto& body = head.get().body();
        body.data = chunk.get();
        body.size = body_chunk_size;
        result.error = run_on(strand, connection.read(head, false, options.io_timeout));
        // What arrived before a failure is delivered too: the caller resumes after it.
        const auto received = body_chunk_size - body.size;
        if (received > 0) {
          sink->write(std::string_view(chunk.get(), received));
          delivered += received;
          if (bytes_delivered) *bytes_delivered = delivered;
        }
        if (result.error) return result;
      }
      result.keep_alive = head.keep_alive();
    } else {
      // The header was parsed without a limit: a Content-Length beyond it
      // is refused here; chunked and close-delimited bodies are counted.
      if (const auto length = head.content_length(); length && *length > buffered_body_limit) {
        result.error = http::error::body_limit;
        return result;
      }
      http::response_parser<http::string_body> whole(std::move(head));
      whole.body_limit(buffered_body_limit);
      if ((result.error = run_on(strand, connection.read(whole, false, options.io_timeout)))) return result;
      response.body = std::move(whole.get().body());
      result.keep_alive = whole.keep_alive();
    }
    result.response = std::move(response);
    return result;
  }

  HttpClientOptions options;
  asio::io_context io;
  ssl::context tls;
  std::atomic<std::uint64_t> opened{0};
  ConnectionPools pools;  // after io: connections are destroyed before it
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const Endpoint& endpoint, HttpRequest request, ByteSink* body_sink,
                              const std::function<void(HttpRequest&)>& sign, std::uint64_t* bytes_delivered) {
  return impl_->send(endpoint, request, body_sink, sign, bytes_delivered);
}

std::uint64_t HttpClient::connections_opened() const { return impl_->opened.load(); }

}  // namespace wale::net
