#include "common/core/log.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <cstring>
#include <vector>

#include <sys/socket.h>
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

// Sends records to a syslog daemon over its Unix datagram socket
// ("<PRI>wal-e[PID]: text"), like Python's SysLogHandler does for WAL-E.
// A missing socket is not an error: WAL-E carries on without syslog too.
class SyslogSink {
 public:
  SyslogSink(const std::string& socket_path, int facility) : facility_(facility) {
    const std::vector<std::string> candidates =
        socket_path.empty() ? std::vector<std::string>{"/dev/log", "/var/run/log", "/var/run/syslog"}
                            : std::vector<std::string>{socket_path};
    for (const auto& path : candidates) {
      if (path.size() >= sizeof(addr_.sun_path) || ::access(path.c_str(), F_OK) != 0) continue;
      addr_.sun_family = AF_UNIX;
      std::memcpy(addr_.sun_path, path.c_str(), path.size() + 1);
      fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      break;
    }
  }
  ~SyslogSink() {
    if (fd_ >= 0) ::close(fd_);
  }
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  void send(Level level, std::string_view text) {
    if (fd_ < 0) return;
    const std::string datagram = "<" + std::to_string(facility_ | syslog_priority(level)) + ">wal-e[" +
                                 std::to_string(::getpid()) + "]: " + std::string(text);
    ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
  }

 private:
  int facility_;
  int fd_ = -1;
  sockaddr_un addr_{};
};

class ProcessLog final : public Log {
 public:
  explicit ProcessLog(ProcessLogOptions options) : options_(std::move(options)) {
    if (options_.to_syslog) {
      int facility = facility_code(options_.syslog_facility);
      if (facility < 0) facility = LOG_USER;
      syslog_ = std::make_unique<SyslogSink>(options_.syslog_socket, facility);
    }
  }

  void write(const LogRecord& record) override {
    if (record.level < options_.min_level) return;
    const std::string text = format_record(record, std::chrono::system_clock::now(), ::getpid());
    std::lock_guard lock(mutex_);
    if (options_.to_stderr) {
      const std::string line = text + "\n";
      std::string_view rest = line;
      while (!rest.empty()) {
        const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
        if (n <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(n));
      }
    }
    if (syslog_) syslog_->send(record.level, text);
  }

 private:
  ProcessLogOptions options_;
  std::mutex mutex_;
  std::unique_ptr<SyslogSink> syslog_;
};

}  // namespace

std::string format_record(const LogRecord& record, std::chrono::system_clock::time_point when, long pid) {
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

  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char stamp[64];
  const std::size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof(stamp) - n, ".%06lld-00", static_cast<long long>(micros % 1'000'000));
  std::string structured = "time=" + std::string(stamp) + " pid=" + std::to_string(pid);
  std::vector<std::string> pairs;
  pairs.reserve(record.fields.size());
  for (const auto& [k, v] : record.fields) pairs.push_back(k + "=" + v);
  std::sort(pairs.begin(), pairs.end());
  for (const auto& p : pairs) structured += " " + p;
  append_line(out, "STRUCTURED: ", structured);
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
