#include "common/config/options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

#include "common/core/error.hpp"

extern char** environ;

namespace wale::config {
namespace {

using K = ValueKind;

// clang-format off
constexpr std::array kOptions{
  // Global options (WAL-E's cmd.py), before the command.
  OptionSpec{"aws_access_key_id", "--aws-access-key-id", "-k", "AWS_ACCESS_KEY_ID", K::text, "", "", "S3 access key id (the secret comes from AWS_SECRET_ACCESS_KEY only)", "ID"},
  OptionSpec{"aws_instance_profile", "--aws-instance-profile", "", "AWS_INSTANCE_PROFILE", K::flag, "", "", "take S3 credentials from the EC2 instance profile (IMDSv2)"},
  OptionSpec{"gs_access_key_id", "--gs-access-key-id", "", "GS_ACCESS_KEY_ID", K::text, "", "", "accepted for compatibility; unused, as in WAL-E", "ID"},
  OptionSpec{"wabs_account_name", "--wabs-account-name", "-a", "WABS_ACCOUNT_NAME", K::text, "", "", "Azure storage account name", "NAME"},
  OptionSpec{"s3_prefix", "--s3-prefix", "", "WALE_S3_PREFIX", K::text, "", "", "store in S3: s3://bucket/path", "URL"},
  OptionSpec{"wabs_prefix", "--wabs-prefix", "", "WALE_WABS_PREFIX", K::text, "", "", "store in Azure Blob Storage: wabs://container/path", "URL"},
  OptionSpec{"gs_prefix", "--gs-prefix", "", "WALE_GS_PREFIX", K::text, "", "", "store in Google Cloud Storage: gs://bucket/path", "URL"},
  OptionSpec{"file_prefix", "--file-prefix", "", "WALE_FILE_PREFIX", K::text, "", "", "store in a local directory: file://localhost/abs/dir", "URL"},
  OptionSpec{"swift_prefix", "", "", "WALE_SWIFT_PREFIX", K::text, "", "", "store in OpenStack Swift: swift://container/path", "URL"},
  OptionSpec{"gpg_key_id", "--gpg-key-id", "", "WALE_GPG_KEY_ID", K::text, "", "", "encrypt on push and decrypt on fetch with this GPG key", "KEY"},
  OptionSpec{"terse", "--terse", "", "", K::flag, "", "", "log warnings and errors only"},
  // Settings taken from the environment only.
  OptionSpec{"aws_secret_access_key", "", "", "AWS_SECRET_ACCESS_KEY", K::text, "", "", "S3 secret access key"},
  OptionSpec{"aws_security_token", "", "", "AWS_SECURITY_TOKEN", K::text, "", "", "S3 session token (WAL-E's name)"},
  OptionSpec{"aws_session_token", "", "", "AWS_SESSION_TOKEN", K::text, "", "", "S3 session token"},
  OptionSpec{"aws_region", "", "", "AWS_REGION", K::text, "", "", "S3 region"},
  OptionSpec{"s3_endpoint", "", "", "WALE_S3_ENDPOINT", K::text, "", "", "S3 endpoint: http+path://host:port, https+virtualhost://host, ..."},
  OptionSpec{"s3_storage_class", "", "", "WALE_S3_STORAGE_CLASS", K::text, "STANDARD", "", "S3 storage class for new objects"},
  OptionSpec{"s3_sse", "", "", "WALE_S3_SSE", K::text, "", "", "S3 server-side encryption to request (e.g. AES256); none by default"},
  OptionSpec{"s3_ca_file", "", "", "WALE_S3_CA_FILE", K::text, "", "", "PEM file of the CA that signed a private S3 endpoint's certificate"},
  OptionSpec{"s3_part_size", "", "", "WALE_S3_PART_SIZE", K::count, "8388608", "", "bytes per part of a multipart upload (at least 5 MiB)"},
  OptionSpec{"s3_part_concurrency", "", "", "WALE_S3_PART_CONCURRENCY", K::count, "2", "", "parts of one multipart upload in flight at once"},
  OptionSpec{"s3_metadata_endpoint", "", "", "AWS_EC2_METADATA_SERVICE_ENDPOINT", K::text, "http://169.254.169.254", "", "instance metadata service for --aws-instance-profile"},
  OptionSpec{"wabs_access_key", "", "", "WABS_ACCESS_KEY", K::text, "", "", "Azure storage account key (SharedKey); wins over WABS_SAS_TOKEN"},
  OptionSpec{"wabs_sas_token", "", "", "WABS_SAS_TOKEN", K::text, "", "", "Azure SAS token, added to every request; used when WABS_ACCESS_KEY is not set"},
  OptionSpec{"wabs_endpoint", "", "", "WALE_WABS_ENDPOINT", K::text, "", "", "Azure Blob endpoint: https://host[:port][/path] (default https://ACCOUNT.blob.core.windows.net; Azurite: http://127.0.0.1:10000/devstoreaccount1)"},
  OptionSpec{"wabs_ca_file", "", "", "WALE_WABS_CA_FILE", K::text, "", "", "PEM file of the CA that signed a private Azure endpoint's certificate"},
  OptionSpec{"wabs_block_size", "", "", "WALE_WABS_BLOCK_SIZE", K::count, "8388608", "", "bytes per block of a large Azure upload (1 MiB to 4000 MiB)"},
  OptionSpec{"wabs_block_concurrency", "", "", "WALE_WABS_BLOCK_CONCURRENCY", K::count, "2", "", "blocks of one Azure upload in flight at once"},
  OptionSpec{"gs_secret_access_key", "", "", "GS_SECRET_ACCESS_KEY", K::text, "", "", "accepted for compatibility; unused, as in WAL-E"},
  OptionSpec{"google_application_credentials", "", "", "GOOGLE_APPLICATION_CREDENTIALS", K::text, "", "", "Google credentials file (a service-account key, or gcloud's application-default credentials); without it, the Compute Engine metadata server"},
  OptionSpec{"gs_endpoint", "", "", "WALE_GS_ENDPOINT", K::text, "", "", "another Cloud Storage endpoint: https://host[:port] (a private endpoint), or http://host:port (an emulator, reached without credentials unless GOOGLE_APPLICATION_CREDENTIALS is set)"},
  OptionSpec{"storage_emulator_host", "", "", "STORAGE_EMULATOR_HOST", K::text, "", "", "a Cloud Storage emulator (host:port), as Google's client libraries read it; WALE_GS_ENDPOINT wins over it"},
  OptionSpec{"gce_metadata_host", "", "", "GCE_METADATA_HOST", K::text, "metadata.google.internal", "", "the Compute Engine metadata server (host[:port]) that gives credentials when GOOGLE_APPLICATION_CREDENTIALS is not set"},
  OptionSpec{"gs_chunk_size", "", "", "WALE_GS_CHUNK_SIZE", K::count, "16777216", "", "bytes per chunk of a Cloud Storage resumable upload (a multiple of 262144)"},
  OptionSpec{"swift_authurl", "", "", "SWIFT_AUTHURL", K::text, "", "", "Swift authentication URL: Keystone (https://host:5000/v3) or tempauth (http://host:8080/auth/v1.0)"},
  OptionSpec{"swift_user", "", "", "SWIFT_USER", K::text, "", "", "Swift user (tempauth: account:user; Keystone: user or tenant:user)"},
  OptionSpec{"swift_password", "", "", "SWIFT_PASSWORD", K::text, "", "", "Swift password or key"},
  OptionSpec{"swift_tenant", "", "", "SWIFT_TENANT", K::text, "", "", "Keystone tenant (project) name"},
  OptionSpec{"swift_region", "", "", "SWIFT_REGION", K::text, "", "", "Keystone catalog region of the Swift endpoint (default: the first)"},
  OptionSpec{"swift_endpoint_type", "", "", "SWIFT_ENDPOINT_TYPE", K::text, "publicURL", "", "Keystone catalog endpoint type: publicURL, internalURL or adminURL"},
  OptionSpec{"swift_auth_version", "", "", "SWIFT_AUTH_VERSION", K::text, "2", "", "Swift authentication: 1 (tempauth), 2 or 3 (Keystone)"},
  OptionSpec{"swift_domain_id", "", "", "SWIFT_DOMAIN_ID", K::text, "", "", "accepted for compatibility; unused, as in WAL-E (use SWIFT_USER_DOMAIN_ID, SWIFT_PROJECT_DOMAIN_ID)"},
  OptionSpec{"swift_domain_name", "", "", "SWIFT_DOMAIN_NAME", K::text, "", "", "accepted for compatibility; unused, as in WAL-E (use SWIFT_USER_DOMAIN_NAME, SWIFT_PROJECT_DOMAIN_NAME)"},
  OptionSpec{"swift_tenant_id", "", "", "SWIFT_TENANT_ID", K::text, "", "", "Keystone tenant (project) id"},
  OptionSpec{"swift_user_id", "", "", "SWIFT_USER_ID", K::text, "", "", "Keystone v3 user id (instead of SWIFT_USER)"},
  OptionSpec{"swift_user_domain_id", "", "", "SWIFT_USER_DOMAIN_ID", K::text, "", "", "Keystone v3 user domain id (default: default)"},
  OptionSpec{"swift_user_domain_name", "", "", "SWIFT_USER_DOMAIN_NAME", K::text, "", "", "Keystone v3 user domain name"},
  OptionSpec{"swift_project_id", "", "", "SWIFT_PROJECT_ID", K::text, "", "", "Keystone v3 project id"},
  OptionSpec{"swift_project_name", "", "", "SWIFT_PROJECT_NAME", K::text, "", "", "Keystone v3 project name"},
  OptionSpec{"swift_project_domain_id", "", "", "SWIFT_PROJECT_DOMAIN_ID", K::text, "", "", "Keystone v3 project domain id (default: default)"},
  OptionSpec{"swift_project_domain_name", "", "", "SWIFT_PROJECT_DOMAIN_NAME", K::text, "", "", "Keystone v3 project domain name"},
  OptionSpec{"swift_ca_file", "", "", "WALE_SWIFT_CA_FILE", K::text, "", "", "PEM file of the CA that signed a private Swift or Keystone endpoint's certificate"},
  OptionSpec{"swift_segment_size", "", "", "WALE_SWIFT_SEGMENT_SIZE", K::count, "8388608", "", "bytes per segment of a Swift large object (at least 1 MiB; at most 1000 segments an object)"},
  OptionSpec{"swift_segment_concurrency", "", "", "WALE_SWIFT_SEGMENT_CONCURRENCY", K::count, "2", "", "segments of one Swift large object in flight at once"},
  OptionSpec{"log_destination", "", "", "WALE_LOG_DESTINATION", K::text, "stderr,syslog", "", "where log lines go: a comma list of stderr and syslog"},
  OptionSpec{"syslog_facility", "", "", "WALE_SYSLOG_FACILITY", K::text, "user", "", "syslog facility (user, local0 ... local7)"},
  OptionSpec{"syslog_socket", "", "", "WALE_SYSLOG_SOCKET", K::text, "", "", "syslog socket (default: /dev/log, /var/run/log or /var/run/syslog)"},
  OptionSpec{"retries", "", "", "WALE_RETRIES", K::count, "100", "", "attempts for a retryable store operation"},
  OptionSpec{"store_timeout", "", "", "WALE_STORE_TIMEOUT", K::count, "60", "", "seconds a wal-push or wal-fetch waits for an unavailable store before failing"},
  OptionSpec{"list_page_size", "", "", "WALE_LIST_PAGE_SIZE", K::count, "", "", "objects asked for per listing request (default: the most the store allows)"},
  OptionSpec{"compression", "", "", "WALE_COMPRESSION", K::choice, "lzop", "", "compression of new objects: lzop (the default and the only one WAL-E can read), lz4 or zstd; reading picks by suffix", "lzop|lz4|zstd"},
  // libpq's connection settings for backup-push (PGPASSWORD and the rest
  // are read by libpq itself and never forwarded by the shim).
  OptionSpec{"pg_host", "", "", "PGHOST", K::text, "", "backup-push check", "PostgreSQL host or socket directory (default: from the data directory's postmaster.pid)"},
  OptionSpec{"pg_port", "", "", "PGPORT", K::text, "", "backup-push check", "PostgreSQL port (default: from postmaster.pid)"},
  OptionSpec{"pg_user", "", "", "PGUSER", K::text, "", "backup-push check", "PostgreSQL user"},
  OptionSpec{"pg_database", "", "", "PGDATABASE", K::text, "postgres", "backup-push check", "database to connect to"},
  OptionSpec{"pg_sslmode", "", "", "PGSSLMODE", K::text, "", "backup-push check", "libpq sslmode"},
  // Per-command options.
  OptionSpec{"pool_size", "--pool-size", "-p", "", K::count, "32", "wal-push", "segments archived at once: the given one plus .ready ones read ahead", "N"},
  OptionSpec{"prefetch", "--prefetch", "-p", "", K::number, "8", "wal-fetch", "segments to download ahead during recovery (0 disables)", "N"},
  OptionSpec{"pool_size", "--pool-size", "-p", "", K::count, "4", "backup-push backup-fetch", "partitions transferred at once", "N"},
  OptionSpec{"cluster_read_rate_limit", "--cluster-read-rate-limit", "", "", K::count, "", "backup-push", "limit reading the cluster to this many bytes per second", "BYTES_PER_SECOND"},
  OptionSpec{"while_offline", "--while-offline", "", "", K::flag, "", "backup-push", "back up a stopped cluster"},
  OptionSpec{"fast_checkpoint", "--fast-checkpoint", "", "", K::flag, "", "backup-push", "start with an immediate checkpoint instead of a spread one"},
  OptionSpec{"blind_restore", "--blind-restore", "", "", K::flag, "", "backup-fetch", "restore tablespaces into pg_tblspc without checking their symlinks"},
  OptionSpec{"restore_spec", "--restore-spec", "", "", K::text, "", "backup-fetch", "tablespace restore specification: a JSON file, or SOURCE", "FILE"},
  OptionSpec{"detail", "--detail", "", "", K::flag, "", "backup-list", "read each backup's sentinel for its size and stop position"},
  OptionSpec{"json", "--json", "", "", K::flag, "", "backup-list verify", "print JSON (backup-list: instead of WAL-E's tab-separated table)"},
  OptionSpec{"deep", "--deep", "", "", K::flag, "", "verify", "also download and decode every WAL object and partition, checking checksums"},
  OptionSpec{"dry_run", "--dry-run", "-n", "", K::flag, "", "delete", "only print what would be deleted (the default)"},
  OptionSpec{"confirm", "--confirm", "", "", K::flag, "", "delete", "really delete (unless --dry-run is given too)"},
  OptionSpec{"prometheus", "--prometheus", "", "", K::flag, "", "status", "print Prometheus' text exposition format instead of JSON"},
  OptionSpec{"check_timeout", "--timeout", "", "", K::count, "60", "check", "seconds to wait for the segment to reach the store", "SECONDS"},
  // The daemon's own options (wal-ed).
  OptionSpec{"socket", "--socket", "", "WALE_SOCKET", K::text, "/run/wal-e/wal-ed.sock", "wal-ed", "Unix socket to listen on", "PATH"},
  OptionSpec{"state_dir", "--state-dir", "", "WALE_STATE_DIR", K::text, "/var/lib/wal-e", "wal-ed", "directory for the journal and the lock file", "DIR"},
  OptionSpec{"allow_uid", "--allow-uid", "", "WALE_ALLOW_UIDS", K::text, "", "wal-ed", "comma list of uids allowed on the socket besides the daemon's own", "UIDS"},
  OptionSpec{"socket_group", "--socket-group", "", "WALE_SOCKET_GROUP", K::text, "", "wal-ed", "make the socket mode 0660 with this group", "GROUP"},
  OptionSpec{"drain_timeout", "--drain-timeout", "", "WALE_DRAIN_TIMEOUT", K::count, "30", "wal-ed", "seconds SIGTERM waits for in-flight uploads", "SECONDS"},
  OptionSpec{"pool_size", "--pool-size", "-p", "", K::count, "32", "wal-ed", "uploads and downloads in flight at once", "N"},
  OptionSpec{"memory_budget", "--memory-budget", "", "WALE_MEMORY_BUDGET", K::count, "50331648", "wal-ed", "bytes of segment data held in memory at once", "BYTES"},
  OptionSpec{"walg_socket", "--walg-socket", "", "WALE_WALG_SOCKET", K::text, "", "wal-ed", "a second Unix socket for WAL-G's clients (the main socket serves them too)", "PATH"},
  OptionSpec{"pgdata", "--pgdata", "", "PGDATA", K::text, "", "wal-ed", "the data directory WAL-G's clients name files in (needed only for them)", "DIR"},
  OptionSpec{"envdir", "--envdir", "", "WALE_ENVDIR", K::text, "", "wal-ed", "read the configuration from this envdir (daemontools' format) at start and again on SIGHUP", "DIR"},
  OptionSpec{"metrics_listen", "--metrics-listen", "", "WALE_METRICS_LISTEN", K::text, "", "wal-ed", "serve Prometheus metrics at http://[HOST:]PORT/metrics (HOST 127.0.0.1 unless given); off by default", "[HOST:]PORT"},
  OptionSpec{"backlog_warning", "--backlog-warning", "", "WALE_BACKLOG_WARNING", K::text, "20%", "wal-ed", "log a WARNING when a pg_wal's archive backlog reaches this size (2GB) or share of the space it can grow into (20%)", "SIZE|N%"},
  OptionSpec{"backlog_critical", "--backlog-critical", "", "WALE_BACKLOG_CRITICAL", K::text, "50%", "wal-ed", "log an ERROR when a pg_wal's archive backlog reaches this size or share", "SIZE|N%"},
  OptionSpec{"drop_wal_above", "--drop-wal-above", "", "WALE_DROP_WAL_ABOVE", K::text, "", "wal-ed", "LOSES WAL, off unless set: above this backlog (a size with its unit, or N%), while the store is failing, report segments archived without storing them", "SIZE|N%"},
  OptionSpec{"stuck_timeout", "--stuck-timeout", "", "WALE_STUCK_TIMEOUT", K::count, "600", "wal-ed", "seconds one WAL file may keep failing before wal-ed logs that archiving is stuck on it", "SECONDS"},
};

constexpr std::array kCommands{
  CommandSpec{"version", "", "print the version"},
  CommandSpec{"wal-push", "WAL_SEGMENT", "archive one WAL file (archive_command = 'wal-e wal-push %p')"},
  CommandSpec{"wal-fetch", "WAL_SEGMENT WAL_DESTINATION", "restore one WAL file (restore_command = 'wal-e wal-fetch %f %p')"},
  CommandSpec{"wal-prefetch", "BASE_DIRECTORY SEGMENT", "internal: download a segment ahead of recovery"},
  CommandSpec{"backup-push", "PG_CLUSTER_DIRECTORY", "take a base backup of a running cluster"},
  CommandSpec{"backup-fetch", "PG_CLUSTER_DIRECTORY BACKUP_NAME", "restore a base backup (a name or LATEST)"},
  CommandSpec{"backup-list", "QUERY?", "list base backups (all, a name, or LATEST)"},
  CommandSpec{"delete", "TARGET ARGUMENT?", "delete old backups and WAL: before NAME | retain N | old-versions | everything"},
  CommandSpec{"verify", "", "check that the archive can restore: backups, partitions, the WAL chain"},
  CommandSpec{"check", "PG_CLUSTER_DIRECTORY?", "switch WAL through PostgreSQL and wait until the segment is in the store"},
  CommandSpec{"status", "", "print the daemon's state as JSON (or --prometheus)"},
  CommandSpec{"wal-ed", "", "run the daemon"},
};
// clang-format on

bool in_list(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const auto space = list.find(' ');
    if (list.substr(0, space) == word) return true;
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return false;
}

bool applies(const OptionSpec& o, std::string_view command) {
  return command.empty() ? o.commands.empty() : in_list(o.commands, command);
}

std::string usage_hint(std::string_view command) {
  return command.empty() ? "see 'wal-e --help'" : "see 'wal-e " + std::string(command) + " --help'";
}

[[noreturn]] void usage_error(std::string_view command, const std::string& what) {
  const std::string who = command.empty() ? "wal-e" : "wal-e " + std::string(command);
  throw Error(ErrorKind::usage, who + ": " + what + "; " + usage_hint(command));
}

const OptionSpec* find_flag(std::string_view flag, std::string_view command) {
  for (const auto& o : kOptions)
    if (applies(o, command) && !flag.empty() && (o.long_flag == flag || o.short_flag == flag)) return &o;
  // The daemon takes the global options (its store configuration) too.
  if (command == "wal-ed") return find_flag(flag, "");
  return nullptr;
}

std::optional<bool> parse_boolean(std::string_view v) {
  std::string lower(v);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty() || lower == "0" || lower == "false") return false;
  if (lower == "1" || lower == "true") return true;
  return std::nullopt;
}

void check_value(const OptionSpec& o, std::string_view command, std::string_view source, const std::string& value) {
  if (o.kind == K::choice) {
    for (std::string_view rest = o.metavar; !rest.empty();) {
      const auto bar = rest.find('|');
      if (rest.substr(0, bar) == value) return;
      rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    }
    std::string words(o.metavar);
    std::replace(words.begin(), words.end(), '|', ' ');
    usage_error(command, std::string(source) + " wants one of " + words + ", not '" + value + "'");
  }
  if (o.kind == K::count || o.kind == K::number) {
    long long n = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), n);
    const bool ok = r.ec == std::errc{} && r.ptr == value.data() + value.size() && (o.kind == K::number ? n >= 0 : n > 0);
    if (!ok)
      usage_error(command, std::string(source) + " wants " + (o.kind == K::number ? "a non-negative" : "a positive") +
                               " integer, not '" + value + "'");
  }
}

// Takes the value of an option: "--flag=value", "-kVALUE" or the next argument.
std::string take_value(const std::vector<std::string>& args, std::size_t& i, std::string_view arg, const OptionSpec& o,
                       std::string_view command) {
  const auto eq = arg.find('=');
  if (arg.starts_with("--") && eq != std::string_view::npos) return std::string(arg.substr(eq + 1));
  if (!arg.starts_with("--") && arg.size() > 2) return std::string(arg.substr(2));
  if (i + 1 >= args.size()) usage_error(command, std::string(o.long_flag) + " needs a value");
  return args[++i];
}

}  // namespace

std::span<const OptionSpec> option_table() { return kOptions; }
bool option_applies(const OptionSpec& o, std::string_view command) { return applies(o, command); }
std::span<const CommandSpec> command_table() { return kCommands; }

const CommandSpec* find_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

Environment process_environment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::string ParsedCommand::get(std::string_view key, std::string fallback) const {
  const auto it = values.find(std::string(key));
  return it == values.end() ? fallback : it->second;
}

long long ParsedCommand::get_number(std::string_view key) const {
  const std::string v = get(key, "0");
  long long n = 0;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

bool ParsedCommand::get_flag(std::string_view key) const { return get(key) == "1"; }

ParsedCommand parse_command_line(const std::vector<std::string>& args, const Environment& env) {
  ParsedCommand out;
  std::string_view scope;  // "" while reading global options
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg.size() > 1 && arg[0] == '-') {
      if (arg == "-h" || arg == "--help") {
        out.help = true;
        continue;
      }
      const std::string_view flag = std::string_view(arg).substr(0, arg.starts_with("--") ? arg.find('=') : 2);
      const OptionSpec* o = find_flag(flag, scope);
      if (o == nullptr) {
        // A global option after the command, or a command option before it,
        // is what argparse would reject too; say which.
        if (!scope.empty() && find_flag(flag, "") != nullptr)
          usage_error(scope, "the global option " + std::string(flag) + " must come before the command");
        usage_error(scope, "unknown option '" + arg + "'");
      }
      if (o->kind == K::flag) {
        if (arg.find('=') != std::string::npos || (!arg.starts_with("--") && arg.size() > 2))
          usage_error(scope, "unknown option '" + arg + "' (" + std::string(o->long_flag) + " takes no value)");
        out.values[std::string(o->key)] = "1";
      } else {
        std::string value = take_value(args, i, arg, *o, scope);
        // An empty value counts as not given, as in WAL-E (`args.x or
        // os.getenv(...)`): the environment or the default still apply.
        if (value.empty() && o->kind == K::text) continue;
        check_value(*o, scope, o->long_flag, value);
        out.values[std::string(o->key)] = std::move(value);
      }
      out.origin[std::string(o->key)] = std::string(o->long_flag);
      continue;
    }
    if (scope.empty()) {
      const CommandSpec* c = find_command(arg);
      if (c == nullptr) usage_error("", "unknown command '" + arg + "'");
      out.command = arg;
      scope = c->name;
      options_done = false;
      continue;
    }
    out.positionals.push_back(arg);
  }

  // Environment, then defaults, for what the command line did not set.
  for (const auto& o : kOptions) {
    if (!o.commands.empty() && !in_list(o.commands, out.command)) continue;
    const std::string key(o.key);
    if (out.values.count(key)) continue;
    if (!o.env.empty()) {
      const auto it = env.find(std::string(o.env));
      if (it != env.end()) {
        if (o.kind == K::flag || o.kind == K::boolean) {
          const auto b = parse_boolean(it->second);
          if (!b) usage_error("", std::string(o.env) + "='" + it->second + "' is not a boolean; use 1, true, 0 or false");
          if (*b) out.values[key] = "1";
          out.origin[key] = std::string(o.env);
          continue;
        }
        if (!it->second.empty()) {
          check_value(o, "", o.env, it->second);
          out.values[key] = it->second;
          out.origin[key] = std::string(o.env);
          continue;
        }
      }
    }
    if (!o.default_value.empty()) out.values[key] = std::string(o.default_value);
  }

  if (out.help || out.command.empty() || out.command == "wal-ed") return out;
  // Positionals: "A B?" means A required, B optional.
  const CommandSpec* c = find_command(out.command);
  std::vector<std::string_view> wanted;
  std::size_t required = 0;
  for (std::string_view rest = c->positionals; !rest.empty();) {
    const auto space = rest.find(' ');
    const std::string_view word = rest.substr(0, space);
    wanted.push_back(word);
    if (!word.ends_with('?')) ++required;
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }
  if (out.positionals.size() < required)
    usage_error(out.command, "missing " + std::string(wanted[out.positionals.size()]));
  if (out.positionals.size() > wanted.size())
    usage_error(out.command, "unexpected argument '" + out.positionals[wanted.size()] + "'");
  return out;
}

std::string help_text(std::string_view command) {
  std::string out;
  const CommandSpec* c = command.empty() ? nullptr : find_command(command);
  if (c == nullptr) {
    out += "usage: wal-e [global options] COMMAND [options] [arguments]\n\ncommands:\n";
    for (const auto& cmd : kCommands) {
      if (cmd.name == "wal-ed" || cmd.name == "wal-prefetch") continue;
      out += "  " + std::string(cmd.name);
      out.append(cmd.name.size() < 14 ? 14 - cmd.name.size() : 1, ' ');
      out += std::string(cmd.help) + "\n";
    }
    out += "\nglobal options:\n";
  } else {
    out += "usage: wal-e " + std::string(c->name) + " [options] " + std::string(c->positionals) + "\n\n" +
           std::string(c->help) + "\n\noptions:\n";
  }
  for (const auto& o : kOptions) {
    const bool shown = applies(o, command) || (command == "wal-ed" && o.commands.empty());
    if (!shown || o.long_flag.empty()) continue;
    std::string flags = o.short_flag.empty() ? std::string(o.long_flag) : std::string(o.short_flag) + ", " + std::string(o.long_flag);
    if (!o.metavar.empty()) flags += " " + std::string(o.metavar);
    out += "  " + flags;
    out.append(flags.size() < 34 ? 34 - flags.size() : 1, ' ');
    out += std::string(o.help);
    if (!o.env.empty()) out += " [$" + std::string(o.env) + "]";
    if (!o.default_value.empty()) out += " (default " + std::string(o.default_value) + ")";
    out += "\n";
  }
  if (c != nullptr && command != "wal-ed") return out;
  // Settings only the environment (or an envdir) gives.
  out += "\nenvironment:\n";
  for (const auto& o : kOptions) {
    if (!o.long_flag.empty() || !o.commands.empty()) continue;
    std::string name(o.env);
    if (!o.metavar.empty()) name += "=" + std::string(o.metavar);
    out += "  " + name;
    out.append(name.size() < 34 ? 34 - name.size() : 1, ' ');
    out += std::string(o.help);
    if (!o.default_value.empty()) out += " (default " + std::string(o.default_value) + ")";
    out += "\n";
  }
  return out;
}

std::string options_markdown() {
  std::string out = "| option | environment | default | commands | meaning |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& o : kOptions) {
    std::string flags = o.short_flag.empty() ? std::string(o.long_flag) : std::string(o.short_flag) + ", " + std::string(o.long_flag);
    out += "| " + (flags.empty() ? std::string("—") : "`" + flags + "`") + " | " +
           (o.env.empty() ? std::string("—") : "`" + std::string(o.env) + "`") + " | " +
           (o.default_value.empty() ? std::string("—") : "`" + std::string(o.default_value) + "`") + " | " +
           (o.commands.empty() ? std::string("all") : std::string(o.commands)) + " | " + std::string(o.help) + " |\n";
  }
  return out;
}

}  // namespace wale::config
