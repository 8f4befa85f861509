// Log records in WAL-E's line format (shared/spec/wal-e-format.md §8.1):
//
//   wal_e.worker.upload INFO     MSG: completed archiving to a file
//           DETAIL: ...
//           HINT: ...
//           STRUCTURED: time=2026-11-25T15:48:37.564644-00 pid=18888 k=v ...
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wale {

enum class Level { debug = 10, info = 20, warning = 30, error = 40, critical = 50 };

struct LogRecord {
  Level level = Level::info;
  std::string logger = "wal_e.main";
  std::string msg;
  std::string detail;
  std::string hint;
  std::vector<std::pair<std::string, std::string>> fields;  // STRUCTURED key=value pairs
};

std::string format_record(const LogRecord& record, std::chrono::system_clock::time_point when, long pid);

// The same record for the systemd journal's stream protocol: every line
// starts with its syslog priority as "<N>" (sd-daemon.h: <3> error, <4>
// warning, <6> info, <7> debug, <2> critical), because journald makes one
// entry of each line; STRUCTURED leaves out time=, which the journal
// records itself.
std::string format_record_for_journal(const LogRecord& record, long pid);

class Log {
 public:
  virtual ~Log() = default;
  virtual void write(const LogRecord& record) = 0;

  void info(std::string logger, std::string msg, std::string detail = {},
            std::vector<std::pair<std::string, std::string>> fields = {});
  void warning(std::string logger, std::string msg, std::string detail = {}, std::string hint = {});
  void error(std::string logger, std::string msg, std::string hint = {});
};

// Drops everything (for tests and for work nobody watches).
class NullLog final : public Log {
 public:
  void write(const LogRecord&) override {}
};

// Formats records at or above a level and hands the text to a function.
class TextLog final : public Log {
 public:
  TextLog(Level min_level, std::function<void(std::string_view)> out) : min_level_(min_level), out_(std::move(out)) {}
  void write(const LogRecord& record) override;

 private:
  Level min_level_;
  std::function<void(std::string_view)> out_;
};

// Sends every record to each of several logs.
class TeeLog final : public Log {
 public:
  TeeLog(Log& a, Log& b) : a_(a), b_(b) {}
  void write(const LogRecord& record) override {
    a_.write(record);
    b_.write(record);
  }

 private:
  Log& a_;
  Log& b_;
};

// The process's own log: stderr and/or syslog, as WALE_LOG_DESTINATION and
// WALE_SYSLOG_FACILITY say.
struct ProcessLogOptions {
  Level min_level = Level::info;
  bool to_stderr = true;
  bool to_syslog = false;
  // stderr is a systemd journal stream: write format_record_for_journal.
  bool journal_stderr = false;
  std::string syslog_facility = "user";
  // The syslog socket; empty: the first of /dev/log, /var/run/log and
  // /var/run/syslog that exists (where WAL-E looks).
  std::string syslog_socket;
  // Destroying the log waits until its records are written (a command's
  // last lines must not be lost when it exits); false for logs destroyed
  // on an I/O thread, whose records are then written a little later.
  bool wait_on_close = true;
};

// A process log is an spdlog asynchronous logger: write() formats nothing
// and never waits for stderr or syslog. Records go through a bounded queue
// shared by every process log (kLogQueueRecords) to one writer thread,
// which formats them (WAL-E's format, an spdlog formatter) and hands them
// to the sinks. When the queue is nearly full (a stalled syslog or stderr
// reader), records below ERROR are dropped and counted, and a WARNING says
// how many before the next record that gets through; ERROR and CRITICAL
// records use the last kLogQueueReservedForErrors places, and only they
// wait, and only if even those are taken. The sinks wait at most a second
// for a stalled destination, then drop (and count) records below ERROR
// until it takes records again.
inline constexpr std::size_t kLogQueueRecords = 1024;
inline constexpr std::size_t kLogQueueReservedForErrors = 128;
std::unique_ptr<Log> make_process_log(const ProcessLogOptions& options);

// True when `journal_stream` (the value of $JOURNAL_STREAM, "DEVICE:INODE")
// names this process's stderr: systemd connected stderr to the journal.
// A child that inherited the variable with another stderr gets false.
bool stderr_is_journal(std::string_view journal_stream);

// Parses WALE_LOG_DESTINATION; returns a warning text for unknown entries.
std::string apply_log_destination(std::string_view value, ProcessLogOptions& options);
// Checks WALE_SYSLOG_FACILITY; returns a warning text (and falls back to
// "user", as WAL-E does) for an unknown facility.
std::string apply_syslog_facility(std::string_view value, ProcessLogOptions& options);

}  // namespace wale
