#include "common/core/log.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

namespace wale {
namespace {

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug: return "DEBUG";
    case Level::info: return "INFO";
    case Level::warning: return "WARNING";
    case Level::error: return "ERROR";
    case Level::critical: return "CRITICAL";
  }
  return "INFO";
}

int syslog_priority(Level level) {
  switch (level) {
    case Level::debug: return LOG_DEBUG;
    case Level::info: return LOG_INFO;
    case Level::warning: return LOG_WARNING;
    case Level::error: return LOG_ERR;
    case Level::critical: return LOG_CRIT;
  }
  return LOG_INFO;
}

int facility_code(std::string_view name) {
  struct Entry {
    std::string_view name;
    int code;
  };
  static constexpr Entry kFacilities[] = {
      {"user", LOG_USER},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
      {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
  for (const auto& f : kFacilities)
    if (f.name == name) return f.code;
  return -1;
}

// Continuation lines are indented by 8 spaces, as WAL-E's formatter does.
void append_line(std::string& out, std::string_view label, std::string_view text) {
  out += "\n        ";
  out += label;
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out += "        ";
  }
}

// The journal's priority prefix (sd-daemon.h's SD_ERR etc. are "<3>" ...).
std::string priority_prefix(Level level) { return "<" + std::to_string(syslog_priority(level)) + ">"; }

// A record as one spdlog payload, so that the formatting happens on the
// writer thread: the logger name, MSG, DETAIL and HINT, then the STRUCTURED
// pairs, each as <length>:<bytes>.
void put_field(std::string& out, std::string_view text) {
  out += std::to_string(text.size());
  out += ':';
  out += text;
}

std::string encode_payload(const LogRecord& r) {
  std::string out;
  for (std::string_view part : {std::string_view(r.logger), std::string_view(r.msg), std::string_view(r.detail), std::string_view(r.hint)})
    put_field(out, part);
  for (const auto& [k, v] : r.fields) {
    put_field(out, k);
    put_field(out, v);
  }
  return out;
}

bool take_field(std::string_view& in, std::string& out) {
  const auto colon = in.find(':');
  if (colon == std::string_view::npos) return false;
  std::size_t n = 0;
  for (char c : in.substr(0, colon)) n = n * 10 + static_cast<std::size_t>(c - '0');
  if (n > in.size() - colon - 1) return false;
  out.assign(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n);
  return true;
}

LogRecord decode_payload(std::string_view in, Level level) {
  LogRecord r;
  r.level = level;
  if (take_field(in, r.logger) && take_field(in, r.msg) && take_field(in, r.detail) && take_field(in, r.hint)) {
    std::pair<std::string, std::string> field;
    while (take_field(in, field.first) && take_field(in, field.second)) r.fields.push_back(field);
  }
  return r;
}

spdlog::level::level_enum spdlog_level(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warning: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::critical: return spdlog::level::critical;
  }
  return spdlog::level::info;
}

Level wale_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return Level::debug;
    case spdlog::level::warn: return Level::warning;
    case spdlog::level::err: return Level::error;
    case spdlog::level::critical: return Level::critical;
    default: return Level::info;
  }
}

// WAL-E's line format as an spdlog formatter: one record, ending in a newline.
class WaleFormatter final : public spdlog::formatter {
 public:
  explicit WaleFormatter(bool journal) : journal_(journal) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const LogRecord r = decode_payload(std::string_view(msg.payload.data(), msg.payload.size()), wale_level(msg.level));
    const std::string text = journal_ ? format_record_for_journal(r, ::getpid()) : format_record(r, msg.time, ::getpid());
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<WaleFormatter>(journal_); }

 private:
  bool journal_;
};

// A destination that can stall: a syslog daemon that stopped reading, a
// stderr pipe nobody drains. The writer thread waits at most kStallWait for
// it; while it stays stalled, records are dropped at once and counted, and
// a WARNING says how many when it takes records again. So a hung syslog
// never hangs a command at its end (PostgreSQL waits for archive_command
// to exit) nor holds the queue for long. ERROR records wait every time.
constexpr std::chrono::milliseconds kStallWait{1000};

class StallTolerantSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  // Waits up to `wait` until the destination takes bytes again.
  virtual bool writable(std::chrono::milliseconds wait) = 0;
  // Hands over one formatted record; false when it was not taken.
  virtual bool deliver(std::string_view record, spdlog::level::level_enum level) = 0;
  virtual std::string_view name() const = 0;

  void sink_it_(const spdlog::details::log_msg& msg) override {
    // ERROR and CRITICAL records always get their wait.
    const bool vital = msg.level >= spdlog::level::err;
    if (!writable(stalled_ && !vital ? std::chrono::milliseconds{0} : kStallWait)) {
      stalled_ = true;
      ++dropped_;
      return;
    }
    stalled_ = false;
    if (dropped_ > 0) {
      const LogRecord notice{Level::warning, "wal_e.log", std::to_string(dropped_) + " log records were dropped",
                             std::string(name()) + " took no records for more than " + std::to_string(kStallWait.count()) +
                                 " ms; records are dropped rather than delay archiving.",
                             {}, {{"dropped", std::to_string(dropped_)}}};
      const std::string payload = encode_payload(notice);
      const spdlog::details::log_msg note(msg.time, {}, msg.logger_name, spdlog::level::warn,
                                          spdlog::string_view_t(payload.data(), payload.size()));
      spdlog::memory_buf_t text;
      formatter_->format(note, text);
      if (deliver({text.data(), text.size()}, spdlog::level::warn)) dropped_ = 0;
    }
    spdlog::memory_buf_t text;
    formatter_->format(msg, text);
    if (!deliver({text.data(), text.size()}, msg.level)) ++dropped_;
  }
  void flush_() override {}

 private:
  bool stalled_ = false;
  std::uint64_t dropped_ = 0;
};

bool wait_writable(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLOUT, 0};
  const int n = ::poll(&p, 1, static_cast<int>(wait.count()));
  return n > 0 && (p.revents & POLLOUT) != 0;
}

// stderr with write(2), as the rest of the process writes to it; a pipe is
// written in pieces it can take without blocking (PIPE_BUF).
class StderrSink final : public StallTolerantSink {
 protected:
  bool writable(std::chrono::milliseconds wait) override { return wait_writable(STDERR_FILENO, wait); }
  bool deliver(std::string_view rest, spdlog::level::level_enum) override {
    while (!rest.empty()) {
      if (!wait_writable(STDERR_FILENO, kStallWait)) return false;
      const ssize_t n = ::write(STDERR_FILENO, rest.data(), std::min<std::size_t>(rest.size(), PIPE_BUF));
      if (n <= 0) return false;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  std::string_view name() const override { return "stderr"; }
};

// Sends records to a syslog daemon over its Unix datagram socket
// ("<PRI>wal-e[PID]: text"), like Python's SysLogHandler does for WAL-E,
// connected so that poll(2) sees whether the daemon's queue has room. A
// missing socket is not an error: WAL-E carries on without syslog too.
// spdlog's own syslog sink cannot do this: it goes through syslog(3),
// which always writes to /dev/log (WALE_SYSLOG_SOCKET could not apply),
// blocks when the daemon stalls, and keeps one identity and facility per
// process in openlog(3), while the daemon serves requests that each name
// their own facility.
class SyslogSink final : public StallTolerantSink {
 public:
  SyslogSink(const std::string& socket_path, int facility) : facility_(facility) {
    const std::vector<std::string> candidates =
        socket_path.empty() ? std::vector<std::string>{"/dev/log", "/var/run/log", "/var/run/syslog"}
                            : std::vector<std::string>{socket_path};
    for (const auto& path : candidates) {
      if (path.size() >= sizeof(addr_.sun_path) || ::access(path.c_str(), F_OK) != 0) continue;
      addr_.sun_family = AF_UNIX;
      std::memcpy(addr_.sun_path, path.c_str(), path.size() + 1);
      connect();
      break;
    }
  }
  ~SyslogSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

 protected:
  bool writable(std::chrono::milliseconds wait) override { return fd_ < 0 || wait_writable(fd_, wait); }
  bool deliver(std::string_view body, spdlog::level::level_enum level) override {
    if (fd_ < 0) return true;
    if (body.ends_with('\n')) body.remove_suffix(1);
    const std::string datagram = "<" + std::to_string(facility_ | syslog_priority(wale_level(level))) + ">wal-e[" +
                                 std::to_string(::getpid()) + "]: " + std::string(body);
    if (::send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return true;
    // The syslog daemon restarted: its new socket needs a new connection.
    if (errno != ECONNREFUSED && errno != ENOTCONN && errno != ECONNRESET) return false;
    connect();
    return fd_ >= 0 && ::send(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
  }
  std::string_view name() const override { return "syslog"; }

 private:
  void connect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  int facility_;
  int fd_ = -1;
  sockaddr_un addr_{};
};

// The last sink of every process log: writes nothing, and tells when the
// writer thread has reached a flush, i.e. written everything queued before it.
class DrainSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg&) override {}
  // Notifies under the lock: the waiter, once woken, may destroy the
  // process log and this sink with it, and must not do so while the
  // writer thread is still inside notify_all (found by ThreadSanitizer).
  void flush() override {
    std::lock_guard lock(mutex_);
    ++flushes_;
    reached_.notify_all();
  }
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  std::uint64_t flushes() {
    std::lock_guard lock(mutex_);
    return flushes_;
  }
  // False when the writer did not get past `seen` in time (a stderr nobody reads).
  bool wait_beyond(std::uint64_t seen, std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return reached_.wait_for(lock, limit, [&] { return flushes_ > seen; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable reached_;
  std::uint64_t flushes_ = 0;
};

// One writer thread and one bounded queue for every process log.
std::shared_ptr<spdlog::details::thread_pool> writer_pool() {
  static const auto pool = std::make_shared<spdlog::details::thread_pool>(kLogQueueRecords, 1);
  return pool;
}

class ProcessLog final : public Log {
 public:
  explicit ProcessLog(ProcessLogOptions options) : options_(std::move(options)), pool_(writer_pool()) {
    std::vector<spdlog::sink_ptr> sinks;
    if (options_.to_stderr) {
      sinks.push_back(std::make_shared<StderrSink>());
      sinks.back()->set_formatter(std::make_unique<WaleFormatter>(options_.journal_stderr));
    }
    if (options_.to_syslog) {
      int facility = facility_code(options_.syslog_facility);
      if (facility < 0) facility = LOG_USER;
      sinks.push_back(std::make_shared<SyslogSink>(options_.syslog_socket, facility));
      sinks.back()->set_formatter(std::make_unique<WaleFormatter>(false));
    }
    sinks.push_back(drain_);
    // Blocking is what ERROR records get when even their reserve is full;
    // everything else is dropped before it gets there (write()).
    logger_ = std::make_shared<spdlog::async_logger>("wal-e", sinks.begin(), sinks.end(), pool_,
                                                     spdlog::async_overflow_policy::block);
    logger_->set_level(spdlog::level::trace);
    logger_->flush_on(spdlog::level::off);
  }

  ~ProcessLog() override {
    if (!options_.wait_on_close) return;
    report_dropped();
    const auto seen = drain_->flushes();
    logger_->flush();
    drain_->wait_beyond(seen, std::chrono::seconds(5));
  }
  ProcessLog(const ProcessLog&) = delete;
  ProcessLog& operator=(const ProcessLog&) = delete;

  void write(const LogRecord& record) override {
    if (record.level < options_.min_level) return;
    if (record.level < Level::error && pool_->queue_size() + kLogQueueReservedForErrors >= kLogQueueRecords) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    report_dropped();
    enqueue(record);
  }

 private:
  void report_dropped() {
    if (const auto lost = dropped_.exchange(0, std::memory_order_relaxed); lost > 0)
      enqueue(LogRecord{Level::warning, "wal_e.log", std::to_string(lost) + " log records were dropped",
                        "stderr or syslog did not keep up; records below ERROR are dropped rather than delay archiving.",
                        {}, {{"dropped", std::to_string(lost)}}});
  }

  void enqueue(const LogRecord& record) {
    const std::string payload = encode_payload(record);
    logger_->log(spdlog_level(record.level), spdlog::string_view_t(payload.data(), payload.size()));
  }

  ProcessLogOptions options_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<DrainSink> drain_ = std::make_shared<DrainSink>();
  std::shared_ptr<spdlog::async_logger> logger_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace

namespace {

// Everything but the time stamp: the first line, DETAIL, HINT, and
// STRUCTURED starting with `structured_head`, then the sorted pairs.
std::string render(const LogRecord& record, const std::string& structured_head) {
  std::string out = record.logger;
  if (out.size() < 12) out.append(12 - out.size(), ' ');
  out += ' ';
  std::string level(level_name(record.level));
  level.append(level.size() < 8 ? 8 - level.size() : 0, ' ');
  out += level;
  out += " MSG: ";
  for (char c : record.msg) {
    out.push_back(c);
    if (c == '\n') out += "        ";
  }
  if (!record.detail.empty()) append_line(out, "DETAIL: ", record.detail);
  if (!record.hint.empty()) append_line(out, "HINT: ", record.hint);

  std::string structured = structured_head;
  std::vector<std::string> pairs;
  pairs.reserve(record.fields.size());
  for (const auto& [k, v] : record.fields) pairs.push_back(k + "=" + v);
  std::sort(pairs.begin(), pairs.end());
  for (const auto& p : pairs) structured += " " + p;
  append_line(out, "STRUCTURED: ", structured);
  return out;
}

}  // namespace

std::string format_record(const LogRecord& record, std::chrono::system_clock::time_point when, long pid) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char stamp[64];
  const std::size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof(stamp) - n, ".%06lld-00", static_cast<long long>(micros % 1'000'000));
  return render(record, "time=" + std::string(stamp) + " pid=" + std::to_string(pid));
}

std::string format_record_for_journal(const LogRecord& record, long pid) {
  const std::string text = render(record, "pid=" + std::to_string(pid));
  const std::string prefix = priority_prefix(record.level);
  std::string out = prefix;
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out += prefix;
  }
  return out;
}

void Log::info(std::string logger, std::string msg, std::string detail,
               std::vector<std::pair<std::string, std::string>> fields) {
  write(LogRecord{Level::info, std::move(logger), std::move(msg), std::move(detail), {}, std::move(fields)});
}

void Log::warning(std::string logger, std::string msg, std::string detail, std::string hint) {
  write(LogRecord{Level::warning, std::move(logger), std::move(msg), std::move(detail), std::move(hint), {}});
}

void Log::error(std::string logger, std::string msg, std::string hint) {
  write(LogRecord{Level::error, std::move(logger), std::move(msg), {}, std::move(hint), {}});
}

void TextLog::write(const LogRecord& record) {
  if (record.level < min_level_) return;
  out_(format_record(record, std::chrono::system_clock::now(), ::getpid()) + "\n");
}

std::unique_ptr<Log> make_process_log(const ProcessLogOptions& options) { return std::make_unique<ProcessLog>(options); }

bool stderr_is_journal(std::string_view journal_stream) {
  const auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream.substr(0, colon) == std::to_string(st.st_dev) &&
         journal_stream.substr(colon + 1) == std::to_string(st.st_ino);
}

std::string apply_log_destination(std::string_view value, ProcessLogOptions& options) {
  options.to_stderr = false;
  options.to_syslog = false;
  std::string unknown;
  while (!value.empty()) {
    const auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "stderr") options.to_stderr = true;
    else if (item == "syslog") options.to_syslog = true;
    else if (!item.empty()) unknown += (unknown.empty() ? "" : ", ") + std::string(item);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  if (!unknown.empty()) return "unknown WALE_LOG_DESTINATION entries ignored: " + unknown;
  return {};
}

std::string apply_syslog_facility(std::string_view value, ProcessLogOptions& options) {
  if (value.empty()) return {};
  if (facility_code(value) < 0) {
    options.syslog_facility = "user";
    return "WALE_SYSLOG_FACILITY='" + std::string(value) + "' is not a syslog facility (user, daemon, local0 ... local7); using user";
  }
  options.syslog_facility = std::string(value);
  return {};
}

}  // namespace wale
