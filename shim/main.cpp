// wal-e: the command PostgreSQL runs. It forwards the command line to the
// wal-ed daemon and exits with the daemon's answer; when no daemon accepts
// the connection it runs the command in-process instead (wal-ed --one-shot).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "proto/exit_status.hpp"
#include "proto/request.hpp"
#include "shim/command_line.hpp"
#include "shim/daemon_client.hpp"
#include "shim/in_process.hpp"

namespace {

// Where wal-ed listens unless WALE_SOCKET says otherwise; the systemd unit
// creates /run/wal-e (RuntimeDirectory=wal-e).
constexpr const char* kDefaultSocket = "/run/wal-e/wal-ed.sock";

void complain(const std::string& line) {
  const std::string out = "wal-e: " + line + "\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, out.data(), out.size());
}

std::string current_directory() {
  std::vector<char> buf(4096);
  while (::getcwd(buf.data(), buf.size()) == nullptr) {
    if (errno != ERANGE) return ".";
    buf.resize(buf.size() * 2);
  }
  return buf.data();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto command = wale::shim::peek_command(args);
  const std::string cwd = current_directory();
  const bool is_fetch = command.subcommand == "wal-fetch";
  const int failure_status =
      is_fetch ? wale::proto::fetch_failure_status(cwd, wale::proto::FetchFailure::transient) : wale::proto::kExitFailure;

  wale::shim::ClientDeadlines deadlines;
  try {
    deadlines.connect_seconds = wale::shim::timeout_from_env("WALE_CONNECT_TIMEOUT", 2);
    deadlines.request_seconds = wale::shim::timeout_from_env("WALE_SHIM_TIMEOUT", 120);
  } catch (const std::invalid_argument& e) {
    complain(e.what());
    return is_fetch ? wale::proto::fetch_failure_status(cwd, wale::proto::FetchFailure::permanent) : wale::proto::kExitUsage;
  }
  deadlines.total = command.subcommand == "wal-push" || is_fetch || command.subcommand == "status";

  const char* socket_env = std::getenv("WALE_SOCKET");
  const std::string socket_path = (socket_env != nullptr && *socket_env != '\0') ? socket_env : kDefaultSocket;

  wale::proto::Request request;
  request.argv = args;
  request.cwd = cwd;
  request.stderr_is_tty = ::isatty(STDERR_FILENO) == 1;
  for (auto name : wale::proto::forwarded_environment()) {
    const std::string key(name);
    if (const char* v = std::getenv(key.c_str()); v != nullptr) request.env[key] = v;
  }

  const auto result = wale::shim::run_through_daemon(socket_path, request, deadlines, failure_status);
  if (!result.not_connected) return result.answer.exit_status;

  const int err = result.not_connected->error;
  // An absent or stopped daemon is the ordinary case for hosts that do not
  // run one; anything else is worth a line in PostgreSQL's log.
  if (err != ENOENT && err != ECONNREFUSED)
    complain("cannot use wal-ed on " + socket_path + " (" + std::strerror(err) + "); running in-process");
  const std::string daemon = wale::shim::find_daemon_binary();
  if (daemon.empty()) {
    complain("wal-ed is not running on " + socket_path +
             " and no wal-ed program was found next to wal-e or on PATH to run the command in-process; install wal-ed");
    return failure_status;
  }
  wale::shim::exec_one_shot(daemon, args);
  complain("could not run " + daemon + ": " + std::strerror(errno));
  return failure_status;
}
