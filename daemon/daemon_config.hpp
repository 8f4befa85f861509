// The daemon's configuration, resolved once at start from its command line
// and environment (the same option table as wal-e's).
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/config/options.hpp"
#include "common/config/store_settings.hpp"

namespace wale::daemon {

struct DaemonConfig {
  config::Environment env;        // the daemon's environment: its credentials live here
  config::ParsedCommand settings; // parsed "wal-ed" options plus global settings
  config::StorePrefix prefix;
  std::string socket_path;
  std::string state_dir;
  std::set<unsigned> allowed_uids;  // besides the daemon's own
  std::string socket_group;
  unsigned drain_seconds = 30;
  unsigned store_timeout_seconds = 60;
  std::size_t pool_size = 32;
  std::uint64_t memory_budget = 16u << 20;
};

// Throws wale::Error(usage) with a one-line message.
DaemonConfig load_daemon_config(const std::vector<std::string>& args, const config::Environment& env);

// The command a request asks for, parsed with the daemon's environment plus
// the non-secret values the request forwarded. A request that names another
// prefix, or other credentials or encryption, than the daemon serves is
// refused (wale::Error(permanent)) rather than archived to the wrong place.
config::ParsedCommand parse_request(const DaemonConfig& daemon, const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& forwarded_env);

}  // namespace wale::daemon
