// The process log on spdlog: WAL-E's lines through the asynchronous writer
// to syslog (a real datagram socket here), the systemd journal's variant of
// the format, and the overflow policy: with the syslog reader stalled,
// write() never waits, every dropped record is counted in a WARNING, and
// the ERROR record written during the stall arrives.
#include "common/core/log.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/unit/support/temp_dir.hpp"

using wale::Level;
using wale::LogRecord;
using wale::ProcessLogOptions;

namespace {

// A syslog daemon stand-in: a bound datagram socket, read only when asked.
class DatagramReceiver {
 public:
  explicit DatagramReceiver(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    path.copy(addr.sun_path, path.size());
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~DatagramReceiver() { ::close(fd_); }
  DatagramReceiver(const DatagramReceiver&) = delete;
  DatagramReceiver& operator=(const DatagramReceiver&) = delete;

  // Everything queued now, without waiting.
  std::vector<std::string> take() {
    std::vector<std::string> out;
    std::string buffer(1 << 16, '\0');
    for (ssize_t n; (n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT)) >= 0;)
      out.emplace_back(buffer.data(), static_cast<std::size_t>(n));
    return out;
  }
  // Reads in a thread until stopped: the reader catching up.
  void drain_in_background() {
    reader_ = std::jthread([this](std::stop_token stop) {
      std::string buffer(1 << 16, '\0');
      while (!stop.stop_requested()) {
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        std::lock_guard lock(mutex_);
        received_.emplace_back(buffer.data(), static_cast<std::size_t>(n));
      }
    });
  }
  std::vector<std::string> stop_draining() {
    reader_.request_stop();
    reader_.join();
    auto rest = take();
    std::lock_guard lock(mutex_);
    received_.insert(received_.end(), rest.begin(), rest.end());
    return received_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::jthread reader_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

ProcessLogOptions syslog_only(const std::string& socket) {
  ProcessLogOptions o;
  o.to_stderr = false;
  o.to_syslog = true;
  o.syslog_facility = "local3";
  o.syslog_socket = socket;
  return o;
}

LogRecord info(std::string msg, std::string detail = {}) {
  return LogRecord{Level::info, "wal_e.worker.upload", std::move(msg), std::move(detail), {}, {{"seg", "S"}, {"action", "push-wal"}}};
}

}  // namespace

TEST_CASE("the journal format: a priority on every line, no time stamp of its own", "[core][log]") {
  LogRecord r{Level::warning, "wal_e.main", "careful", "two\nlines", "a hint", {{"b", "2"}, {"a", "1"}}};
  CHECK(wale::format_record_for_journal(r, 42) ==
        "<4>wal_e.main   WARNING  MSG: careful\n"
        "<4>        DETAIL: two\n"
        "<4>        lines\n"
        "<4>        HINT: a hint\n"
        "<4>        STRUCTURED: pid=42 a=1 b=2");
  const auto first = [](Level level) {
    const std::string t = wale::format_record_for_journal(LogRecord{level, "n", "m", {}, {}, {}}, 1);
    return t.substr(0, t.find(' '));
  };
  CHECK(first(Level::debug) == "<7>n");
  CHECK(first(Level::info) == "<6>n");
  CHECK(first(Level::error) == "<3>n");
  CHECK(first(Level::critical) == "<2>n");
}

TEST_CASE("stderr_is_journal compares JOURNAL_STREAM with stderr itself", "[core][log]") {
  struct stat st {};
  REQUIRE(::fstat(STDERR_FILENO, &st) == 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  CHECK(wale::stderr_is_journal(mine));
  CHECK_FALSE(wale::stderr_is_journal(std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)));
  CHECK_FALSE(wale::stderr_is_journal(""));
  CHECK_FALSE(wale::stderr_is_journal("garbage"));
  CHECK_FALSE(wale::stderr_is_journal(mine + "0"));
}

TEST_CASE("syslog records are WAL-E's lines behind <PRI>wal-e[PID]:, all written before the log goes", "[core][log]") {
  wale::test::TempDir dir("process-log");
  DatagramReceiver syslog(dir.file("log.sock"));
  syslog.drain_in_background();
  {
    auto log = wale::make_process_log(syslog_only(dir.file("log.sock")));
    for (int i = 0; i < 50; ++i) log->write(info("record " + std::to_string(i)));
    log->error("wal_e.main", "broken", "fix it");
  }
  // The log is gone: everything it took has been sent.
  const auto got = syslog.stop_draining();
  REQUIRE(got.size() == 51u);
  const std::string head = "<158>wal-e[" + std::to_string(::getpid()) + "]: ";  // local3 * 8 + info
  CHECK(got[0].starts_with(head + "wal_e.worker.upload INFO     MSG: record 0\n        STRUCTURED: time="));
  CHECK(got[0].ends_with(" pid=" + std::to_string(::getpid()) + " action=push-wal seg=S"));
  CHECK(got[49].starts_with(head + "wal_e.worker.upload INFO     MSG: record 49\n"));
  CHECK(got[50].starts_with("<155>wal-e[" + std::to_string(::getpid()) + "]: wal_e.main   ERROR    MSG: broken\n        HINT: fix it\n"));
}

TEST_CASE("a stalled syslog reader never holds up write(); drops are counted, ERROR records kept", "[core][log]") {
  wale::test::TempDir dir("process-log");
  DatagramReceiver syslog(dir.file("log.sock"));
  constexpr int kRecords = 4 * static_cast<int>(wale::kLogQueueRecords);
  std::vector<std::string> got;
  {
    auto log = wale::make_process_log(syslog_only(dir.file("log.sock")));
    // Nobody reads: the writer thread blocks in sendto() once the socket's
    // queue is full, and the log's queue fills behind it. write() must
    // still return for every record (this test would hang otherwise).
    const std::string bulk(400, 'x');
    for (int i = 0; i < kRecords; ++i) log->write(info("bulk " + std::to_string(i), bulk));
    log->error("wal_e.main", "an error while stalled");
    // The reader catches up; the log's end reports what it dropped since.
    syslog.drain_in_background();
  }
  got = syslog.stop_draining();

  int bulk = 0, errors = 0;
  long long dropped = 0;
  const std::regex count(R"(MSG: (\d+) log records were dropped)");
  for (const auto& d : got) {
    std::smatch m;
    if (d.find("MSG: bulk ") != std::string::npos) ++bulk;
    if (d.find("ERROR    MSG: an error while stalled") != std::string::npos) ++errors;
    if (std::regex_search(d, m, count)) {
      dropped += std::stoll(m[1]);
      CHECK(d.find("WARNING  MSG:") != std::string::npos);
    }
  }
  INFO(bulk << " bulk records arrived, " << dropped << " reported dropped");
  CHECK(dropped > 0);
  CHECK(bulk + dropped == kRecords);  // every record arrived or was counted
  CHECK(errors == 1);
}

TEST_CASE("a syslog daemon that never reads again does not hang the end of a command", "[core][log]") {
  wale::test::TempDir dir("process-log");
  DatagramReceiver syslog(dir.file("log.sock"));
  {
    auto log = wale::make_process_log(syslog_only(dir.file("log.sock")));
    for (int i = 0; i < 200; ++i) log->write(info("record " + std::to_string(i)));
    log->error("wal_e.main", "an error nobody reads");
  }  // returns: the writer gave up on the stalled socket (this test would hang otherwise)
  // What the socket's queue took are the first records, in order.
  const auto got = syslog.take();
  REQUIRE_FALSE(got.empty());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(got[i]);
    CHECK(got[i].find("MSG: record " + std::to_string(i) + "\n") != std::string::npos);
  }
}
