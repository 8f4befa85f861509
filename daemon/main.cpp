// wal-ed: the resident daemon, or (with --one-shot, as the shim runs it
// when no daemon answers) one wal-e command run in this process.
#include <malloc.h>
#include <csignal>
#include <string>
#include <vector>

#include <sys/prctl.h>
#include <unistd.h>

#include "common/command/command.hpp"
#include "common/config/manual.hpp"
#include "common/config/options.hpp"
#include "common/core/error.hpp"
#include "common/core/log.hpp"
#include "daemon/daemon_config.hpp"
#include "daemon/server.hpp"

namespace {

void write_out(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// The process log as WAL-E configures it: WALE_LOG_DESTINATION,
// WALE_SYSLOG_FACILITY, and --terse anywhere before the command.
std::unique_ptr<wale::Log> process_log(const wale::config::Environment& env, const std::vector<std::string>& args,
                                       const char* default_destination) {
  wale::ProcessLogOptions options;
  std::string warning;
  const auto dest = env.find("WALE_LOG_DESTINATION");
  warning = wale::apply_log_destination(dest != env.end() ? dest->second : default_destination, options);
  if (const auto f = env.find("WALE_SYSLOG_FACILITY"); f != env.end()) {
    const std::string facility_warning = wale::apply_syslog_facility(f->second, options);
    if (!facility_warning.empty()) warning += (warning.empty() ? "" : "; ") + facility_warning;
  }
  if (const auto s = env.find("WALE_SYSLOG_SOCKET"); s != env.end()) options.syslog_socket = s->second;
  // Under systemd stderr is the journal: priority prefixes, no second time stamp.
  if (const auto j = env.find("JOURNAL_STREAM"); j != env.end()) options.journal_stderr = wale::stderr_is_journal(j->second);
  for (const auto& a : args) {
    if (a == "--terse") options.min_level = wale::Level::warning;
    if (wale::config::find_command(a) != nullptr) break;
  }
  auto log = wale::make_process_log(options);
  if (!warning.empty()) log->warning("wal_e.main", warning);
  return log;
}

int one_shot(std::vector<std::string> args) {
  if (!args.empty() && args.front() == "--") args.erase(args.begin());
  const auto env = wale::config::process_environment();
  auto log = process_log(env, args, "stderr,syslog");
  std::vector<char> cwd(4096);
  if (::getcwd(cwd.data(), cwd.size()) == nullptr) cwd = {'/', '\0'};
  return wale::command::parse_and_run(args, env, cwd.data(), *log, write_out);
}

int daemon_main(const std::vector<std::string>& args) {
  const auto env = wale::config::process_environment();
  // Under systemd stderr is the journal; syslog would log every line twice.
  auto log = process_log(env, {}, "stderr");
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      write_out("usage: wal-ed [--socket PATH] [--state-dir DIR] [options]\n"
                "       wal-ed --one-shot -- WAL-E-COMMAND...\n\n" +
                wale::config::help_text("wal-ed"));
      return 0;
    }
    if (a == "--options-markdown") {  // the README's option table comes from here
      write_out(wale::config::options_markdown());
      return 0;
    }
    if (a == "--man" || a.starts_with("--man=")) {  // the manual pages (built with the binaries)
      const std::string page = a == "--man" ? (i + 1 < args.size() ? args[i + 1] : "") : a.substr(6);
      try {
        write_out(wale::config::man_page(page, wale::command::version()));
      } catch (const wale::Error& e) {
        wale::command::log_failure(*log, e.what());
        return 2;
      }
      return 0;
    }
    if (a == "--bash-completion") {
      write_out(wale::config::bash_completion());
      return 0;
    }
    if (a == "--version") {
      write_out(std::string(wale::command::version()) + "\n");
      return 0;
    }
  }
  if (::geteuid() == 0) {
    log->error("wal_e.daemon", "wal-ed must not run as root; run it as the database's OS user (e.g. postgres)");
    return 1;
  }
  try {
    wale::daemon::Server server(wale::daemon::load_daemon_config(args, env), *log);
    return server.run();
  } catch (const wale::Error& e) {
    wale::command::log_failure(*log, e.what());
    return e.kind() == wale::ErrorKind::usage ? 2 : 1;
  } catch (const std::exception& e) {
    wale::command::log_failure(*log, std::string("wal-ed failed: ") + e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Both the daemon and a one-shot command hold the store's credentials
  // (the environment, derived signing keys): no core dump of them, and no
  // ptrace or /proc/<pid>/mem by other processes of the same user.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  std::signal(SIGPIPE, SIG_IGN);
  // Segment buffers are large and short-lived: a fixed mmap threshold hands
  // them back to the kernel when freed instead of letting glibc's adaptive
  // threshold keep them in the heap, and few arenas keep RSS flat.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  ::mallopt(M_ARENA_MAX, 4);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "--one-shot") return one_shot({args.begin() + 1, args.end()});
  return daemon_main(args);
}
