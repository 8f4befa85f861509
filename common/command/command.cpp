#include "common/command/command.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#include "common/codec/gpg.hpp"
#include "common/command/commands.hpp"
#include "common/command/wal_fetch.hpp"
#include "common/command/wal_object.hpp"
#include "common/config/store_settings.hpp"
#include "common/core/file.hpp"
#include "common/core/retry.hpp"
#include "common/archive/layout.hpp"
#include "proto/exit_status.hpp"

#ifndef WALE_VERSION
#define WALE_VERSION "0.1.0"
#endif

namespace wale::command {
namespace {

using Clock = std::chrono::steady_clock;

RetryPolicy store_retry_policy(const config::ParsedCommand& cmd) {
  RetryPolicy policy;
  policy.max_attempts = static_cast<int>(cmd.get_number("retries"));
  policy.deadline = Clock::now() + std::chrono::seconds(cmd.get_number("store_timeout"));
  return policy;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// In-process wal-push: the given file plus, read ahead, other .ready
// segments (WAL-E's --pool-size), uploaded in parallel. Unlike WAL-E the
// .ready files are left for PostgreSQL to rename: its next call finds the
// segment stored and returns at once.
// The daemon's shared store, or one opened for this command.
class StoreHandle {
 public:
  explicit StoreHandle(const CommandContext& ctx) {
    if (ctx.store != nullptr) {
      store_ = ctx.store;
    } else {
      const auto prefix = config::require_prefix(ctx.cmd);
      owned_ = config::open_store(prefix, ctx.cmd);
      store_ = owned_.get();
    }
    config::check_options_apply(ctx.cmd, store_->url());
  }
  storage::BlobStore& operator*() const { return *store_; }
  storage::BlobStore* operator->() const { return store_; }

 private:
  std::unique_ptr<storage::BlobStore> owned_;
  storage::BlobStore* store_ = nullptr;
};

int wal_push(CommandContext& ctx) {
  StoreHandle store(ctx);
  const pg::WalSource given = pg::resolve_wal_source(ctx.cwd, ctx.cmd.positionals.at(0));
  const auto pool = static_cast<std::size_t>(ctx.cmd.get_number("pool_size"));
  const auto extra = pg::ready_segments(given.wal_dir, given.name.name, pool - 1);
  const RetryPolicy policy = store_retry_policy(ctx.cmd);
  const codec::ObjectEncoding encoding = encoding_of(ctx.cmd);

  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::string given_failure;
  auto archive_one = [&](std::size_t index) {
    pg::WalSource source;
    try {
      source = index == 0 ? given : pg::resolve_wal_source(given.wal_dir, extra[index - 1]);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::not_found) return;  // PostgreSQL archived and recycled it meanwhile
      throw;
    }
    const auto start = Clock::now();
    // A segment read ahead is only looked for: when it is there already
    // (read ahead by an earlier call), the call PostgreSQL makes for it
    // compares its content. Hashing every stored neighbour on every call
    // would read up to --pool-size segments for nothing.
    if (index > 0 && retry_transient(policy, ctx.log, "look-up of " + source.name.name, [&] {
          return find_wal_object(*store, source.name.name, encoding.compression).has_value();
        }))
      return;
    // Read ahead by an earlier call, or pushed again after a crash: no
    // compression and no upload needed.
    if (retry_transient(policy, ctx.log, "look-up of " + source.name.name, [&] { return already_in_store(*store, source, encoding); })) {
      log_push_complete(ctx.log, *store, source, encoding.compression, StoreOutcome::already_stored, source.identity.size,
                        seconds_since(start));
      return;
    }
    log_push_begin(ctx.log, *store, source, encoding.compression);
    const auto prepared = prepare_wal_object(source, encoding);
    const auto outcome = retry_transient(policy, ctx.log, "upload of " + prepared.key,
                                         [&] { return store_wal_object(*store, prepared, encoding); });
    log_push_complete(ctx.log, *store, source, encoding.compression, outcome, prepared.raw_size, seconds_since(start));
  };
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) <= extra.size();) {
      try {
        archive_one(i);
      } catch (const std::exception& e) {
        if (i == 0) {
          std::lock_guard lock(failure_mutex);
          given_failure = e.what();
        } else {
          ctx.log.warning("wal_e.worker.upload", "could not archive a segment read ahead", e.what(),
                          "PostgreSQL will ask for it again");
        }
      }
    }
  };
  // Each worker holds one compressed segment in memory.
  const std::size_t width = std::min<std::size_t>({pool, extra.size() + 1, 8});
  std::vector<std::jthread> workers;
  for (std::size_t i = 1; i < width; ++i) workers.emplace_back(worker);
  worker();
  workers.clear();
  if (!given_failure.empty()) {
    log_failure(ctx.log, "could not archive " + given.path + ": " + given_failure);
    return proto::kExitFailure;
  }
  return proto::kExitOk;
}

int wal_fetch(CommandContext& ctx) {
  StoreHandle store(ctx);
  const std::string& name = ctx.cmd.positionals.at(0);
  const std::string destination = lexically_join(ctx.cwd, ctx.cmd.positionals.at(1));
  const codec::ObjectEncoding encoding = encoding_of(ctx.cmd);
  const std::string url = store->url().url_for(archive::wal_key(name, encoding.compression));
  const std::vector<std::pair<std::string, std::string>> fields{
      {"action", "wal-fetch"}, {"key", url}, {"prefix", store->url().path_prefix}, {"seg", name}};
  const auto start = Clock::now();
  const auto depth = static_cast<std::size_t>(ctx.cmd.get_number("prefetch"));
  const auto fetched = retry_transient(store_retry_policy(ctx.cmd), ctx.log, "download of " + url, [&] {
    return ctx.fetch_wal ? ctx.fetch_wal(name, destination, depth) : fetch_wal_file(*store, name, destination, encoding);
  });
  if (fetched.outcome == FetchOutcome::not_found) {
    ctx.log.write(LogRecord{Level::info, "wal_e.blobstore", "could no longer locate object while performing wal restore",
                            "The absolute URI that could not be located is " + url + ".",
                            "This can be normal when Postgres is trying to detect what timelines are available during restoration.",
                            fields});
    ctx.archive_lacks_file = true;
    return proto::fetch_failure_status(ctx.cwd, proto::FetchFailure::not_found);
  }
  auto done = fields;
  done.emplace_back("state", "complete");
  done.emplace_back("rate", format_kib_per_second(fetched.bytes, seconds_since(start)));
  if (fetched.from_prefetch) done.emplace_back("source", "prefetch");
  if (fetched.from_prefetch)
    ctx.log.info("wal_e.operator.backup", "promoted prefetched wal segment",
                 "\"" + name + "\" was downloaded ahead and is now \"" + destination + "\".", std::move(done));
  else
    ctx.log.info("wal_e.worker.download", "complete wal restore", "Restored \"" + url + "\" to \"" + destination + "\".",
                 std::move(done));
  return proto::kExitOk;
}

int status(CommandContext& ctx) {
  const char* socket = std::getenv("WALE_SOCKET");
  // archive_command keeps working without the daemon (the shim runs
  // in-process); a server archiving through the module does not.
  log_failure(ctx.log, std::string("wal-ed is not running on ") + (socket != nullptr && *socket ? socket : "/run/wal-e/wal-ed.sock") +
                           "; start it (systemctl start wal-ed): until then servers with archive_library = 'wal_e_archive' "
                           "archive nothing and keep their WAL in pg_wal (archive_command = 'wal-e wal-push %p' archives "
                           "in-process meanwhile)");
  return proto::kExitFailure;
}

}  // namespace

std::string_view version() { return WALE_VERSION; }

codec::ObjectEncoding encoding_of(const config::ParsedCommand& cmd) {
  codec::ObjectEncoding encoding{cmd.get("gpg_key_id")};
  // The option table has checked the name already.
  encoding.compression = codec::parse_compression(cmd.get("compression", "lzop")).value_or(codec::Compression::lzop);
  if (encoding.encrypted()) {
    std::string why;
    if (!codec::gpg_available(why))
      throw Error(ErrorKind::usage, "WALE_GPG_KEY_ID asks for encryption, but gpg cannot run: " + why + "; install gnupg");
  }
  return encoding;
}

void log_failure(Log& log, const std::string& what) { log.error("wal_e.main", what); }

int failure_status(std::string_view command, const std::string& cwd, const Error& error) {
  if (command == "wal-push") return proto::kExitFailure;
  if (command == "wal-fetch") {
    // Damage and mistakes must stop recovery; any trouble reaching or
    // reading the store is an outage a standby should wait out.
    proto::FetchFailure failure = proto::FetchFailure::transient;
    if (error.kind() == ErrorKind::not_found) failure = proto::FetchFailure::not_found;
    if (error.kind() == ErrorKind::usage || error.kind() == ErrorKind::corrupt) failure = proto::FetchFailure::permanent;
    return proto::fetch_failure_status(cwd, failure);
  }
  return proto::kExitFailure;
}

int parse_failure_status(std::string_view command, const std::string& cwd, const Error& error) {
  if (command == "wal-push" || command == "wal-fetch") return failure_status(command, cwd, error);
  return proto::kExitUsage;  // as argparse does
}

int run_in_process(CommandContext& ctx) {
  const std::string& name = ctx.cmd.command;
  try {
    if (ctx.cmd.help) {
      ctx.out(config::help_text(name));
      return proto::kExitOk;
    }
    if (name.empty()) {
      ctx.out(config::help_text(""));
      return proto::kExitUsage;
    }
    if (name == "version") {
      ctx.out(std::string(version()) + "\n");
      return proto::kExitOk;
    }
    if (name == "wal-push") return wal_push(ctx);
    if (name == "wal-fetch") return wal_fetch(ctx);
    if (name == "status") return status(ctx);
    if (name == "wal-prefetch")
      throw Error(ErrorKind::usage, "wal-prefetch is WAL-E's internal helper; wal-ed prefetches by itself "
                                    "(restore_command = 'wal-e wal-fetch --prefetch N %f %p')");
    // WAL-E announces every command but the per-segment ones.
    ctx.log.info("wal_e.main", "starting WAL-E", "The subcommand is \"" + name + "\".");
    if (name == "backup-list" || name == "backup-push" || name == "backup-fetch" || name == "delete" || name == "verify" ||
        name == "check") {
      StoreHandle store(ctx);
      if (name == "backup-list") return backup_list(ctx, *store);
      if (name == "check") return check_command(ctx, *store);
      if (name == "delete") return delete_command(ctx, *store);
      if (name == "verify") return verify_command(ctx, *store);
      if (name == "backup-push") return backup_push(ctx, *store);
      return backup_fetch(ctx, *store);
    }
    throw Error(ErrorKind::permanent, "wal-e " + name + " is not implemented in this version yet");
  } catch (const Error& e) {
    log_failure(ctx.log, e.what());
    return failure_status(name, ctx.cwd, e);
  } catch (const std::exception& e) {
    log_failure(ctx.log, std::string("unexpected failure: ") + e.what());
    return failure_status(name, ctx.cwd, Error(ErrorKind::permanent, e.what()));
  }
}

int parse_and_run(const std::vector<std::string>& args, const config::Environment& env, const std::string& cwd, Log& log,
                  const std::function<void(std::string_view)>& out) {
  config::ParsedCommand cmd;
  try {
    cmd = config::parse_command_line(args, env);
  } catch (const Error& e) {
    log_failure(log, e.what());
    // The command name is needed for the exit status even when its
    // arguments are wrong.
    std::string command;
    for (const auto& a : args)
      if (config::find_command(a) != nullptr) {
        command = a;
        break;
      }
    return parse_failure_status(command, cwd, e);
  }
  CommandContext ctx(cmd, cwd, log, out);
  if (::isatty(STDERR_FILENO) == 1)
    ctx.progress_bar = [](std::string_view text) { [[maybe_unused]] auto n = ::write(STDERR_FILENO, text.data(), text.size()); };
  return run_in_process(ctx);
}

}  // namespace wale::command
