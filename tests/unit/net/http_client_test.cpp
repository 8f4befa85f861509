// The HTTP client against real local servers: a scripted Python HTTP/1.1
// server started per test (it counts connections and requests, answers
// 503 SlowDown on demand, hangs, truncates, closes idle connections, and
// speaks TLS with certificates made here by the openssl CLI).
#include "common/net/http_client.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/core/error.hpp"
#include "common/core/stream.hpp"
#include "tests/unit/support/temp_dir.hpp"

extern char** environ;

namespace fs = std::filesystem;
using wale::Error;
using wale::ErrorKind;
using wale::StringSink;
using wale::net::Endpoint;
using wale::net::HttpClient;
using wale::net::HttpClientOptions;
using wale::net::HttpRequest;
using wale::net::HttpResponse;
using wale::test::run_command;
using wale::test::TempDir;

namespace {

// Paths:
//   /obj/NAME            an in-memory object store: PUT, GET, HEAD, DELETE
//   /flaky/ID?fail=N     503 SlowDown for the first N requests to ID, then 200
//                        "ok <x-test-signature header>"
//   /status/CODE         answers CODE
//   /hang                reads the request, never answers, ends when the client closes
//   /truncated/SIZE      promises SIZE bytes, sends the first half, closes
//   /trickle/SIZE        SIZE bytes (i % 251) in pieces of 5000 with a pause between, kept alive
//   /garbage             not HTTP
//   /close               200 with "Connection: close"
//   /echo-headers        the request's headers as "name: value" lines (names lower-cased)
//   /_connections        connections accepted so far (this one included)
//   /_hits/PATH          requests seen for PATH
// Options: --idle SECONDS closes a connection idle that long; --tls CERT KEY.
constexpr const char* server_script = R"PY(
import http.server, os, socket, ssl, sys, threading, time, urllib.parse

# The test holds our stdin open: end with it, even if it dies without stopping us.
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()

lock = threading.Lock()
connections = 0
hits = {}
objects = {}

args = sys.argv[1:]
idle = None
tls = None
while args:
    if args[0] == "--idle":
        idle = float(args[1]); args = args[2:]
    elif args[0] == "--tls":
        tls = (args[1], args[2]); args = args[3:]
    else:
        sys.exit("unknown option " + args[0])

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = idle

    def setup(self):
        global connections
        with lock:
            connections += 1
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        with lock:
            if not path.startswith("/_"):
                hits[path] = hits.get(path, 0) + 1
            count = hits.get(path, 0)
        if path == "/_connections":
            with lock:
                self.reply(200, str(connections).encode())
        elif path.startswith("/_hits/"):
            with lock:
                self.reply(200, str(hits.get(path[len("/_hits"):], 0)).encode())
        elif path.startswith("/obj/"):
            if self.command == "PUT":
                objects[path] = body
                self.reply(200, headers=[("ETag", '"%d"' % len(body))])
            elif self.command == "DELETE":
                objects.pop(path, None)
                self.reply(204)
            elif path in objects:
                self.reply(200, objects[path], [("X-Amz-Meta-Test", "Mixed Case")])
            else:
                self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>")
        elif path.startswith("/flaky/"):
            if count <= int(query.get("fail", "0")):
                self.reply(503, b"<Error><Code>SlowDown</Code></Error>")
            else:
                self.reply(200, ("ok " + self.headers.get("x-test-signature", "")).encode())
        elif path.startswith("/status/"):
            self.reply(int(path.split("/")[2]), b"status body")
        elif path == "/hang":
            self.connection.recv(1)
            self.close_connection = True
        elif path.startswith("/truncated/"):
            size = int(path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(bytes(i % 251 for i in range(size // 2)))
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.close_connection = True
        elif path.startswith("/trickle/"):
            size = int(path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            body = bytes(i % 251 for i in range(size))
            for start in range(0, size, 5000):
                self.wfile.write(body[start:start + 5000])
                self.wfile.flush()
                time.sleep(0.0005)
        elif path.startswith("/huge/"):
            # An answer announcing (and starting to send) a body of that many bytes.
            self.send_response(int(path.split("/")[2]))
            self.send_header("Content-Length", path.split("/")[3])
            self.end_headers()
            self.wfile.write(b"x" * 65536)
            self.close_connection = True
        elif path == "/garbage":
            self.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
            self.close_connection = True
        elif path == "/close":
            self.reply(200, b"bye", [("Connection", "close")])
        elif path == "/echo-headers":
            lines = "".join("%s: %s\n" % (k.lower(), v) for k, v in self.headers.items())
            self.reply(200, lines.encode())
        else:
            self.reply(400, b"unknown path")

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = handle_any

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address):
        pass  # clients that drop connections (tests do) are not news

server = Server(("127.0.0.1", 0), Handler)
if tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls[0], tls[1])
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
print(server.server_address[1], flush=True)
server.serve_forever()
)PY";

// A scratch directory for the whole test run: the script and certificates.
const fs::path& scratch_dir() {
  struct Dir {
    TempDir tmp{"http-test"};
    fs::path path{tmp.path()};
    Dir() { std::ofstream(path / "scripted_http_server.py") << server_script; }
  };
  static const Dir dir;
  return dir.path;
}

// The Python server above as a child process, stopped when this goes.
class ScriptedHttpServer {
 public:
  explicit ScriptedHttpServer(std::vector<std::string> options = {}) {
    std::vector<std::string> argv_strings{"/usr/bin/python3", (scratch_dir() / "scripted_http_server.py").string()};
    argv_strings.insert(argv_strings.end(), options.begin(), options.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    int fds[2];
    int lifeline[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(lifeline, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, lifeline[0], STDIN_FILENO);
    const int spawned = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    ::close(lifeline[0]);
    lifeline_ = lifeline[1];
    REQUIRE(spawned == 0);

    std::string line;
    char c = 0;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    REQUIRE(!line.empty());
    port_ = static_cast<std::uint16_t>(std::stoi(line));
  }
  ~ScriptedHttpServer() {
    ::close(lifeline_);
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::uint16_t port() const { return port_; }

  Endpoint endpoint() const {
    Endpoint endpoint;
    endpoint.tls = false;
    endpoint.host = "127.0.0.1";
    endpoint.port = port_;
    return endpoint;
  }

  // Connections the server accepted, not counting the one that asks.
  int connections() const { return std::stoi(query("/_connections")) - 1; }
  int hits(const std::string& path) const { return std::stoi(query("/_hits" + path)); }

 private:
  std::string query(const std::string& target) const {
    HttpClient observer;
    HttpRequest request;
    request.target = target;
    return observer.send(endpoint(), request).body;
  }

  pid_t pid_ = -1;
  int lifeline_ = -1;  // the server's stdin; it exits when this closes, however this process ends
  std::uint16_t port_ = 0;
};

HttpClientOptions quick_options() {
  HttpClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.io_timeout = std::chrono::milliseconds(5000);
  options.retry.max_attempts = 5;
  options.retry.first_delay = std::chrono::milliseconds(10);
  options.retry.max_delay = std::chrono::milliseconds(50);
  return options;
}

HttpRequest make_request(std::string method, std::string target, std::string_view body = {}) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.body = body;
  return request;
}

template <class F>
std::optional<Error> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

// A TCP socket bound to a free loopback port; sets port.
int bound_loopback_socket(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

// A loopback port nobody listens on (bound, then released).
std::uint16_t closed_port() {
  std::uint16_t port = 0;
  ::close(bound_loopback_socket(port));
  return port;
}

std::string pattern_bytes(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 4096) % 256);
  return data;
}

// A private CA and certificates signed by it, made once per run.
struct TlsMaterial {
  fs::path ca;
  fs::path cert;        // for localhost and 127.0.0.1
  fs::path key;
  fs::path other_cert;  // for other.example only
  fs::path other_key;
};

const TlsMaterial& tls_material() {
  static const TlsMaterial material = [] {
    const fs::path dir = scratch_dir();
    const std::string d = dir.string();
    const std::string ec_key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const auto run = [](const std::string& command) {
      if (run_command(command + " >/dev/null 2>&1").status != 0) throw std::runtime_error("failed: " + command);
    };
    run("openssl req -x509" + ec_key + " -keyout " + d + "/ca.key -out " + d +
        "/ca.pem -days 2 -subj '/CN=wal-e test CA'");
    const auto leaf = [&](const std::string& name, const std::string& san) {
      run("openssl req" + ec_key + " -keyout " + d + "/" + name + ".key -out " + d + "/" + name +
          ".csr -subj '/CN=" + name + "' -addext 'subjectAltName=" + san + "'");
      run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
          "/ca.key -CAcreateserial -out " + d + "/" + name + ".pem -days 2 -copy_extensions copy");
    };
    leaf("server", "DNS:localhost,IP:127.0.0.1");
    leaf("other", "DNS:other.example");
    return TlsMaterial{dir / "ca.pem", dir / "server.pem", dir / "server.key", dir / "other.pem", dir / "other.key"};
  }();
  return material;
}

Endpoint tls_endpoint(const ScriptedHttpServer& server, const std::string& host) {
  Endpoint endpoint;
  endpoint.tls = true;
  endpoint.host = host;
  endpoint.port = server.port();
  return endpoint;
}

// The scripted server's options for TLS with the test CA's certificate for
// localhost, and client options that trust that CA.
std::vector<std::string> tls_server_args() {
  const auto& tls = tls_material();
  return {"--tls", tls.cert.string(), tls.key.string()};
}

HttpClientOptions tls_options() {
  auto options = quick_options();
  options.ca_file = tls_material().ca.string();
  return options;
}

}  // namespace

// --- pure functions ---------------------------------------------------------

TEST_CASE("http: uri_encode keeps RFC 3986 unreserved characters", "[net]") {
  using wale::net::uri_encode;
  CHECK(uri_encode("AZaz09-_.~", false) == "AZaz09-_.~");
  CHECK(uri_encode("a b/c", false) == "a%20b%2Fc");
  CHECK(uri_encode("a b/c", true) == "a%20b/c");
  CHECK(uri_encode("test$file+=*", true) == "test%24file%2B%3D%2A");
  CHECK(uri_encode("\xC3\xA9\xFF", false) == "%C3%A9%FF");
  CHECK(uri_encode("", true).empty());
}

TEST_CASE("http: host header and pool key of an endpoint", "[net]") {
  Endpoint endpoint;
  endpoint.host = "s3.example.com";
  CHECK(endpoint.host_header() == "s3.example.com");
  endpoint.port = 9000;
  CHECK(endpoint.host_header() == "s3.example.com:9000");
  endpoint.tls = false;
  endpoint.port = 80;
  CHECK(endpoint.host_header() == "s3.example.com");
  endpoint.port = 443;
  CHECK(endpoint.host_header() == "s3.example.com:443");

  Endpoint a;
  a.host = "h";
  Endpoint b = a;
  CHECK(a.key() == b.key());
  b.tls = false;
  CHECK(a.key() != b.key());
  b = a;
  b.port = 8443;
  CHECK(a.key() != b.key());
  b = a;
  b.connect_address = "127.0.0.1";
  CHECK(a.key() != b.key());
}

TEST_CASE("http: retryable statuses and case-insensitive response headers", "[net]") {
  for (int status : {408, 429, 500, 502, 503, 504}) CHECK(wale::net::retryable_status(status));
  for (int status : {200, 204, 206, 301, 400, 403, 404, 409, 412, 501})
    CHECK_FALSE(wale::net::retryable_status(status));
  HttpResponse response;
  response.headers = {{"etag", "\"x\""}, {"content-length", "3"}};
  CHECK(response.header("ETag") == "\"x\"");
  CHECK(response.header("Content-Length") == "3");
  CHECK(response.header("x-missing").empty());
}

// --- round trips ------------------------------------------------------------

TEST_CASE("http: GET PUT HEAD DELETE round trips", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  const auto endpoint = server.endpoint();

  auto put = client.send(endpoint, make_request("PUT", "/obj/a", "hello"));
  CHECK(put.status == 200);
  CHECK(put.header("etag") == "\"5\"");

  auto get = client.send(endpoint, make_request("GET", "/obj/a"));
  CHECK(get.status == 200);
  CHECK(get.body == "hello");
  CHECK(get.header("X-AMZ-META-TEST") == "Mixed Case");
  bool lower_case_names = true;
  for (const auto& [name, value] : get.headers)
    for (char c : name) lower_case_names = lower_case_names && !(c >= 'A' && c <= 'Z');
  CHECK(lower_case_names);

  auto head = client.send(endpoint, make_request("HEAD", "/obj/a"));
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == "5");
  CHECK(head.body.empty());

  auto empty = client.send(endpoint, make_request("PUT", "/obj/empty"));
  CHECK(empty.status == 200);
  CHECK(client.send(endpoint, make_request("GET", "/obj/empty")).body.empty());

  auto del = client.send(endpoint, make_request("DELETE", "/obj/a"));
  CHECK(del.status == 204);
  auto missing = client.send(endpoint, make_request("GET", "/obj/a"));
  CHECK(missing.status == 404);
  CHECK(missing.body.find("NoSuchKey") != std::string::npos);

  // HEAD and 204 left no bytes behind: all of this went over one connection.
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("http: request headers sent by the client", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  auto request = make_request("PUT", "/echo-headers");
  request.headers = {{"X-Amz-Date", "20130524T000000Z"}, {"Content-Length", "999"}, {"Connection", "close"}};
  const auto body = client.send(server.endpoint(), request).body;
  CHECK(body.find("host: 127.0.0.1:" + std::to_string(server.port()) + "\n") != std::string::npos);
  CHECK(body.find("user-agent: wal-e/0.1\n") != std::string::npos);
  CHECK(body.find("content-length: 0\n") != std::string::npos);
  CHECK(body.find("content-length: 999") == std::string::npos);
  CHECK(body.find("connection:") == std::string::npos);
  CHECK(body.find("x-amz-date: 20130524T000000Z\n") != std::string::npos);

  const auto get = client.send(server.endpoint(), make_request("GET", "/echo-headers")).body;
  CHECK(get.find("content-length") == std::string::npos);

  // RFC 6761 names reach the loopback interface without a resolver entry.
  Endpoint named = server.endpoint();
  named.host = "bucket.localhost";
  const auto via_name = client.send(named, make_request("GET", "/echo-headers")).body;
  CHECK(via_name.find("host: bucket.localhost:" + std::to_string(server.port()) + "\n") != std::string::npos);

  // connect_address replaces resolution; the Host header still names the host.
  Endpoint redirected = server.endpoint();
  redirected.host = "s3.example.invalid";
  redirected.connect_address = "127.0.0.1";
  const auto via_address = client.send(redirected, make_request("GET", "/echo-headers")).body;
  CHECK(via_address.find("host: s3.example.invalid:" + std::to_string(server.port()) + "\n") != std::string::npos);
}

TEST_CASE("http: a malformed response is a transient error", "[net]") {
  ScriptedHttpServer server;
  auto options = quick_options();
  options.retry.max_attempts = 2;
  HttpClient client(options);
  auto error = error_of([&] { client.send(server.endpoint(), make_request("GET", "/garbage")); });
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK_THAT(error->what(), Catch::Contains("malformed response"));
  CHECK(server.hits("/garbage") == 2);
}

TEST_CASE("http: a huge answer that is not streamed is refused unread", "[net]") {
  ScriptedHttpServer server;
  auto options = quick_options();
  options.retry.max_attempts = 1;
  HttpClient client(options);
  for (const std::string status : {"200", "400"}) {
    auto error = error_of([&] { client.send(server.endpoint(), make_request("GET", "/huge/" + status + "/104857600")); });
    REQUIRE(error);
    CHECK_THAT(error->what(), Catch::Contains("larger than 64 MiB") && Catch::Contains("refused unread"));
  }
}

TEST_CASE("http: 16 MiB PUT read back streamed into a sink", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  const std::string data = pattern_bytes(16 * 1024 * 1024);

  CHECK(client.send(server.endpoint(), make_request("PUT", "/obj/big", data)).status == 200);

  StringSink sink;
  std::uint64_t delivered = 0;
  auto get = client.send(server.endpoint(), make_request("GET", "/obj/big"), &sink, {}, &delivered);
  CHECK(get.status == 200);
  CHECK(get.body.empty());
  CHECK(delivered == data.size());
  CHECK(sink.data().size() == data.size());
  CHECK(sink.data() == data);

  // An error answer lands in the body even with a sink.
  StringSink untouched;
  auto missing = client.send(server.endpoint(), make_request("GET", "/obj/nothing"), &untouched);
  CHECK(missing.status == 404);
  CHECK(missing.body.find("NoSuchKey") != std::string::npos);
  CHECK(untouched.data().empty());
  CHECK(client.connections_opened() == 1);
}

// --- connection pool --------------------------------------------------------

TEST_CASE("http: 50 sequential requests share one keep-alive connection", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  client.send(server.endpoint(), make_request("PUT", "/obj/k", "v"));
  for (int i = 0; i < 49; ++i) REQUIRE(client.send(server.endpoint(), make_request("GET", "/obj/k")).body == "v");
  CHECK(client.connections_opened() == 1);
  CHECK(server.connections() == 1);
}

TEST_CASE("http: concurrent requests stay within the pool limit", "[net]") {
  ScriptedHttpServer server;
  auto options = quick_options();
  options.max_connections_per_endpoint = 4;
  options.io_threads = 2;  // connections then complete on either thread: their strands keep each in order
  HttpClient client(options);
  client.send(server.endpoint(), make_request("PUT", "/obj/p", "pooled"));

  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&] {
      try {
        for (int i = 0; i < 20; ++i)
          if (client.send(server.endpoint(), make_request("GET", "/obj/p")).body == "pooled") ++ok;
      } catch (const std::exception&) {
        // counted as missing responses below
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CHECK(ok == 160);
  CHECK(client.connections_opened() <= 4);
  CHECK(server.connections() <= 4);
}

TEST_CASE("http: a connection the server closed while idle is replaced silently", "[net]") {
  ScriptedHttpServer server({"--idle", "1"});
  auto options = quick_options();
  options.retry.max_attempts = 1;  // the replay must not need a retry
  HttpClient client(options);
  CHECK(client.send(server.endpoint(), make_request("PUT", "/obj/s", "stale")).status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(client.send(server.endpoint(), make_request("GET", "/obj/s")).body == "stale");
  CHECK(client.connections_opened() == 2);

  // A request that is not idempotent is replayed too: the server never saw it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto post = make_request("POST", "/status/201", "x");
  post.idempotent = false;
  CHECK(client.send(server.endpoint(), post).status == 201);
  CHECK(client.connections_opened() == 3);
  CHECK(server.hits("/status/201") == 1);
}

TEST_CASE("http: a response with Connection close is not pooled", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  CHECK(client.send(server.endpoint(), make_request("GET", "/close")).body == "bye");
  CHECK(client.send(server.endpoint(), make_request("GET", "/close")).body == "bye");
  CHECK(client.connections_opened() == 2);
}

// --- retries ------------------------------------------------------------------

TEST_CASE("http: 503 SlowDown is retried until 200", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  auto response = client.send(server.endpoint(), make_request("GET", "/flaky/a?fail=3"));
  CHECK(response.status == 200);
  CHECK(server.hits("/flaky/a") == 4);
}

TEST_CASE("http: non-idempotent requests and 404 are not retried", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  auto post = make_request("POST", "/flaky/b?fail=3", "body");
  post.idempotent = false;
  auto response = client.send(server.endpoint(), post);
  CHECK(response.status == 503);
  CHECK(response.body.find("SlowDown") != std::string::npos);
  CHECK(server.hits("/flaky/b") == 1);

  CHECK(client.send(server.endpoint(), make_request("GET", "/status/404")).status == 404);
  CHECK(server.hits("/status/404") == 1);
}

TEST_CASE("http: a retryable status that persists is returned after the last attempt", "[net]") {
  ScriptedHttpServer server;
  auto options = quick_options();
  options.retry.max_attempts = 3;
  HttpClient client(options);
  auto response = client.send(server.endpoint(), make_request("GET", "/flaky/c?fail=100"));
  CHECK(response.status == 503);
  CHECK(server.hits("/flaky/c") == 3);

  // The deadline ends retries too.
  options.retry.max_attempts = 100;
  options.retry.first_delay = std::chrono::milliseconds(100);
  options.retry.max_delay = std::chrono::milliseconds(1000);
  options.retry.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  HttpClient bounded(options);
  CHECK(bounded.send(server.endpoint(), make_request("GET", "/flaky/d?fail=100")).status == 503);
  CHECK(server.hits("/flaky/d") <= 3);  // pauses of 50-150 ms, then 100-300 ms
}

TEST_CASE("http: sign is called before every attempt", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  int calls = 0;
  const auto sign = [&](HttpRequest& request) {
    ++calls;
    request.headers.emplace_back("x-test-signature", "attempt-" + std::to_string(calls));
  };
  auto request = make_request("GET", "/flaky/sign?fail=2");
  auto response = client.send(server.endpoint(), request, nullptr, sign);
  CHECK(response.status == 200);
  CHECK(response.body == "ok attempt-3");  // each attempt is signed afresh, not on top of the last
  CHECK(calls == 3);
  CHECK(request.headers.empty());
}

// --- failures -------------------------------------------------------------------

TEST_CASE("http: a server that never answers ends in a transient timeout", "[net]") {
  ScriptedHttpServer server;
  auto options = quick_options();
  options.io_timeout = std::chrono::milliseconds(300);
  options.retry.max_attempts = 2;
  HttpClient client(options);
  const auto start = std::chrono::steady_clock::now();
  auto error = error_of([&] { client.send(server.endpoint(), make_request("GET", "/hang")); });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK_THAT(error->what(), Catch::Contains("127.0.0.1:" + std::to_string(server.port())));
  CHECK_THAT(error->what(), Catch::Contains("no response within 300 ms"));
  CHECK_THAT(error->what(), Catch::Contains("after 2 attempts"));
  CHECK(elapsed >= std::chrono::milliseconds(600));
  CHECK(elapsed < std::chrono::milliseconds(2000));
  CHECK(server.hits("/hang") == 2);
}

TEST_CASE("http: a closed port ends in a transient error naming host and port", "[net]") {
  auto options = quick_options();
  options.retry.max_attempts = 2;
  HttpClient client(options);
  Endpoint endpoint;
  endpoint.tls = false;
  endpoint.host = "127.0.0.1";
  endpoint.port = closed_port();
  auto error = error_of([&] { client.send(endpoint, make_request("GET", "/bucket/key?X-Amz-Signature=secret")); });
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK_THAT(error->what(), Catch::Contains("127.0.0.1:" + std::to_string(endpoint.port)));
  CHECK_THAT(error->what(), Catch::Contains("cannot connect"));
  CHECK_THAT(error->what(), Catch::Contains("after 2 attempts"));
  CHECK_THAT(error->what(), !Catch::Contains("secret"));
  CHECK(client.connections_opened() == 0);
}

TEST_CASE("http: a name that does not resolve is a transient error naming it", "[net]") {
  auto options = quick_options();
  options.connect_timeout = std::chrono::milliseconds(1000);
  options.retry.max_attempts = 1;
  HttpClient client(options);
  Endpoint endpoint;
  endpoint.tls = false;
  endpoint.host = "no-such-host.invalid";  // RFC 6761: never resolves
  endpoint.port = 9;
  const auto start = std::chrono::steady_clock::now();
  auto error = error_of([&] { client.send(endpoint, make_request("GET", "/")); });
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK_THAT(error->what(), Catch::Contains("no-such-host.invalid:9"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1800));  // the lookup is bounded
}

TEST_CASE("http: an interrupted streamed download reports the bytes delivered", "[net]") {
  ScriptedHttpServer server;
  HttpClient client(quick_options());
  StringSink sink;
  std::uint64_t delivered = 0;
  auto error = error_of(
      [&] { client.send(server.endpoint(), make_request("GET", "/truncated/1000000"), &sink, {}, &delivered); });
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK(delivered == 500000);
  CHECK(sink.data().size() == 500000);
  CHECK(static_cast<unsigned char>(sink.data()[499999]) == 499999 % 251);
  CHECK(server.hits("/truncated/1000000") == 1);  // not retried: the caller resumes
}

// --- TLS ------------------------------------------------------------------------

TEST_CASE("http: TLS verification with a private CA", "[net]") {
  ScriptedHttpServer server(tls_server_args());
  auto options = tls_options();
  {
    HttpClient client(options);
    CHECK(client.send(tls_endpoint(server, "localhost"), make_request("PUT", "/obj/t", "secure")).status == 200);
    CHECK(client.send(tls_endpoint(server, "localhost"), make_request("GET", "/obj/t")).body == "secure");
    CHECK(client.connections_opened() == 1);
    // The certificate names the address too.
    CHECK(client.send(tls_endpoint(server, "127.0.0.1"), make_request("GET", "/obj/t")).body == "secure");
  }
  {
    HttpClient system_store(quick_options());
    auto error = error_of([&] { system_store.send(tls_endpoint(server, "localhost"), make_request("GET", "/obj/t")); });
    REQUIRE(error);
    CHECK(error->kind() == ErrorKind::permanent);
    CHECK_THAT(error->what(), Catch::Contains("TLS certificate of localhost:" + std::to_string(server.port())));
    CHECK_THAT(error->what(), Catch::Contains("give the CA with WALE_S3_CA_FILE"));
    CHECK(system_store.connections_opened() == 1);  // permanent: not retried
  }
  {
    auto unverified = quick_options();
    unverified.verify_tls = false;
    HttpClient client(unverified);
    CHECK(client.send(tls_endpoint(server, "localhost"), make_request("GET", "/obj/t")).body == "secure");
  }
}

TEST_CASE("http: an idle TLS connection the server closed is replaced silently", "[net]") {
  auto server_args = tls_server_args();
  server_args.insert(server_args.end(), {"--idle", "1"});
  ScriptedHttpServer server(server_args);
  auto options = tls_options();
  options.retry.max_attempts = 1;
  HttpClient client(options);
  CHECK(client.send(tls_endpoint(server, "localhost"), make_request("PUT", "/obj/idle", "tls")).status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(client.send(tls_endpoint(server, "localhost"), make_request("GET", "/obj/idle")).body == "tls");
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("http: a TLS certificate for another host name is refused", "[net]") {
  const auto& tls = tls_material();
  ScriptedHttpServer server({"--tls", tls.other_cert.string(), tls.other_key.string()});
  auto options = tls_options();
  HttpClient client(options);
  auto error = error_of([&] { client.send(tls_endpoint(server, "localhost"), make_request("GET", "/obj/t")); });
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::permanent);
  CHECK_THAT(error->what(), Catch::Contains("hostname mismatch"));
  CHECK(client.connections_opened() == 1);
}

// The streamed body, deadlines and a cut connection again, over TLS.
TEST_CASE("http: 16 MiB over TLS, streamed, on one connection", "[net]") {
  ScriptedHttpServer server(tls_server_args());
  auto options = tls_options();
  HttpClient client(options);
  const std::string data = pattern_bytes(16 * 1024 * 1024);
  CHECK(client.send(tls_endpoint(server, "localhost"), make_request("PUT", "/obj/big", data)).status == 200);
  for (int round = 0; round < 3; ++round) {
    StringSink sink;
    std::uint64_t delivered = 0;
    auto get = client.send(tls_endpoint(server, "localhost"), make_request("GET", "/obj/big"), &sink, {}, &delivered);
    CHECK(get.status == 200);
    CHECK(delivered == data.size());
    CHECK(sink.data() == data);
  }
  CHECK(client.send(tls_endpoint(server, "localhost"), make_request("GET", "/obj/nothing")).status == 404);
  CHECK(client.connections_opened() == 1);
}

// A body that arrives piece by piece, over TLS and not, with a read
// buffer larger than the pieces: every byte must come without waiting out
// a deadline.
TEST_CASE("http: a body that trickles in arrives whole, well within the deadline", "[net]") {
  const bool over_tls = GENERATE(false, true);
  ScriptedHttpServer server(over_tls ? tls_server_args() : std::vector<std::string>{});
  auto options = tls_options();
  options.io_timeout = std::chrono::milliseconds(3000);
  HttpClient client(options);
  const Endpoint endpoint = over_tls ? tls_endpoint(server, "localhost") : server.endpoint();
  for (const std::size_t size : {std::size_t{1000}, std::size_t{250000}, std::size_t{300000}, std::size_t{1234567}}) {
    StringSink sink;
    const auto start = std::chrono::steady_clock::now();
    auto get = client.send(endpoint, make_request("GET", "/trickle/" + std::to_string(size)), &sink);
    CHECK(get.status == 200);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500));
    REQUIRE(sink.data().size() == size);
    CHECK(static_cast<unsigned char>(sink.data()[size - 1]) == (size - 1) % 251);
  }
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("http: a TLS server that never answers ends in a transient timeout", "[net]") {
  ScriptedHttpServer server(tls_server_args());
  auto options = tls_options();
  options.io_timeout = std::chrono::milliseconds(300);
  options.retry.max_attempts = 2;
  HttpClient client(options);
  const auto start = std::chrono::steady_clock::now();
  auto error = error_of([&] { client.send(tls_endpoint(server, "localhost"), make_request("GET", "/hang")); });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK_THAT(error->what(), Catch::Contains("no response within 300 ms"));
  CHECK_THAT(error->what(), Catch::Contains("after 2 attempts"));
  CHECK(elapsed >= std::chrono::milliseconds(600));
  CHECK(elapsed < std::chrono::milliseconds(2000));
}

TEST_CASE("http: a TLS handshake that never completes ends within the connect timeout", "[net]") {
  // A listening socket that never accepts: the kernel completes the TCP
  // handshake, nobody answers the ClientHello.
  std::uint16_t port = 0;
  const int fd = bound_loopback_socket(port);
  REQUIRE(::listen(fd, 4) == 0);
  auto options = quick_options();
  options.connect_timeout = std::chrono::milliseconds(300);
  options.retry.max_attempts = 1;
  HttpClient client(options);
  Endpoint endpoint;
  endpoint.tls = true;
  endpoint.host = "127.0.0.1";
  endpoint.port = port;
  const auto start = std::chrono::steady_clock::now();
  auto error = error_of([&] { client.send(endpoint, make_request("GET", "/")); });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(fd);
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK_THAT(error->what(), Catch::Contains("no connection within 300 ms"));
  CHECK(elapsed >= std::chrono::milliseconds(300));
  CHECK(elapsed < std::chrono::milliseconds(1500));
}

TEST_CASE("http: a TLS body cut short reports the bytes delivered", "[net]") {
  ScriptedHttpServer server(tls_server_args());
  auto options = tls_options();
  HttpClient client(options);
  StringSink sink;
  std::uint64_t delivered = 0;
  auto error = error_of([&] {
    client.send(tls_endpoint(server, "localhost"), make_request("GET", "/truncated/1000000"), &sink, {}, &delivered);
  });
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::transient);
  CHECK_THAT(error->what(), Catch::Contains("after 500000 bytes of the body"));
  CHECK(delivered == 500000);
  CHECK(sink.data().size() == 500000);
  CHECK(static_cast<unsigned char>(sink.data()[499999]) == 499999 % 251);
}

TEST_CASE("http: an unreadable CA file is a permanent error", "[net]") {
  auto options = quick_options();
  options.ca_file = (scratch_dir() / "no-such-ca.pem").string();
  auto error = error_of([&] { HttpClient client(options); });
  REQUIRE(error);
  CHECK(error->kind() == ErrorKind::permanent);
  CHECK_THAT(error->what(), Catch::Contains("no-such-ca.pem"));
}
