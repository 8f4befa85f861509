// The one table of wal-e's options: flag, environment variable, default,
// help, and which commands take it. The parser, --help and the README's
// option table all come from it.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wale::config {

enum class ValueKind {
  flag,     // present or not
  text,     // any string
  count,    // a positive integer
  number,   // a non-negative integer (0 allowed)
  boolean,  // environment boolean: 1/true/0/false/empty
  choice,   // one of the words in metavar, separated by '|'
};

struct OptionSpec {
  std::string_view key;          // the settings key, e.g. "pool_size"
  std::string_view long_flag;    // "--pool-size", or "" for environment-only settings
  std::string_view short_flag;   // "-p" or ""
  std::string_view env;          // "WALE_S3_PREFIX" or ""
  ValueKind kind;
  std::string_view default_value;
  std::string_view commands;     // "" for a global option, else a space-separated list
  std::string_view help;
  std::string_view metavar = "";
};

struct CommandSpec {
  std::string_view name;
  std::string_view positionals;  // e.g. "WAL_SEGMENT WAL_DESTINATION"; trailing '?' = optional
  std::string_view help;
};

std::span<const OptionSpec> option_table();
// Whether `o` is one of `command`'s options ("" for the global ones).
bool option_applies(const OptionSpec& o, std::string_view command);
std::span<const CommandSpec> command_table();
const CommandSpec* find_command(std::string_view name);

// Where environment values come from: the process environment for the
// in-process runner, the daemon's environment plus the request's forwarded
// values for a daemon request.
using Environment = std::map<std::string, std::string>;
Environment process_environment();

struct ParsedCommand {
  std::string command;  // empty when none was given
  std::vector<std::string> positionals;
  std::map<std::string, std::string> values;  // by OptionSpec::key; flags hold "1"
  std::map<std::string, std::string> origin;  // by key: the flag or variable the value came from
  bool help = false;

  bool has(std::string_view key) const { return values.count(std::string(key)) != 0; }
  std::string get(std::string_view key, std::string fallback = {}) const;
  long long get_number(std::string_view key) const;
  bool get_flag(std::string_view key) const;
};

// Parses argv (without the program name) the way WAL-E's argparse does:
// global options before the command, the command's options anywhere after
// it, command line over environment, defaults last. Throws
// wale::Error(usage) with a one-line message on bad input.
ParsedCommand parse_command_line(const std::vector<std::string>& args, const Environment& env);

// Help text for the whole program or one command.
std::string help_text(std::string_view command);
// The README's option table (Markdown).
std::string options_markdown();

}  // namespace wale::config
