#include "daemon/server.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/archive/layout.hpp"
#include "common/archive/wal_gap.hpp"
#include "common/command/command.hpp"
#include "common/command/wal_object.hpp"
#include "common/core/error.hpp"
#include "daemon/backlog_monitor.hpp"
#include "daemon/journal.hpp"
#include "daemon/metrics.hpp"
#include "daemon/metrics_endpoint.hpp"
#include "daemon/reloadable_store.hpp"
#include "daemon/report_text.hpp"
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
// Descriptors kept for everything but clients: store connections, WAL
// files being read, prefetched files, the journal, gpg's pipes.
constexpr rlim_t kReservedDescriptors = 256;
constexpr std::size_t kMaxConnections = 1024;
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);

struct Connection;
using ConnectionList = std::list<std::weak_ptr<Connection>>;

// What a reload prepared off the I/O thread.
struct ReloadOutcome {
  std::optional<DaemonConfig> next;
  std::unique_ptr<storage::BlobStore> backend;
  std::string error;    // refused: why
  std::string warning;  // applied, but the store could not check it
};

struct Connection {
  Connection(Socket s, asio::io_context& io) : socket(std::move(s)), notify(io) {}
  Socket socket;
  asio::steady_timer notify;  // cancelled whenever the session has output
  // Its place among the connections waiting for a message (none while a
  // request of theirs runs).
  std::optional<ConnectionList::iterator> awaiting;
  bool evicted = false;  // closed to make room for another client, or at shutdown
};

// Client connections at once: as many as the descriptors allow beside the
// daemon's own needs (the soft limit is raised to the hard one first), and
// never so many that their buffers matter.
std::size_t connection_limit() {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0) return 64;
  if (nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0) ::getrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (nofile.rlim_cur == RLIM_INFINITY) return kMaxConnections;
  const rlim_t room = nofile.rlim_cur > kReservedDescriptors + 16 ? nofile.rlim_cur - kReservedDescriptors : 16;
  return static_cast<std::size_t>(std::min<rlim_t>(room, kMaxConnections));
}

// Warnings about misbehaving clients: the first at once, then at most one
// a minute with the count of those not logged, so that a flood of bad
// connections cannot flood the log. Used on the I/O thread only.
class ThrottledWarning {
 public:
  void warn(Log& log, const std::string& msg, const std::string& detail) {
    const auto now = Clock::now();
    if (now < next_) {
      ++suppressed_;
      return;
    }
    std::string more;
    if (suppressed_ > 0) more = " (" + std::to_string(suppressed_) + " more like it in the last minute were not logged)";
    log.warning("wal_e.daemon", msg, detail + more);
    suppressed_ = 0;
    next_ = now + std::chrono::minutes(1);
  }

 private:
  Clock::time_point next_{};
  std::size_t suppressed_ = 0;
};

// The main socket serves both protocols, told apart by the first byte (a
// WAL-G message type, or anything else: wal-e's frame, whose decoder
// refuses what is not one); --walg-socket serves only WAL-G's.
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

}  // namespace

struct Server::Impl {
  using Acceptor = asio::local::stream_protocol::acceptor;

  DaemonConfig config;
  Log& log;
  WarningsTo walg_log{log};
  asio::io_context io{1};
  std::unique_ptr<ReloadableStore> store;
  std::unique_ptr<StateLock> lock;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<UploadPipeline> pipeline;
  std::unique_ptr<WalPrefetcher> prefetcher;
  std::unique_ptr<BacklogMonitor> monitor;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  asio::thread_pool command_pool{4};
  Acceptor acceptor{io};
  Acceptor walg_acceptor{io};
  Clock::time_point started = Clock::now();
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> open_requests{0};
  std::array<std::atomic<std::uint64_t>, kClientNames.size()> requests_by_client{};
  std::array<std::atomic<std::uint64_t>, kClientNames.size()> connections_by_client{};
  // Connections waiting for a message, longest waiting first (I/O thread
  // only): at the connection limit the first gives way, and at shutdown
  // all are closed instead of being waited for.
  ConnectionList awaiting;
  std::size_t max_connections = kMaxConnections;
  ThrottledWarning protocol_warnings, idle_warnings, limit_warnings;
  std::atomic<bool> stopping{false};
  bool socket_activated = false;
  // Holds io.run() until the drain at shutdown is over, and its thread.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> draining;
  std::thread drainer;
  std::string listening_on;  // the socket's path (systemd's, when activated)
  asio::steady_timer watchdog{io};
  std::chrono::microseconds watchdog_interval{0};
  bool reloading = false;
  std::atomic<std::uint64_t> reloads{0};
  std::atomic<std::uint64_t> failed_reloads{0};
  // Of the objects this daemon writes (WALE_COMPRESSION in its environment).
  codec::Compression compression = codec::Compression::lzop;
  std::mutex syslog_logs_mutex;
  std::map<std::string, std::shared_ptr<Log>> syslog_logs;  // see syslog_log()

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
      boost::system::error_code ec;
      listening_on = acceptor.local_endpoint(ec).path();
      return;
    }
    listening_on = config.socket_path;
    bind_socket(acceptor, config.socket_path);
  }

  DaemonMetrics metrics() const {
    DaemonMetrics m;
    m.version = std::string(command::version());
    m.pid = ::getpid();
    m.now = epoch_now();
    m.uptime_seconds = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count();
    m.prefix = config.prefix.url.text;
    m.socket = listening_on;
    m.journal = journal->path();
    m.pipeline = pipeline->counters();
    m.open_requests = open_requests.load();
    m.open_connections = open_connections.load();
    m.connection_limit = max_connections;
    for (std::size_t i = 0; i < kClientNames.size(); ++i)
      m.clients.push_back({kClientNames[i], requests_by_client[i].load(), connections_by_client[i].load()});
    m.walg_socket = config.walg_socket_path.empty() ? listening_on : config.walg_socket_path;
    m.pgdata = config.pgdata;
    m.store_connections_opened = store->connections_opened();
    m.store_errors = store->errors();
    m.prefetch = prefetcher->counters();
    m.backlog = monitor->backlog();
    m.drop_policy = config.backlog.drop_warning();
    m.segments_dropped = monitor->segments_dropped();
    m.gaps = monitor->open_gaps();
    m.stuck = pipeline->stuck();
    m.resident_memory_bytes = resident_memory_bytes();
    m.reloads = reloads.load();
    m.failed_reloads = failed_reloads.load();
    return m;
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
    monitor->watch(source.wal_dir);
    if (monitor->should_drop(source)) return drop(session, source, client_log);
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

  // The log for what goes wrong before a request's command line is parsed,
  // and for WAL-G's clients throughout.
  std::shared_ptr<Log> early_log_for(const std::shared_ptr<Session>& session) {
    if (session->wire() == Wire::walg_reply) return std::shared_ptr<Log>(&walg_log, [](Log*) {});
    return std::make_shared<TextLog>(Level::info, [session](std::string_view t) { session->write_stderr(t); });
  }

  // The drop policy's answer: recorded in the journal first, then
  // "archived" to PostgreSQL, loudly in its log too.
  void drop(const std::shared_ptr<Session>& session, const pg::WalSource& source, const std::shared_ptr<Log>& client_log) {
    asio::post(command_pool, [this, session, source, client_log] {
      try {
        const GapEntry gap = monitor->record_drop(source);
        pipeline->abandon(source.path);
        client_log->warning("wal_e.daemon.backlog", "WAL DROPPED: " + source.name.name + " was not archived",
                            "wal-ed's drop policy (WALE_DROP_WAL_ABOVE) answers success without storing it: pg_wal was too "
                            "full and the store is failing.",
                            archive::gap_message(gap.first, gap.last));
        session->finish(proto::kExitOk);
      } catch (const std::exception& e) {
        command::log_failure(*client_log, "could not archive " + source.path + ": the store is failing and the drop "
                                          "could not be recorded (" + e.what() + ")");
        session->finish(proto::kExitFailure);
      }
    });
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
      const auto m = metrics();
      session->write_stdout(cmd.get_flag("prometheus") ? prometheus_text(m) : status_json(m));
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
      // A new base backup may close the archive's open gaps.
      if (cmd.command == "backup-push" && status == proto::kExitOk) monitor->recheck_gaps();
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
  //
  // Deadline handlers hold the connection weakly: one already queued when
  // its timer is cancelled may run after the coroutine (and the
  // connection) are gone.
  awaitable<void> answer_and_close(const std::shared_ptr<Connection>& connection, const std::string& answer) {
    Connection& conn = *connection;
    boost::system::error_code ec;
    co_await asio::async_write(conn.socket, asio::buffer(answer), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    conn.socket.shutdown(Socket::shutdown_send, ec);
    asio::steady_timer deadline(io, std::chrono::seconds(1));
    deadline.async_wait([weak = std::weak_ptr<Connection>(connection)](boost::system::error_code e) {
      if (const auto c = weak.lock(); c && !e) c->socket.cancel(e);
    });
    char sink[4096];
    while (!ec) co_await conn.socket.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
    deadline.cancel();
  }

  awaitable<void> refuse(const std::shared_ptr<Connection>& conn, const std::string& text) {
    co_await answer_and_close(conn, proto::encode_frame(proto::FrameType::refusal, text));
  }

  awaitable<void> refuse_walg(const std::shared_ptr<Connection>& conn) {
    co_await answer_and_close(conn, std::string(1, static_cast<char>(proto::walg::Reply::error)));
  }

  // What the client sent next, before a deadline.
  struct Received {
    std::string bytes;       // empty when it hung up, broke the connection or sent nothing in time
    bool timed_out = false;  // the deadline passed first
  };

  awaitable<Received> read_until(const std::shared_ptr<Connection>& connection, Clock::time_point deadline) {
    // A timer that expired as the bytes arrived must not cancel the next read.
    const auto state = std::make_shared<std::pair<bool, bool>>(false, false);  // read done, timed out
    asio::steady_timer timer(io, deadline);
    timer.async_wait([weak = std::weak_ptr<Connection>(connection), state](boost::system::error_code ec) {
      const auto c = weak.lock();
      if (ec || !c || state->first) return;
      state->second = true;
      c->socket.cancel(ec);
    });
    char buf[16 * 1024];
    boost::system::error_code ec;
    const std::size_t n = co_await connection->socket.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    state->first = true;
    timer.cancel();
    co_return Received{ec ? std::string() : std::string(buf, n), ec && state->second};
  }

  void start_awaiting(const std::shared_ptr<Connection>& conn) {
    if (!conn->awaiting) conn->awaiting = awaiting.insert(awaiting.end(), conn);
  }

  void stop_awaiting(Connection& conn) {
    if (!conn.awaiting) return;
    awaiting.erase(*conn.awaiting);
    conn.awaiting.reset();
  }

  // Closes the connection that has waited longest for a message (an idle
  // or stalled client; a running request is never cut off), freeing its
  // descriptor at once. False when there is none.
  bool evict_oldest_waiting(const Connection* except) {
    for (auto it = awaiting.begin(); it != awaiting.end(); ++it) {
      const auto c = it->lock();
      if (!c || c.get() == except) continue;
      stop_awaiting(*c);
      c->evicted = true;
      boost::system::error_code ignored;
      c->socket.close(ignored);
      return true;
    }
    return false;
  }

  // Room for one more connection, at the connection limit: a waiting one
  // gives way; when every connection runs a request, the newcomer is
  // refused (the shim reports it and PostgreSQL asks again).
  bool admit(const Connection& conn) {
    if (open_connections.load() <= max_connections) return true;
    const std::string state = std::to_string(open_connections.load() - 1) + " connections were open, wal-ed's limit of " +
                              std::to_string(max_connections) + " (set by its file-descriptor limit)";
    if (evict_oldest_waiting(&conn)) {
      limit_warnings.warn(log, "closed idle connections to make room for new ones", state + "; the oldest one that had sent no request was closed.");
      return true;
    }
    limit_warnings.warn(log, "refused connections: every connection is busy", state + ", each running a request.");
    return false;
  }

  // Reads until `decoder` (wal-e's frames or WAL-G's messages) yields a
  // message. Between messages the client may stay silent up to
  // kIdleTimeout (at shutdown it is closed instead); a message that has
  // begun must be complete within kRequestReadTimeout. Nullopt when the
  // client hung up, was closed or ran out of time (`stalled` says whether
  // it stopped half-way through a message); a malformed message throws the
  // decoder's ProtocolError.
  template <class Decoder>
  awaitable<decltype(std::declval<Decoder&>().next())> next_message(const std::shared_ptr<Connection>& conn, Decoder& decoder,
                                                                    bool& stalled) {
    stalled = false;
    std::optional<Clock::time_point> deadline;
    if (!decoder.idle()) deadline = Clock::now() + kRequestReadTimeout;
    start_awaiting(conn);
    for (;;) {
      if (auto message = decoder.next()) {
        stop_awaiting(*conn);
        co_return message;
      }
      const bool idle = !deadline;
      if (idle && stopping) co_return std::nullopt;
      const Received got = co_await read_until(conn, deadline.value_or(Clock::now() + kIdleTimeout));
      if (got.bytes.empty()) {
        stalled = got.timed_out && !idle && !conn->evicted;
        co_return std::nullopt;
      }
      if (idle) deadline = Clock::now() + kRequestReadTimeout;
      decoder.feed(got.bytes);
    }
  }

  // The refusal of a connection that began a message and did not finish it.
  awaitable<void> refuse_stalled(const std::shared_ptr<Connection>& conn) {
    const std::string text = "wal-ed closed the connection: no complete request within " +
                             std::to_string(kRequestReadTimeout.count()) + " s";
    idle_warnings.warn(log, "closed a connection that sent no complete request in time", text + ".");
    co_await refuse(conn, text);
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
    proto::FrameDecoder decoder(proto::kMaxRequestPayload);
    decoder.feed(first_bytes);
    for (;;) {
      proto::Request request;
      std::string broken;  // what the client did wrong (no co_await inside a handler)
      try {
        bool stalled = false;
        const auto frame = co_await next_message(conn, decoder, stalled);
        if (!frame) {
          if (stalled) co_await refuse_stalled(conn);
          co_return;
        }
        if (frame->version != proto::kProtocolVersion) {
          const std::string text = proto::version_mismatch_message(frame->version, proto::kProtocolVersion);
          log.warning("wal_e.daemon", "refused a client of another protocol version", text);
          co_await refuse(conn, text);
          co_return;
        }
        if (frame->type != proto::FrameType::request) throw proto::ProtocolError("the first frame is not a request");
        request = proto::decode_request(frame->payload);
      } catch (const proto::ProtocolError& e) {
        broken = e.what();
      }
      if (!broken.empty()) {
        protocol_warnings.warn(log, "refused a connection that broke the protocol", broken);
        co_await refuse(conn, "wal-ed refused the request: " + broken);
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
        bool stalled = false;
        const auto message = co_await next_message(conn, decoder, stalled);
        if (!message) {
          if (stalled) {
            idle_warnings.warn(log, "a WAL-G client stopped half-way through a message",
                               "No complete message within " + std::to_string(kRequestReadTimeout.count()) + " s; answered 'E' and closed.");
            co_await refuse_walg(conn);
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
        protocol_warnings.warn(log, "answered a malformed WAL-G message with an error", e.what());
        malformed = true;
      }
      if (malformed || !request) {
        co_await refuse_walg(conn);
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
    struct Listed {
      Impl& impl;
      Connection& c;
      ~Listed() { impl.stop_awaiting(c); }
    } listed{*this, *conn};

    start_awaiting(conn);
    if (!admit(*conn)) {
      co_await refuse(conn, "wal-ed is busy: all " + std::to_string(max_connections) +
                                " connections it may hold are running requests; try again");
      co_return;
    }
    // The first bytes tell the protocols apart; a client that sends none
    // in time is told so and closed.
    const Received first = co_await read_until(conn, Clock::now() + kRequestReadTimeout);
    if (first.bytes.empty()) {
      if (first.timed_out && !conn->evicted) {
        if (listener == Listener::walg_only) co_await refuse_walg(conn);
        else co_await refuse_stalled(conn);
      }
      co_return;
    }
    const bool walg = listener == Listener::walg_only || proto::walg::starts_message(static_cast<std::uint8_t>(first.bytes.front()));

    ucred peer{};
    socklen_t len = sizeof(peer);
    if (::getsockopt(conn->socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || !uid_allowed(peer.uid)) {
      const std::string text = "wal-ed refuses uid " + std::to_string(peer.uid) +
                               ": only its own user may use it (add the uid with wal-ed --allow-uid)";
      log.warning("wal_e.daemon", "refused a client", text);
      if (walg) co_await refuse_walg(conn);
      else co_await refuse(conn, text);
      co_return;
    }
    if (walg) co_await serve_walg(conn, first.bytes);
    else co_await serve_wale(conn, first.bytes);
  }

  awaitable<void> accept_loop(Acceptor& from, Listener listener) {
    asio::steady_timer pause(io);
    for (;;) {
      boost::system::error_code ec;
      Socket socket = co_await from.async_accept(asio::redirect_error(use_awaitable, ec));
      if (!ec) {
        asio::co_spawn(io, serve(std::move(socket), listener), asio::detached);
        continue;
      }
      if (!from.is_open()) co_return;
      const bool out_of_descriptors = ec == boost::system::errc::too_many_files_open ||
                                      ec == boost::system::errc::too_many_files_open_in_system;
      if (out_of_descriptors && evict_oldest_waiting(nullptr)) {
        limit_warnings.warn(log, "out of file descriptors: closed idle connections to accept new ones", ec.message());
        continue;
      }
      limit_warnings.warn(log, "accept failed", ec.message() + "; retrying shortly");
      // The listening socket stays readable: wait instead of spinning.
      pause.expires_after(kAcceptBackoff);
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  // SIGHUP: the envdir is read again off the I/O thread; a configuration
  // that parses, opens and that the store does not reject replaces the
  // running one for what starts from now on. Anything else is refused with
  // an ERROR and the running configuration stays.
  void reload() {
    if (stopping || reloading) return;
    if (config.envdir.empty()) {
      log.warning("wal_e.daemon", "SIGHUP ignored: wal-ed reads no envdir",
                  "Its configuration is the environment it was started with.",
                  "start it with --envdir DIR (WALE_ENVDIR) to reload settings, or restart it");
      return;
    }
    reloading = true;
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    ::sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%lld",
                 static_cast<long long>(now.tv_sec) * 1'000'000 + static_cast<long long>(now.tv_nsec) / 1000);
    auto outcome = std::make_shared<ReloadOutcome>();
    asio::post(command_pool, [this, outcome, running = config] {
      try {
        auto next = reload_daemon_config(running);
        if (const auto why = restart_needed(running, next); !why.empty())
          throw Error(ErrorKind::usage, why + ", which takes a restart (systemctl restart wal-ed)");
        auto backend = config::open_store(next.prefix, next.settings);
        try {
          backend->head(std::string(archive::kWalDirectory) + ".wal-e-reload-check");
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::transient) throw Error(e.kind(), std::string("the store refuses the new configuration: ") + e.what());
          outcome->warning = std::string("the store could not be reached to check the new configuration: ") + e.what();
        }
        outcome->next = std::move(next);
        outcome->backend = std::move(backend);
      } catch (const std::exception& e) {
        outcome->error = e.what();
      }
      asio::post(io, [this, outcome] { apply_reload(*outcome); });
    });
  }

  void apply_reload(ReloadOutcome& outcome) {
    reloading = false;
    ::sd_notify(0, "READY=1");
    if (!outcome.error.empty() || !outcome.next) {
      ++failed_reloads;
      log.write(LogRecord{Level::error, "wal_e.daemon", "configuration reload refused: " + outcome.error,
                          "wal-ed keeps running with the configuration it had.", "fix the envdir " + config.envdir + " and send SIGHUP again",
                          {{"action", "reload"}, {"state", "fail"}}});
      return;
    }
    const bool drop_changed = !(outcome.next->backlog.drop == config.backlog.drop);
    store->replace(std::move(outcome.backend));
    config = std::move(*outcome.next);
    monitor->set_policy(config.backlog);
    pipeline->set_stuck_after(config.backlog.stuck_after);
    ++reloads;
    if (!outcome.warning.empty()) log.warning("wal_e.daemon", "reloaded a configuration the store could not check", outcome.warning);
    log.info("wal_e.daemon", "configuration reloaded from " + config.envdir,
             "New requests and the next store operations use it; operations under way finish as they started.",
             {{"action", "reload"}, {"state", "complete"}});
    if (drop_changed) announce_drop_policy();
  }

  void announce_drop_policy() {
    if (config.backlog.drops())
      log.write(LogRecord{Level::warning, "wal_e.daemon", config.backlog.drop_warning(), {},
                          "unset WALE_DROP_WAL_ABOVE unless losing WAL is better than PostgreSQL stopping", {{"drop_policy", "on"}}});
    else
      log.info("wal_e.daemon", "WAL is never dropped: with the store unavailable, pg_wal grows until the store is back");
  }

  // Type=notify with WatchdogSec=: pings at half the interval from a timer
  // on the I/O loop, so that a loop that stops turning stops the pings and
  // systemd restarts the daemon.
  void start_watchdog() {
    std::uint64_t usec = 0;
    if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_interval = std::chrono::microseconds(usec / 2);
    log.info("wal_e.daemon", "systemd watchdog on", "Pinging every " + std::to_string(watchdog_interval.count() / 1000) + " ms.");
    ping_watchdog();
  }

  void ping_watchdog() {
    ::sd_notify(0, "WATCHDOG=1");
    watchdog.expires_after(watchdog_interval);
    watchdog.async_wait([this](boost::system::error_code ec) {
      if (!ec) ping_watchdog();
    });
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
    // Connections waiting for a message (the archive module's between
    // segments) are closed, not waited for.
    while (evict_oldest_waiting(nullptr)) {
    }
    // io.run() must not return before the drain is over (with no client
    // left it would run out of work at once, and run() would destroy the
    // pipeline under the draining thread), so the drain holds it until done.
    draining.emplace(io.get_executor());
    drainer = std::thread([this, drain = std::chrono::seconds(config.drain_seconds)] {
      const auto deadline = Clock::now() + drain;
      pipeline->drain(deadline);
      // Let the answers to drained requests reach their clients.
      while (open_connections.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      asio::post(io, [this] {
        draining.reset();
        io.stop();
      });
    });
  }
};

Server::Server(DaemonConfig config, Log& log) : impl_(std::make_unique<Impl>(std::move(config), log)) {}

Server::~Server() = default;

int Server::run() {
  Impl& s = *impl_;
  s.lock = std::make_unique<StateLock>(s.config.state_dir);
  s.store = std::make_unique<ReloadableStore>(config::open_store(s.config.prefix, s.config.settings));
  JournalOptions journal_options;
  journal_options.ran_before = s.lock->ran_before();
  journal_options.log = &s.log;
  // A fault-injection knob for the crash tests: hold journal commits back.
  if (const auto it = s.config.env.find("WALE_FAULT_JOURNAL_COMMIT_DELAY_MS"); it != s.config.env.end())
    journal_options.commit_delay = std::chrono::milliseconds(std::strtoll(it->second.c_str(), nullptr, 10));
  s.journal = std::make_unique<Journal>(s.config.state_dir, s.config.prefix.url.text, journal_options);
  log_journal_opening(s.log, s.journal->path(), s.journal->opening());
  PipelineOptions options;
  options.cpu_threads = std::max(1u, std::thread::hardware_concurrency());
  options.transfer_threads = std::min<std::size_t>(s.config.pool_size, 16);
  options.read_ahead = s.config.pool_size;
  options.memory_budget = s.config.memory_budget;
  options.encoding = command::encoding_of(s.config.settings);
  options.stuck_after = s.config.backlog.stuck_after;
  s.compression = options.encoding.compression;
  s.pipeline = std::make_unique<UploadPipeline>(*s.store, s.journal.get(), s.log, options);
  s.prefetcher = std::make_unique<WalPrefetcher>(*s.store, options.encoding, s.log, std::min<std::size_t>(s.config.pool_size, 16));
  s.max_connections = connection_limit();
  s.monitor = std::make_unique<BacklogMonitor>(*s.store, s.journal.get(), s.log, s.config.backlog,
                                               [&s] { return s.pipeline->abandoned_in_flight(); });
  for (const auto& dir : s.journal->wal_directories()) s.monitor->watch(dir);
  s.listen();
  if (!s.config.metrics_listen.empty())
    s.metrics_endpoint = std::make_unique<MetricsEndpoint>(s.io, parse_listen_address(s.config.metrics_listen, "WALE_METRICS_LISTEN"),
                                                           [&s] { return prometheus_text(s.metrics()); }, s.log);

  asio::signal_set signals(s.io, SIGTERM, SIGINT);
  signals.async_wait([&s](boost::system::error_code ec, int) {
    if (!ec) s.shut_down();
  });
  asio::signal_set hangups(s.io, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangups.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      s.reload();
      await_hangup();
    });
  };
  await_hangup();
  asio::co_spawn(s.io, s.accept_loop(s.acceptor, Listener::main), asio::detached);
  if (s.walg_acceptor.is_open()) asio::co_spawn(s.io, s.accept_loop(s.walg_acceptor, Listener::walg_only), asio::detached);
  s.pipeline->resume_from_journal();
  if (s.config.backlog.drops()) s.announce_drop_policy();
  std::string detail = "Listening on " + s.listening_on +
                       (s.config.walg_socket_path.empty() ? std::string() : " and, for WAL-G's clients, " + s.config.walg_socket_path) +
                       " (at most " + std::to_string(s.max_connections) + " connections), archiving to " + s.config.prefix.url.text + ".";
  if (s.metrics_endpoint) detail += " Metrics on http://" + s.metrics_endpoint->local_address().str() + "/metrics.";
  s.log.info("wal_e.daemon", "wal-ed is ready", detail,
             {{"state_dir", s.config.state_dir}, {"compression", std::string(codec::compression_name(s.compression))}});
  ::sd_notify(0, "READY=1");
  s.start_watchdog();
  s.io.run();

  if (s.drainer.joinable()) s.drainer.join();
  s.metrics_endpoint.reset();
  s.command_pool.join();
  s.monitor.reset();
  s.prefetcher.reset();
  s.pipeline.reset();
  s.journal.reset();
  s.log.info("wal_e.daemon", "wal-ed stopped");
  return 0;
}

}  // namespace wale::daemon
