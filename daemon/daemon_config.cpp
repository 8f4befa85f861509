#include "daemon/daemon_config.hpp"

#include <array>
#include <charconv>
#include <string_view>

#include "common/core/error.hpp"
#include "daemon/envdir.hpp"
#include "daemon/metrics_endpoint.hpp"
#include "proto/request.hpp"

namespace wale::daemon {
namespace {

// Global settings a request may not change: they select credentials or
// encryption, which belong to the daemon.
constexpr std::array<std::string_view, 5> kDaemonOwned{"aws_access_key_id", "aws_instance_profile", "wabs_account_name",
                                                       "gpg_key_id", "gs_access_key_id"};

std::set<unsigned> parse_uids(const std::string& text) {
  std::set<unsigned> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    unsigned uid = 0;
    const auto r = std::from_chars(item.data(), item.data() + item.size(), uid);
    if (r.ec != std::errc{} || r.ptr != item.data() + item.size())
      throw Error(ErrorKind::usage, "wal-ed: --allow-uid wants a comma list of numeric uids, not '" + text + "'");
    out.insert(uid);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return out;
}

// The variable (or flag) users set a wal-ed setting with.
std::string setting_name(std::string_view key) {
  for (const auto& o : config::option_table())
    if (o.key == key && (o.commands.empty() || o.commands == "wal-ed"))
      return std::string(!o.env.empty() ? o.env : o.long_flag);
  return std::string(key);
}

}  // namespace

DaemonConfig load_daemon_config(const std::vector<std::string>& args, const config::Environment& env) {
  std::vector<std::string> full{"wal-ed"};
  full.insert(full.end(), args.begin(), args.end());
  DaemonConfig c;
  c.args = args;
  c.base_env = env;
  c.env = env;
  c.settings = config::parse_command_line(full, env);
  c.envdir = c.settings.get("envdir");
  if (!c.envdir.empty()) {
    if (c.envdir.front() != '/')
      throw Error(ErrorKind::usage, "wal-ed: the envdir must be an absolute path, not '" + c.envdir + "' (--envdir, WALE_ENVDIR)");
    c.env = apply_envdir(env, c.envdir);
    c.settings = config::parse_command_line(full, c.env);
  }
  if (!c.settings.positionals.empty())
    throw Error(ErrorKind::usage, "wal-ed: unexpected argument '" + c.settings.positionals.front() + "'; see 'wal-ed --help'");
  c.prefix = config::require_prefix(c.settings);
  c.socket_path = c.settings.get("socket");
  c.walg_socket_path = c.settings.get("walg_socket");
  c.pgdata = c.settings.get("pgdata");
  c.state_dir = c.settings.get("state_dir");
  c.allowed_uids = parse_uids(c.settings.get("allow_uid"));
  c.socket_group = c.settings.get("socket_group");
  c.drain_seconds = static_cast<unsigned>(c.settings.get_number("drain_timeout"));
  c.store_timeout_seconds = static_cast<unsigned>(c.settings.get_number("store_timeout"));
  c.pool_size = static_cast<std::size_t>(c.settings.get_number("pool_size"));
  c.memory_budget = static_cast<std::uint64_t>(c.settings.get_number("memory_budget"));
  c.metrics_listen = c.settings.get("metrics_listen");
  if (!c.metrics_listen.empty()) {
    const auto it = c.settings.origin.find("metrics_listen");
    parse_listen_address(c.metrics_listen, it != c.settings.origin.end() ? it->second : "WALE_METRICS_LISTEN");
  }
  c.backlog = parse_backlog_policy(c.settings);
  if (c.socket_path.empty() || c.socket_path.front() != '/')
    throw Error(ErrorKind::usage, "wal-ed: the socket path must be absolute, not '" + c.socket_path + "'");
  if (!c.walg_socket_path.empty() && (c.walg_socket_path.front() != '/' || c.walg_socket_path == c.socket_path))
    throw Error(ErrorKind::usage, "wal-ed: --walg-socket must be an absolute path other than --socket, not '" + c.walg_socket_path +
                                      "' (the main socket serves WAL-G's clients too)");
  if (!c.pgdata.empty() && c.pgdata.front() != '/')
    throw Error(ErrorKind::usage, "wal-ed: the data directory (--pgdata or PGDATA) must be absolute, not '" + c.pgdata + "'");
  if (c.state_dir.empty() || c.state_dir.front() != '/')
    throw Error(ErrorKind::usage, "wal-ed: the state directory must be absolute, not '" + c.state_dir + "'");
  return c;
}

DaemonConfig reload_daemon_config(const DaemonConfig& running) { return load_daemon_config(running.args, running.base_env); }

std::string restart_needed(const DaemonConfig& running, const DaemonConfig& next) {
  if (!running.prefix.url.same_place(next.prefix.url))
    return "the prefix changed from " + running.prefix.url.text + " to " + next.prefix.url.text + " (" + next.prefix.origin + ")";
  // Settings the running daemon is built around.
  constexpr std::array<std::string_view, 14> kAtStart{"socket",          "state_dir",     "socket_group",    "pool_size",
                                                      "memory_budget",   "metrics_listen", "gpg_key_id",     "log_destination",
                                                      "syslog_facility", "syslog_socket",  "envdir",         "terse",
                                                      "walg_socket",     "pgdata"};
  for (auto key : kAtStart) {
    const std::string k(key);
    if (running.settings.get(k) == next.settings.get(k)) continue;
    return setting_name(key) + " changed from '" + running.settings.get(k) + "' to '" + next.settings.get(k) + "'";
  }
  return {};
}

config::ParsedCommand parse_request(const DaemonConfig& daemon, const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& forwarded_env) {
  config::Environment request_env;
  for (const auto& [k, v] : forwarded_env)
    if (proto::is_forwarded_variable(k)) request_env[k] = v;

  // What the request itself asks for, without the daemon's environment.
  const config::ParsedCommand own = config::parse_command_line(argv, request_env);
  if (const auto prefix = config::find_prefix(own); prefix && !prefix->url.same_place(daemon.prefix.url))
    throw Error(ErrorKind::permanent, "this request names the prefix " + prefix->url.text + " (" + prefix->origin +
                                          ") but wal-ed serves " + daemon.prefix.url.text +
                                          "; point the daemon or the command at the same prefix");
  for (auto key : kDaemonOwned) {
    const std::string k(key);
    if (own.has(k) && own.get(k) != daemon.settings.get(k))
      throw Error(ErrorKind::permanent, "this request sets " + own.origin.at(k) +
                                            " differently from wal-ed's configuration; credentials and encryption "
                                            "are configured in the daemon's environment only");
  }

  // The command to run: the daemon's settings, the request's own options.
  config::Environment env = daemon.env;
  for (auto name : proto::forwarded_environment()) env.erase(std::string(name));
  for (const auto& [k, v] : request_env) env[k] = v;
  for (const auto& [k, v] : daemon.env)
    if (k.starts_with("WALE_") && k.ends_with("_PREFIX")) env[k] = v;
  if (daemon.env.count("WALE_GPG_KEY_ID")) env["WALE_GPG_KEY_ID"] = daemon.env.at("WALE_GPG_KEY_ID");
  return config::parse_command_line(argv, env);
}

}  // namespace wale::daemon
