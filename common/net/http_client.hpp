// An HTTP/1.1 client for the blob stores: one pool of keep-alive
// connections per endpoint, shared by every upload and download of the
// process; TLS with certificate and host-name verification by default;
// connect and I/O deadlines; retries with exponential backoff and jitter on
// what is safe to retry. Boost.Beast and Asio stay inside http_client.cpp:
// this header is all the rest of the project sees.
//
// The interface is synchronous: send() is called from worker threads (never
// from an I/O thread) and blocks until the response is complete. The client
// runs its own I/O thread(s) where the connections live.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/retry.hpp"
#include "common/core/stream.hpp"
#include "common/net/uri.hpp"

namespace wale::net {

struct Endpoint {
  bool tls = true;
  std::string host;  // for the Host header, SNI and certificate verification
  std::uint16_t port = 443;
  // Where to connect instead of resolving `host` (tests; "*.localhost"
  // names are resolved to 127.0.0.1 without this, as RFC 6761 asks).
  std::string connect_address;

  std::string host_header() const;  // "host" or "host:port" when the port is not the scheme's default
  std::string key() const;          // identifies the connection pool
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query, already percent-encoded
  Headers headers;           // Host, Content-Length and Connection are added by the client
  std::string_view body;     // must stay valid until send() returns
  // Safe to send again after a failure (GET, HEAD, PUT of a whole object,
  // DELETE, UploadPart ...). A request that is not is still replayed once on
  // a fresh connection when a reused keep-alive connection turned out to be
  // closed before any of the request was accepted.
  bool idempotent = true;
};

struct HttpResponse {
  int status = 0;
  Headers headers;   // names in lower case
  std::string body;  // empty when the body went to a sink
  // The value of a header (case-insensitive name), or "".
  std::string header(std::string_view name) const;
};

struct HttpClientOptions {
  std::size_t max_connections_per_endpoint = 32;
  std::chrono::milliseconds connect_timeout{5000};
  // Longest time one slice of a transfer may take: the request in slices
  // of 256 KiB, the answer's header, then its body in chunks of 256 KiB
  // (so a link slower than 256 KiB per io_timeout times out too).
  std::chrono::milliseconds io_timeout{30000};
  bool verify_tls = true;
  std::string ca_file;  // PEM bundle for private endpoints; the system store when empty
  std::string ca_file_variable = "WALE_S3_CA_FILE";  // the setting that gives it, for messages
  std::size_t io_threads = 1;
  // Retries of transient failures: connection errors, timeouts, 408, 429,
  // 500, 502, 503, 504 (503 SlowDown included), for idempotent requests.
  RetryPolicy retry;
};

// Decides whether a response that arrived should be retried (the default:
// 408, 429, 500, 502, 503, 504).
bool retryable_status(int status);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends a request and returns the response. A 2xx response body goes to
  // `body_sink` when one is given (streamed, for large downloads), otherwise
  // into HttpResponse::body. Non-2xx bodies always land in
  // HttpResponse::body (they carry the store's error document).
  //
  // `sign` is called before every attempt (each retry gets a fresh
  // signature and date) and may add headers to the request it is given.
  //
  // Throws wale::Error(transient) when the endpoint cannot be reached or
  // stops answering within the deadlines, after the retries; the message
  // names the endpoint. TLS verification failures are wale::Error(permanent)
  // with a message that says to give a CA file. A response with a status
  // other than 2xx is returned, not thrown, unless it stayed retryable
  // through all attempts, in which case it is returned as well (the last
  // one). Once part of a streamed body has reached the sink a failure is
  // thrown without retrying (the caller resumes with a Range request);
  // `bytes_delivered` then tells how much arrived.
  HttpResponse send(const Endpoint& endpoint, HttpRequest request, ByteSink* body_sink = nullptr,
                    const std::function<void(HttpRequest&)>& sign = {}, std::uint64_t* bytes_delivered = nullptr);

  // TCP (and TLS) connections opened so far, for tests and status.
  std::uint64_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wale::net
