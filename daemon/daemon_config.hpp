// The daemon's configuration, resolved once at start from its command line
// and environment (the same option table as wal-e's).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/config/options.hpp"
#include "common/config/store_settings.hpp"
#include "daemon/backlog_policy.hpp"

namespace wale::daemon {

struct DaemonConfig {
  std::vector<std::string> args;  // wal-ed's command line, for reloads
  config::Environment base_env;   // its process environment, before the envdir
  std::string envdir;             // --envdir: re-read on SIGHUP
  config::Environment env;        // the daemon's environment: its credentials live here
  config::ParsedCommand settings; // parsed "wal-ed" options plus global settings
  config::StorePrefix prefix;
  std::string socket_path;
  std::string walg_socket_path;  // optional second socket, WAL-G's protocol only
  std::string pgdata;            // where WAL-G's clients' file names live; empty: refuse them
  std::string state_dir;
  std::set<unsigned> allowed_uids;  // besides the daemon's own
  std::string socket_group;
  unsigned drain_seconds = 30;
  unsigned store_timeout_seconds = 60;
  std::size_t pool_size = 32;
  std::uint64_t memory_budget = 48u << 20;
  std::string metrics_listen;  // empty: no HTTP endpoint
  BacklogPolicy backlog;
};

// Throws wale::Error(usage) with a one-line message. With --envdir
// (WALE_ENVDIR) the envdir's variables are applied over `env` first.
DaemonConfig load_daemon_config(const std::vector<std::string>& args, const config::Environment& env);

// The configuration a reload (SIGHUP) would bring: the same command line
// and process environment, the envdir read again. Throws like load.
DaemonConfig reload_daemon_config(const DaemonConfig& running);

// Why `next` cannot replace `running` without a restart (the prefix, the
// socket, the state directory, the pools, encryption, logging, the metrics
// address changed): one line naming the setting; empty when it can.
std::string restart_needed(const DaemonConfig& running, const DaemonConfig& next);

// The command a request asks for, parsed with the daemon's environment plus
// the non-secret values the request forwarded. A request that names another
// prefix, or other credentials or encryption, than the daemon serves is
// refused (wale::Error(permanent)) rather than archived to the wrong place.
config::ParsedCommand parse_request(const DaemonConfig& daemon, const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& forwarded_env);

}  // namespace wale::daemon
