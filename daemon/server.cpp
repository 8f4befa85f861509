#include "daemon/server.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
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
#include "proto/walg_message.hpp"

namespace wale::daemon {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Socket = asio::local::stream_protocol::socket;
using Clock = std::chrono::steady_clock;

// A request (or WAL-G message) that has begun must be complete within this.
constexpr auto kRequestReadTimeout = std::chrono::seconds(10);
// How long a connection may stay silent between requests: the archive
// module keeps one open, and WAL-G's walg_archive checks before it pushes.
constexpr auto kIdleTimeout = std::chrono::minutes(10);
constexpr auto kHeartbeatInterval = std::chrono::seconds(5);
// The longest file name or path a WAL-G client may send (PostgreSQL's MAXPGPATH).
constexpr std::size_t kMaxWalgPath = 1024;

struct Connection {
  Connection(Socket s, asio::io_context& io) : socket(std::move(s)), notify(io) {}
  Socket socket;
  asio::steady_timer notify;  // cancelled whenever the session has output
};

// The main socket serves both protocols, told apart by the first byte
// ('W' of wal-e's frame magic, or a WAL-G message type); --walg-socket
// serves only WAL-G's.
enum class Listener { main, walg_only };

// Who is served, for the status: the shim and the archive module speak
// wal-e's protocol, WAL-G's clients their own.
enum class ClientKind : std::size_t { shim, archive_module, walg };
constexpr std::array<const char*, 3> kClientNames{"shim", "archive_module", "walg"};

// WAL-G's clients read one byte: what went wrong goes to the daemon's log.
class WarningsTo final : public Log {
 public:
  explicit WarningsTo(Log& target) : target_(target) {}
  void write(const LogRecord& record) override {
    if (record.level >= Level::warning) target_.write(record);
  }

 private:
  Log& target_;
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
  using Acceptor = asio::local::stream_protocol::acceptor;

  DaemonConfig config;
  Log& log;
  WarningsTo walg_log{log};
  asio::io_context io{1};
  std::unique_ptr<storage::BlobStore> store;
  std::unique_ptr<StateLock> lock;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<UploadPipeline> pipeline;
  std::unique_ptr<WalPrefetcher> prefetcher;
  asio::thread_pool command_pool{4};
  Acceptor acceptor{io};
  Acceptor walg_acceptor{io};
  Clock::time_point started = Clock::now();
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> open_requests{0};
  std::array<std::atomic<std::uint64_t>, kClientNames.size()> requests_by_client{};
  std::array<std::atomic<std::uint64_t>, kClientNames.size()> connections_by_client{};
  // Connections waiting for their next request (I/O thread only): closed
  // at shutdown instead of being waited for.
  std::set<Connection*> idle_connections;
  std::atomic<bool> stopping{false};
  bool socket_activated = false;

  Impl(DaemonConfig c, Log& l) : config(std::move(c)), log(l) {}

  bool uid_allowed(unsigned uid) const { return uid == ::geteuid() || config.allowed_uids.count(uid) != 0; }

  void bind_socket(Acceptor& to, const std::string& path) {
    remove_stale_socket(path);
    make_directories(dirname_of(path), 0755);
    const mode_t old_mask = ::umask(0177);  // the socket is born 0600
    boost::system::error_code ec;
    to.open(asio::local::stream_protocol(), ec);
    if (!ec) to.bind(asio::local::stream_protocol::endpoint(path), ec);
    ::umask(old_mask);
    if (ec) throw Error(ErrorKind::permanent, "cannot listen on " + path + ": " + ec.message());
    to.listen(asio::socket_base::max_listen_connections);
    if (!config.socket_group.empty()) {
      const group* g = ::getgrnam(config.socket_group.c_str());
      if (g == nullptr) throw Error(ErrorKind::usage, "wal-ed: unknown group '" + config.socket_group + "' for the socket");
      if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0 || ::chmod(path.c_str(), 0660) != 0)
        throw_system_error("cannot give " + path + " to group " + config.socket_group);
    }
  }

  void listen() {
    if (!config.walg_socket_path.empty()) bind_socket(walg_acceptor, config.walg_socket_path);
    // Socket activation: systemd (wal-ed.socket) created and owns the socket.
    if (const int fds = ::sd_listen_fds(1); fds > 0) {
      if (fds != 1 || ::sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, nullptr, 0) <= 0)
        throw Error(ErrorKind::usage, "wal-ed expects exactly one listening Unix stream socket from systemd");
      socket_activated = true;
      acceptor.assign(asio::local::stream_protocol(), SD_LISTEN_FDS_START);
      return;
    }
    bind_socket(acceptor, config.socket_path);
  }

  nlohmann::ordered_json clients_json() const {
    nlohmann::ordered_json clients = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < kClientNames.size(); ++i)
      clients[kClientNames[i]] = {{"requests", requests_by_client[i].load()}, {"connections_open", connections_by_client[i].load()}};
    clients["walg"]["socket"] = config.walg_socket_path.empty() ? config.socket_path : config.walg_socket_path;
    clients["walg"]["pgdata"] = config.pgdata;
    return clients;
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
        {"open_requests", open_requests.load()},
        {"clients", clients_json()},
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
  static std::shared_ptr<Log> client_log_for(const config::ParsedCommand& cmd, const std::shared_ptr<Session>& session) {
    ProcessLogOptions options;
    apply_log_destination(cmd.get("log_destination"), options);
    apply_syslog_facility(cmd.get("syslog_facility"), options);
    options.syslog_socket = cmd.get("syslog_socket");
    options.min_level = cmd.get_flag("terse") ? Level::warning : Level::info;
    struct ClientLog final : Log {
      std::unique_ptr<Log> frames;
      std::unique_ptr<Log> syslog;
      void write(const LogRecord& r) override {
        if (frames) frames->write(r);
        if (syslog) syslog->write(r);
      }
    };
    auto log = std::make_shared<ClientLog>();
    if (options.to_stderr)
      log->frames = std::make_unique<TextLog>(options.min_level, [session](std::string_view t) { session->write_stderr(t); });
    if (options.to_syslog) {
      options.to_stderr = false;
      log->syslog = make_process_log(options);
    }
    return log;
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
      command::log_push_complete(*client_log, *store, source, command::StoreOutcome::already_stored, 0, 0);
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
        command::log_push_complete(*client_log, *store, source, result.outcome, result.raw_size, result.seconds);
      else
        command::log_failure(*client_log, "could not archive " + source.path + ": " + result.error);
      session->finish(result.ok ? proto::kExitOk : proto::kExitFailure);
      asio::post(io, [timer] { timer->cancel(); });
    });
    pipeline->read_ahead(source.wal_dir, source.name.name);
  }

  // The log for what goes wrong before a request's command line is parsed,
  // and for WAL-G's clients throughout.
  std::shared_ptr<Log> early_log_for(const std::shared_ptr<Session>& session) {
    if (session->wire() == Wire::walg_reply) return std::shared_ptr<Log>(&walg_log, [](Log*) {});
    return std::make_shared<TextLog>(Level::info, [session](std::string_view t) { session->write_stderr(t); });
  }

  void dispatch(const std::shared_ptr<Session>& session, const proto::Request& request) {
    config::ParsedCommand cmd;
    try {
      if (request.cwd.empty() || request.cwd.front() != '/')
        throw Error(ErrorKind::usage, "the request's working directory '" + request.cwd + "' is not an absolute path");
      cmd = parse_request(config, request.argv, request.env);
    } catch (const Error& e) {
      command::log_failure(*early_log_for(session), e.what());
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
    const bool walg = session->wire() == Wire::walg_reply;
    auto client_log = walg ? early_log_for(session) : client_log_for(cmd, session);
    if (cmd.command == "wal-push" && !cmd.help) return push(session, cmd, request.cwd, client_log);
    if (cmd.command == "status" && !cmd.help) {
      session->write_stdout(status_json());
      session->finish(proto::kExitOk);
      return;
    }
    asio::post(command_pool, [this, session, client_log, walg, cmd = std::move(cmd), cwd = request.cwd, tty = request.stderr_is_tty] {
      TeeLog both(*client_log, log);
      // A WAL-G client's command logs to the daemon's log only.
      Log& command_log = walg ? log : static_cast<Log&>(both);
      command::CommandContext ctx(cmd, cwd, command_log, [session](std::string_view t) { session->write_stdout(t); }, store.get());
      ctx.fetch_wal = [this, cwd](const std::string& name, const std::string& destination, std::size_t depth) {
        return prefetcher->fetch(name, destination, cwd, depth);
      };
      if (tty) ctx.progress_bar = [session](std::string_view t) { session->write_stderr(t); };
      const int status = command::run_in_process(ctx);
      if (ctx.archive_lacks_file) session->note_not_found();
      session->finish(status);
    });
  }

  // Runs one request; a failure to even start it is the request's answer.
  void run_request(const std::shared_ptr<Session>& session, const proto::Request& request) {
    try {
      dispatch(session, request);
    } catch (const std::exception& e) {
      command::log_failure(*early_log_for(session), std::string("wal-ed failed to handle the request: ") + e.what());
      session->finish(proto::kExitFailure);
    }
  }

  std::shared_ptr<Session> new_session(const std::shared_ptr<Connection>& conn, Wire wire) {
    return std::make_shared<Session>(
        [this, weak = std::weak_ptr<Connection>(conn)] {
          asio::post(io, [weak] {
            if (auto c = weak.lock()) c->notify.cancel();
          });
        },
        wire);
  }

  // Writes the session's output as it comes until its answer is complete;
  // false when the client left (the work itself goes on).
  awaitable<bool> send_answer(Connection& conn, Session& session) {
    ++open_requests;
    struct Done {
      std::atomic<std::size_t>& n;
      ~Done() { --n; }
    } done{open_requests};
    boost::system::error_code ec;
    for (;;) {
      bool last = false;
      const std::string out = session.take(last);
      if (!out.empty()) {
        co_await asio::async_write(conn.socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
        if (ec) co_return false;
      }
      if (last) co_return true;
      conn.notify.expires_after(kHeartbeatInterval);
      // Output queued since take(): its notification may have run before
      // the wait began, so do not wait for it.
      if (session.has_pending()) continue;
      co_await conn.notify.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!ec) session.heartbeat();
    }
  }

  // Half-closes after a last answer, then reads what the client still
  // sends until it hangs up (or a second passes): closing with unread
  // input would reset the connection and could destroy the answer before
  // it is read.
  awaitable<void> answer_and_close(Connection& conn, const std::string& answer) {
    boost::system::error_code ec;
    co_await asio::async_write(conn.socket, asio::buffer(answer), asio::redirect_error(use_awaitable, ec));
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

  awaitable<void> refuse(Connection& conn, const std::string& text) {
    co_await answer_and_close(conn, proto::encode_frame(proto::FrameType::refusal, text));
  }

  awaitable<void> refuse_walg(Connection& conn) {
    co_await answer_and_close(conn, std::string(1, static_cast<char>(proto::walg::Reply::error)));
  }

  // The next bytes the client sends, read before `deadline`; empty when it
  // hung up, broke the connection or sent nothing in time.
  awaitable<std::string> read_until(Connection& conn, Clock::time_point deadline) {
    // A timer that expired as the bytes arrived must not cancel the next read.
    auto read_done = std::make_shared<bool>(false);
    asio::steady_timer timer(io, deadline);
    timer.async_wait([&conn, read_done](boost::system::error_code ec) {
      if (!ec && !*read_done) conn.socket.cancel();
    });
    char buf[16 * 1024];
    boost::system::error_code ec;
    const std::size_t n = co_await conn.socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    *read_done = true;
    timer.cancel();
    co_return ec ? std::string() : std::string(buf, n);
  }

  // Reads until `decoder` (wal-e's frames or WAL-G's messages) yields a
  // message. Between messages the client may stay silent up to
  // kIdleTimeout (at shutdown it is closed instead); a message that has
  // begun must be complete within kRequestReadTimeout. Nullopt when the
  // client hung up or ran out of time; a malformed message throws the
  // decoder's ProtocolError.
  template <class Decoder>
  awaitable<decltype(std::declval<Decoder&>().next())> next_message(Connection& conn, Decoder& decoder) {
    std::optional<Clock::time_point> deadline;
    if (!decoder.idle()) deadline = Clock::now() + kRequestReadTimeout;
    for (;;) {
      if (auto message = decoder.next()) co_return message;
      const bool idle = !deadline;
      if (idle && stopping) co_return std::nullopt;
      if (idle) idle_connections.insert(&conn);
      const std::string bytes = co_await read_until(conn, deadline.value_or(Clock::now() + kIdleTimeout));
      if (idle) idle_connections.erase(&conn);
      if (bytes.empty()) co_return std::nullopt;
      if (idle) deadline = Clock::now() + kRequestReadTimeout;
      decoder.feed(bytes);
    }
  }

  // Counts one connection under its client kind once that is known.
  struct ClientTally {
    Impl& impl;
    std::optional<ClientKind> kind;
    void request_from(ClientKind k) {
      ++impl.requests_by_client[static_cast<std::size_t>(k)];
      if (kind == k) return;
      if (kind) --impl.connections_by_client[static_cast<std::size_t>(*kind)];
      kind = k;
      ++impl.connections_by_client[static_cast<std::size_t>(k)];
    }
    ~ClientTally() {
      if (kind) --impl.connections_by_client[static_cast<std::size_t>(*kind)];
    }
  };

  // wal-e's protocol: one request after another on the same connection,
  // each answered with output frames and an exit status (the shim sends
  // one and hangs up; the archive module keeps its connection).
  awaitable<void> serve_wale(std::shared_ptr<Connection> conn, const std::string& first_bytes) {
    ClientTally tally{*this, {}};
    proto::FrameDecoder decoder;
    decoder.feed(first_bytes);
    for (;;) {
      proto::Request request;
      try {
        const auto frame = co_await next_message(*conn, decoder);
        if (!frame) co_return;
        if (frame->version != proto::kProtocolVersion) {
          const std::string text = proto::version_mismatch_message(frame->version, proto::kProtocolVersion);
          log.warning("wal_e.daemon", "refused a client of another protocol version", text);
          co_await refuse(*conn, text);
          co_return;
        }
        if (frame->type != proto::FrameType::request) throw proto::ProtocolError("a client sent a frame that is not a request");
        request = proto::decode_request(frame->payload);
      } catch (const proto::ProtocolError& e) {
        log.warning("wal_e.daemon", "dropped a connection that broke the protocol", e.what());
        co_return;
      }
      tally.request_from(request.client == proto::kArchiveModuleClient ? ClientKind::archive_module : ClientKind::shim);
      const auto session = new_session(conn, Wire::wale_frames);
      run_request(session, request);
      if (!co_await send_answer(*conn, *session)) co_return;
    }
  }

  // WAL-G's clients name files relative to the data directory: without
  // it, no request of theirs can be served (logged).
  bool knows_walg_data_directory() {
    if (!config.pgdata.empty()) return true;
    log.warning("wal_e.daemon", "a WAL-G client asked for service, but wal-ed does not know the data directory",
                "WAL-G's clients name WAL files relative to the data directory; wal-ed answered 'E'.",
                "start wal-ed with --pgdata DIR (or PGDATA=DIR) naming the cluster's data directory");
    return false;
  }

  // The wal-e request a WAL-G push or fetch stands for, run from the data
  // directory WAL-G's clients name their files in; nullopt (logged) when
  // there is none to run.
  std::optional<proto::Request> walg_request(const proto::walg::Message& message) {
    using proto::walg::MessageType;
    if (!knows_walg_data_directory()) return std::nullopt;
    proto::Request request;
    request.cwd = config.pgdata;
    if (message.type == MessageType::wal_push) {
      // walg-daemon-client sends %f (WAL-G's daemon reads it from
      // pg_wal); a path is taken as one, relative to the data directory.
      const std::string& name = message.body;
      if (name.empty() || name.size() > kMaxWalgPath || name.find('\0') != std::string::npos) {
        log.warning("wal_e.daemon", "a WAL-G client asked to archive a file without a usable name",
                    "The name is " + std::to_string(name.size()) + " bytes long.");
        return std::nullopt;
      }
      request.argv = {"wal-push", name.find('/') == std::string::npos ? "pg_wal/" + name : name};
      return request;
    }
    const auto args = proto::walg::decode_args(message.body);
    if (args.size() != 2) {
      log.warning("wal_e.daemon", "a WAL-G client's wal-fetch has " + std::to_string(args.size()) + " arguments instead of 2 (file name, destination)");
      return std::nullopt;
    }
    if (args[0].size() > kMaxWalgPath || args[1].size() > kMaxWalgPath) {
      log.warning("wal_e.daemon", "a WAL-G client's wal-fetch names a file longer than a path may be");
      return std::nullopt;
    }
    request.argv = {"wal-fetch", args[0], args[1]};
    return request;
  }

  // WAL-G's protocol: checks, then one push or fetch, answered with one
  // byte each; the connection closes after the push or fetch, as with
  // WAL-G's own daemon.
  awaitable<void> serve_walg(std::shared_ptr<Connection> conn, const std::string& first_bytes) {
    using proto::walg::MessageType;
    using proto::walg::Reply;
    ClientTally tally{*this, {}};
    proto::walg::MessageDecoder decoder;
    decoder.feed(first_bytes);
    for (;;) {
      std::optional<proto::Request> request;
      bool malformed = false;
      try {
        const auto message = co_await next_message(*conn, decoder);
        if (!message) {
          if (!decoder.idle()) {
            log.warning("wal_e.daemon", "a WAL-G client stopped half-way through a message",
                        "No complete message within " + std::to_string(kRequestReadTimeout.count()) + " s; answered 'E' and closed.");
            co_await refuse_walg(*conn);
          }
          co_return;
        }
        if (message->type == MessageType::check) {
          // Nothing can be served without the data directory: say so now.
          const bool ready = knows_walg_data_directory();
          const char reply = static_cast<char>(ready ? Reply::ok : Reply::error);
          boost::system::error_code ec;
          co_await asio::async_write(conn->socket, asio::buffer(&reply, 1), asio::redirect_error(use_awaitable, ec));
          if (ec || !ready) co_return;
          continue;
        }
        request = walg_request(*message);
      } catch (const proto::ProtocolError& e) {
        log.warning("wal_e.daemon", "answered a malformed WAL-G message with an error", e.what());
        malformed = true;
      }
      if (malformed || !request) {
        co_await refuse_walg(*conn);
        co_return;
      }
      tally.request_from(ClientKind::walg);
      const auto session = new_session(conn, Wire::walg_reply);
      run_request(session, *request);
      co_await send_answer(*conn, *session);
      co_return;
    }
  }

  awaitable<void> serve(Socket socket, Listener listener) {
    auto conn = std::make_shared<Connection>(std::move(socket), io);
    ++open_connections;
    struct Count {
      std::atomic<std::size_t>& n;
      ~Count() { --n; }
    } count{open_connections};

    // The first bytes tell the protocols apart; a client that sends none
    // in time is closed.
    const std::string first = co_await read_until(*conn, Clock::now() + kRequestReadTimeout);
    if (first.empty()) co_return;
    const bool walg = listener == Listener::walg_only || first.front() != 'W';

    ucred peer{};
    socklen_t len = sizeof(peer);
    if (::getsockopt(conn->socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || !uid_allowed(peer.uid)) {
      const std::string text = "wal-ed refuses uid " + std::to_string(peer.uid) +
                               ": only its own user may use it (add the uid with wal-ed --allow-uid)";
      log.warning("wal_e.daemon", "refused a client", text);
      if (walg) co_await refuse_walg(*conn);
      else co_await refuse(*conn, text);
      co_return;
    }
    if (walg) co_await serve_walg(conn, first);
    else co_await serve_wale(conn, first);
  }

  awaitable<void> accept_loop(Acceptor& from, Listener listener) {
    for (;;) {
      boost::system::error_code ec;
      Socket socket = co_await from.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!from.is_open()) co_return;
        log.warning("wal_e.daemon", "accept failed", ec.message());
        continue;
      }
      asio::co_spawn(io, serve(std::move(socket), listener), asio::detached);
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
    if (walg_acceptor.is_open()) {
      walg_acceptor.close(ignored);
      ::unlink(config.walg_socket_path.c_str());
    }
    // Connections between requests (the archive module's) are not waited for.
    for (Connection* c : idle_connections) c->socket.cancel(ignored);
    std::thread([this] {
      const auto deadline = Clock::now() + std::chrono::seconds(config.drain_seconds);
      pipeline->drain(deadline);
      // Let the answers to drained requests reach their clients.
      while (open_connections.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
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
  s.pipeline = std::make_unique<UploadPipeline>(*s.store, s.journal.get(), s.log, options);
  s.prefetcher = std::make_unique<WalPrefetcher>(*s.store, options.encoding, s.log, std::min<std::size_t>(s.config.pool_size, 16));
  s.listen();

  asio::signal_set signals(s.io, SIGTERM, SIGINT);
  signals.async_wait([&s](boost::system::error_code ec, int) {
    if (!ec) s.shut_down();
  });
  asio::co_spawn(s.io, s.accept_loop(s.acceptor, Listener::main), asio::detached);
  if (s.walg_acceptor.is_open()) asio::co_spawn(s.io, s.accept_loop(s.walg_acceptor, Listener::walg_only), asio::detached);
  s.pipeline->resume_from_journal();
  s.log.info("wal_e.daemon", "wal-ed is ready",
             "Listening on " + s.config.socket_path +
                 (s.config.walg_socket_path.empty() ? std::string() : " and, for WAL-G's clients, " + s.config.walg_socket_path) +
                 ", archiving to " + s.config.prefix.url.text + ".",
             {{"state_dir", s.config.state_dir}});
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
