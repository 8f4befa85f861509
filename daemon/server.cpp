#include "daemon/server.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <grp.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/command/command.hpp"
#include "common/command/wal_object.hpp"
#include "common/core/error.hpp"
#include "daemon/journal.hpp"
#include "daemon/session.hpp"
#include "daemon/state_lock.hpp"
#include "daemon/upload_pipeline.hpp"
#include "daemon/wal_prefetcher.hpp"
#include "proto/exit_status.hpp"
#include "proto/request.hpp"

namespace wale::daemon {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Socket = asio::local::stream_protocol::socket;
using Clock = std::chrono::steady_clock;

constexpr auto kRequestReadTimeout = std::chrono::seconds(10);
constexpr auto kHeartbeatInterval = std::chrono::seconds(5);

struct Connection {
  Connection(Socket s, asio::io_context& io) : socket(std::move(s)), notify(io) {}
  Socket socket;
  asio::steady_timer notify;  // cancelled whenever the session has output
};

std::string iso_time(std::int64_t epoch_seconds) {
  if (epoch_seconds == 0) return {};
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

struct Server::Impl {
  DaemonConfig config;
  Log& log;
  asio::io_context io{1};
  std::unique_ptr<storage::BlobStore> store;
  std::unique_ptr<StateLock> lock;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<UploadPipeline> pipeline;
  std::unique_ptr<WalPrefetcher> prefetcher;
  asio::thread_pool command_pool{4};
  asio::local::stream_protocol::acceptor acceptor{io};
  Clock::time_point started = Clock::now();
  std::atomic<std::size_t> open_sessions{0};
  std::atomic<bool> stopping{false};
  bool socket_activated = false;
  // Of the objects this daemon writes (WALE_COMPRESSION in its environment).
  codec::Compression compression = codec::Compression::lzop;
  std::mutex syslog_logs_mutex;
  std::map<std::string, std::shared_ptr<Log>> syslog_logs;  // see syslog_log()

  Impl(DaemonConfig c, Log& l) : config(std::move(c)), log(l) {}

  bool uid_allowed(unsigned uid) const { return uid == ::geteuid() || config.allowed_uids.count(uid) != 0; }

  void listen() {
    // Socket activation: systemd (wal-ed.socket) created and owns the socket.
    if (const int fds = ::sd_listen_fds(1); fds > 0) {
      if (fds != 1 || ::sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, nullptr, 0) <= 0)
        throw Error(ErrorKind::usage, "wal-ed expects exactly one listening Unix stream socket from systemd");
      socket_activated = true;
      acceptor.assign(asio::local::stream_protocol(), SD_LISTEN_FDS_START);
      return;
    }
    remove_stale_socket(config.socket_path);
    make_directories(dirname_of(config.socket_path), 0755);
    const mode_t old_mask = ::umask(0177);  // the socket is born 0600
    boost::system::error_code ec;
    acceptor.open(asio::local::stream_protocol(), ec);
    if (!ec) acceptor.bind(asio::local::stream_protocol::endpoint(config.socket_path), ec);
    ::umask(old_mask);
    if (ec) throw Error(ErrorKind::permanent, "cannot listen on " + config.socket_path + ": " + ec.message());
    acceptor.listen(asio::socket_base::max_listen_connections);
    if (!config.socket_group.empty()) {
      const group* g = ::getgrnam(config.socket_group.c_str());
      if (g == nullptr) throw Error(ErrorKind::usage, "wal-ed: unknown group '" + config.socket_group + "' for the socket");
      if (::chown(config.socket_path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0 || ::chmod(config.socket_path.c_str(), 0660) != 0)
        throw_system_error("cannot give " + config.socket_path + " to group " + config.socket_group);
    }
  }

  std::string status_json() const {
    const auto c = pipeline->counters();
    nlohmann::ordered_json j{
        {"version", std::string(command::version())},
        {"pid", ::getpid()},
        {"uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count()},
        {"prefix", config.prefix.url.text},
        {"socket", config.socket_path},
        {"journal", journal->path()},
        {"queue_depth", c.queued},
        {"segments_uploaded", c.uploaded},
        {"segments_already_stored", c.already_stored},
        {"segments_failed", c.failed},
        {"bytes_in", c.bytes_in},
        {"bytes_out", c.bytes_out},
        {"bytes_in_memory", c.bytes_held},
        {"last_segment_archived", c.last_segment},
        {"last_archived_at", iso_time(c.last_segment_at)},
        {"last_error", c.last_error},
        {"last_error_at", iso_time(c.last_error_at)},
        {"open_requests", open_sessions.load()},
        {"store_connections_opened", store->connections_opened()},
        {"prefetch", {{"served_from_prefetch", prefetcher->counters().served_from_prefetch},
                      {"downloaded_on_demand", prefetcher->counters().downloaded_on_demand},
                      {"prefetched", prefetcher->counters().prefetched},
                      {"discarded", prefetcher->counters().discarded}}},
    };
    return j.dump(2) + "\n";
  }

  // The log of one request as its client asked for it: records on the
  // client's stderr and/or to syslog (WALE_LOG_DESTINATION,
  // WALE_SYSLOG_FACILITY), warnings and worse only with --terse.
  std::shared_ptr<Log> client_log_for(const config::ParsedCommand& cmd, const std::shared_ptr<Session>& session) {
    ProcessLogOptions options;
    apply_log_destination(cmd.get("log_destination"), options);
    apply_syslog_facility(cmd.get("syslog_facility"), options);
    options.syslog_socket = cmd.get("syslog_socket");
    options.min_level = cmd.get_flag("terse") ? Level::warning : Level::info;
    struct ClientLog final : Log {
      explicit ClientLog(asio::io_context& context) : io(context) {}
      asio::io_context& io;
      std::unique_ptr<Log> frames;
      std::shared_ptr<Log> syslog;
      void write(const LogRecord& r) override {
        if (frames) frames->write(r);
        // Through the I/O thread's queue: the answer a record comes with
        // (queued for the client's socket just before) goes out first.
        if (syslog) asio::post(io, [to = syslog, r] { to->write(r); });
      }
    };
    auto client = std::make_shared<ClientLog>(io);
    if (options.to_stderr)
      client->frames = std::make_unique<TextLog>(options.min_level, [session](std::string_view t) { session->write_stderr(t); });
    if (options.to_syslog) {
      options.to_stderr = false;
      client->syslog = syslog_log(options);
    }
    return client;
  }

  // One syslog log per facility, socket and level, kept: making one (a
  // socket, an spdlog logger) costs the I/O thread more than a record.
  std::shared_ptr<Log> syslog_log(ProcessLogOptions options) {
    constexpr std::size_t kKept = 16;  // requests cannot make the daemon hold more
    const std::string key = options.syslog_facility + '\0' + options.syslog_socket + '\0' +
                            std::to_string(static_cast<int>(options.min_level));
    std::lock_guard guard(syslog_logs_mutex);
    if (const auto it = syslog_logs.find(key); it != syslog_logs.end()) return it->second;
    if (syslog_logs.size() >= kKept) {
      options.wait_on_close = false;  // the last reference may go on the I/O thread
      return make_process_log(options);
    }
    std::shared_ptr<Log> made = make_process_log(options);
    syslog_logs.emplace(key, made);
    return made;
  }

  // wal-push: the journal's answer when it has one, otherwise the
  // pipeline's, within the store timeout.
  void push(const std::shared_ptr<Session>& session, const config::ParsedCommand& cmd, const std::string& cwd,
            const std::shared_ptr<Log>& client_log) {
    pg::WalSource source;
    try {
      source = pg::resolve_wal_source(cwd, cmd.positionals.at(0));
    } catch (const Error& e) {
      command::log_failure(*client_log, e.what());
      session->finish(proto::kExitFailure);
      return;
    }
    if (pipeline->already_stored(source)) {
      command::log_push_complete(*client_log, *store, source, compression, command::StoreOutcome::already_stored, 0, 0);
      session->finish(proto::kExitOk);
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::seconds(config.store_timeout_seconds));
    timer->async_wait([session, client_log, path = source.path, seconds = config.store_timeout_seconds](boost::system::error_code ec) {
      if (ec || session->finished()) return;
      command::log_failure(*client_log, "could not archive " + path + " within " + std::to_string(seconds) +
                                            " s: the store is not answering; wal-ed keeps retrying and PostgreSQL will ask again");
      session->finish(proto::kExitFailure);
    });
    pipeline->push(source, [this, session, client_log, timer, source](const PushResult& result) {
      if (result.ok)
        command::log_push_complete(*client_log, *store, source, compression, result.outcome, result.raw_size, result.seconds);
      else
        command::log_failure(*client_log, "could not archive " + source.path + ": " + result.error);
      session->finish(result.ok ? proto::kExitOk : proto::kExitFailure);
      asio::post(io, [timer] { timer->cancel(); });
    });
    pipeline->read_ahead(source.wal_dir, source.name.name);
  }

  void dispatch(const std::shared_ptr<Session>& session, const proto::Request& request) {
    config::ParsedCommand cmd;
    try {
      if (request.cwd.empty() || request.cwd.front() != '/')
        throw Error(ErrorKind::usage, "the request's working directory '" + request.cwd + "' is not an absolute path");
      cmd = parse_request(config, request.argv, request.env);
    } catch (const Error& e) {
      TextLog client_log(Level::info, [session](std::string_view t) { session->write_stderr(t); });
      command::log_failure(client_log, e.what());
      std::string name;
      for (const auto& a : request.argv)
        if (config::find_command(a) != nullptr) {
          name = a;
          break;
        }
      session->finish(e.kind() == ErrorKind::usage ? command::parse_failure_status(name, request.cwd, e)
                                                   : command::failure_status(name, request.cwd, e));
      return;
    }
    auto client_log = client_log_for(cmd, session);
    if (cmd.command == "wal-push" && !cmd.help) return push(session, cmd, request.cwd, client_log);
    if (cmd.command == "status" && !cmd.help) {
      session->write_stdout(status_json());
      session->finish(proto::kExitOk);
      return;
    }
    asio::post(command_pool, [this, session, client_log, cmd = std::move(cmd), cwd = request.cwd, tty = request.stderr_is_tty] {
      TeeLog both(*client_log, log);
      command::CommandContext ctx(cmd, cwd, both, [session](std::string_view t) { session->write_stdout(t); }, store.get());
      ctx.fetch_wal = [this, cwd](const std::string& name, const std::string& destination, std::size_t depth) {
        return prefetcher->fetch(name, destination, cwd, depth);
      };
      if (tty) ctx.progress_bar = [session](std::string_view t) { session->write_stderr(t); };
      session->finish(command::run_in_process(ctx));
    });
  }

  // Answers with a refusal frame, then reads what the client still sends
  // until it hangs up (or a second passes): closing with unread input would
  // reset the connection and could destroy the refusal before it is read.
  awaitable<void> refuse(Connection& conn, const std::string& text) {
    boost::system::error_code ec;
    const std::string out = proto::encode_frame(proto::FrameType::refusal, text);
    co_await asio::async_write(conn.socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    conn.socket.shutdown(Socket::shutdown_send, ec);
    asio::steady_timer deadline(io, std::chrono::seconds(1));
    deadline.async_wait([&conn](boost::system::error_code e) {
      if (!e) conn.socket.cancel();
    });
    char sink[4096];
    while (!ec) co_await conn.socket.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
    deadline.cancel();
  }

  // Reads frames until the request is complete; nullopt (after answering
  // with a refusal where that helps) when there is none to run.
  awaitable<std::optional<proto::Request>> read_request(Connection& conn) {
    asio::steady_timer deadline(io, kRequestReadTimeout);
    deadline.async_wait([&conn](boost::system::error_code ec) {
      if (!ec) conn.socket.cancel();
    });
    proto::FrameDecoder decoder;
    char buf[16 * 1024];
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = co_await conn.socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) co_return std::nullopt;
      try {
        decoder.feed(std::string_view(buf, n));
        if (auto frame = decoder.next()) {
          deadline.cancel();
          if (frame->version != proto::kProtocolVersion) {
            const std::string text = proto::version_mismatch_message(frame->version, proto::kProtocolVersion);
            log.warning("wal_e.daemon", "refused a client of another protocol version", text);
            co_await refuse(conn, text);
            co_return std::nullopt;
          }
          if (frame->type != proto::FrameType::request) throw proto::ProtocolError("the first frame is not a request");
          co_return proto::decode_request(frame->payload);
        }
      } catch (const proto::ProtocolError& e) {
        log.warning("wal_e.daemon", "dropped a connection that broke the protocol", e.what());
        co_return std::nullopt;
      }
    }
  }

  awaitable<void> serve(Socket socket) {
    auto conn = std::make_shared<Connection>(std::move(socket), io);
    ++open_sessions;
    struct Count {
      std::atomic<std::size_t>& n;
      ~Count() { --n; }
    } count{open_sessions};

    ucred peer{};
    socklen_t len = sizeof(peer);
    boost::system::error_code ec;
    if (::getsockopt(conn->socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || !uid_allowed(peer.uid)) {
      const std::string text = "wal-ed refuses uid " + std::to_string(peer.uid) +
                               ": only its own user may use it (add the uid with wal-ed --allow-uid)";
      log.warning("wal_e.daemon", "refused a client", text);
      co_await refuse(*conn, text);
      co_return;
    }

    auto request = co_await read_request(*conn);
    if (!request) co_return;
    auto session = std::make_shared<Session>([this, weak = std::weak_ptr<Connection>(conn)] {
      asio::post(io, [weak] {
        if (auto c = weak.lock()) c->notify.cancel();
      });
    });
    try {
      dispatch(session, *request);
    } catch (const std::exception& e) {
      TextLog client_log(Level::info, [session](std::string_view t) { session->write_stderr(t); });
      command::log_failure(client_log, std::string("wal-ed failed to handle the request: ") + e.what());
      session->finish(proto::kExitFailure);
    }

    for (;;) {
      bool last = false;
      const std::string out = session->take(last);
      if (!out.empty()) {
        co_await asio::async_write(conn->socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;  // the client left; the work itself goes on
      }
      if (last) co_return;
      conn->notify.expires_after(kHeartbeatInterval);
      // Output queued since take(): its notification may have run before
      // the wait began, so do not wait for it.
      if (session->has_pending()) continue;
      co_await conn->notify.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!ec) session->heartbeat();
    }
  }

  awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      Socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        log.warning("wal_e.daemon", "accept failed", ec.message());
        continue;
      }
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }

  void shut_down() {
    if (stopping.exchange(true)) return;
    ::sd_notify(0, "STOPPING=1");
    log.info("wal_e.daemon", "stopping: no new requests; draining uploads",
             "waiting up to " + std::to_string(config.drain_seconds) + " s for uploads in flight");
    boost::system::error_code ignored;
    acceptor.close(ignored);
    if (!socket_activated) ::unlink(config.socket_path.c_str());
    std::thread([this] {
      const auto deadline = Clock::now() + std::chrono::seconds(config.drain_seconds);
      pipeline->drain(deadline);
      // Let the answers to drained requests reach their clients.
      while (open_sessions.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      asio::post(io, [this] { io.stop(); });
    }).detach();
  }
};

Server::Server(DaemonConfig config, Log& log) : impl_(std::make_unique<Impl>(std::move(config), log)) {}

Server::~Server() = default;

int Server::run() {
  Impl& s = *impl_;
  s.lock = std::make_unique<StateLock>(s.config.state_dir);
  s.store = config::open_store(s.config.prefix, s.config.settings);
  // A fault-injection knob for the crash tests: hold journal commits back.
  std::chrono::milliseconds commit_delay{0};
  if (const auto it = s.config.env.find("WALE_FAULT_JOURNAL_COMMIT_DELAY_MS"); it != s.config.env.end())
    commit_delay = std::chrono::milliseconds(std::strtoll(it->second.c_str(), nullptr, 10));
  s.journal = std::make_unique<Journal>(s.config.state_dir, s.config.prefix.url.text, commit_delay);
  PipelineOptions options;
  options.cpu_threads = std::max(1u, std::thread::hardware_concurrency());
  options.transfer_threads = std::min<std::size_t>(s.config.pool_size, 16);
  options.read_ahead = s.config.pool_size;
  options.memory_budget = s.config.memory_budget;
  options.encoding = command::encoding_of(s.config.settings);
  s.compression = options.encoding.compression;
  s.pipeline = std::make_unique<UploadPipeline>(*s.store, s.journal.get(), s.log, options);
  s.prefetcher = std::make_unique<WalPrefetcher>(*s.store, options.encoding, s.log, std::min<std::size_t>(s.config.pool_size, 16));
  s.listen();

  asio::signal_set signals(s.io, SIGTERM, SIGINT);
  signals.async_wait([&s](boost::system::error_code ec, int) {
    if (!ec) s.shut_down();
  });
  asio::co_spawn(s.io, s.accept_loop(), asio::detached);
  s.pipeline->resume_from_journal();
  s.log.info("wal_e.daemon", "wal-ed is ready",
             "Listening on " + s.config.socket_path + ", archiving to " + s.config.prefix.url.text + ".",
             {{"state_dir", s.config.state_dir}, {"compression", std::string(codec::compression_name(s.compression))}});
  ::sd_notify(0, "READY=1");
  s.io.run();

  s.command_pool.join();
  s.prefetcher.reset();
  s.pipeline.reset();
  s.journal.reset();
  s.log.info("wal_e.daemon", "wal-ed stopped");
  return 0;
}

}  // namespace wale::daemon
