// Running one wal-e command. The in-process runner (wal-ed --one-shot) and
// the daemon call the same functions; only the transport of output and the
// source of configuration differ.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/command/wal_fetch.hpp"
#include "common/config/options.hpp"
#include "common/core/error.hpp"
#include "common/core/log.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::command {

struct CommandContext {
  CommandContext(const config::ParsedCommand& command, std::string working_directory, Log& command_log,
                 std::function<void(std::string_view)> stdout_writer, storage::BlobStore* shared_store = nullptr)
      : cmd(command), cwd(std::move(working_directory)), log(command_log), out(std::move(stdout_writer)), store(shared_store) {}

  const config::ParsedCommand& cmd;
  std::string cwd;
  Log& log;
  std::function<void(std::string_view)> out;  // the command's stdout
  // The daemon's store, shared by its requests (connections stay pooled);
  // null in the in-process runner, which opens its own.
  storage::BlobStore* store = nullptr;
  // Draws a progress bar on the user's terminal; empty when stderr is not
  // one (long commands then log their progress instead).
  std::function<void(std::string_view)> progress_bar;
  // How wal-fetch gets a file: the daemon's prefetcher, or (empty) a plain
  // download. Arguments: WAL file name, destination, prefetch depth.
  std::function<FetchedFile(const std::string&, const std::string&, std::size_t)> fetch_wal;
  // Set by wal-fetch when the archive answered "no such object": a caller
  // whose protocol tells that apart from other failures (WAL-G's 'N')
  // cannot read it from the exit status alone (a standby's outage is 1 too).
  bool archive_lacks_file = false;
};

// Runs a parsed command in this process and returns its exit status;
// errors are logged, never thrown.
int run_in_process(CommandContext& ctx);

// Parses `args` and runs the command; parse errors are logged too.
int parse_and_run(const std::vector<std::string>& args, const config::Environment& env, const std::string& cwd,
                  Log& log, const std::function<void(std::string_view)>& out);

// The exit status a failed command ends with (spec §8.2 and the design's
// exit-code rules): wal-push always 1, wal-fetch by PostgreSQL's contract,
// everything else 1 ...
int failure_status(std::string_view command, const std::string& cwd, const Error& error);
// ... except that a command line the parser rejects is 2, as with WAL-E's
// argparse (still 1 for wal-push and the contract's status for wal-fetch).
int parse_failure_status(std::string_view command, const std::string& cwd, const Error& error);

// The object encoding a command's settings ask for (WALE_GPG_KEY_ID /
// --gpg-key-id: encryption; WALE_COMPRESSION: the compression of new
// objects). Throws wale::Error(usage) when a key is set but gpg cannot run.
codec::ObjectEncoding encoding_of(const config::ParsedCommand& cmd);

// Logs an error as one WAL-E record whose MSG says what failed and what to do.
void log_failure(Log& log, const std::string& what);

// The project's version string.
std::string_view version();

}  // namespace wale::command
