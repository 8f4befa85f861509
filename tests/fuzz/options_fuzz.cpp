// libFuzzer target for the option table's parser fed arbitrary command
// lines and environments (what an envdir holds: every WAL-E variable, any
// value): it ends in wale::Error(usage) or in a parsed command, never in a
// crash or another exception. The values that name places are parsed
// further: store prefixes, WALE_S3_ENDPOINT, AWS_REGION.
//
// Input: NUL-separated items; NAME=VALUE items whose name starts with an
// upper-case letter go to the environment, the others to argv.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/options.hpp"
#include "common/core/error.hpp"
#include "common/storage/s3/s3_settings.hpp"
#include "common/storage/store_url.hpp"

namespace {

void expect_usage(const wale::Error& e) {
  if (e.kind() != wale::ErrorKind::usage) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  wale::config::Environment env;
  for (;;) {
    const auto nul = input.find('\0');
    const std::string item(input.substr(0, nul));
    const auto eq = item.find('=');
    if (!item.empty() && item[0] >= 'A' && item[0] <= 'Z' && eq != std::string::npos)
      env[item.substr(0, eq)] = item.substr(eq + 1);
    else
      args.push_back(item);
    if (nul == std::string_view::npos) break;
    input.remove_prefix(nul + 1);
  }

  wale::config::ParsedCommand cmd;
  try {
    cmd = wale::config::parse_command_line(args, env);
  } catch (const wale::Error& e) {
    expect_usage(e);
    return 0;
  }
  for (const auto& spec : wale::config::option_table()) {
    (void)cmd.get(spec.key);
    (void)cmd.get_number(spec.key);
    (void)cmd.get_flag(spec.key);
  }
  for (const char* key : {"s3_prefix", "file_prefix", "wabs_prefix", "gs_prefix", "swift_prefix"}) {
    if (!cmd.has(key)) continue;
    try {
      const auto url = wale::storage::parse_store_url(cmd.get(key));
      (void)url.url_for("wal_005/000000010000000000000001.lzo");
      if (!url.same_place(url)) __builtin_trap();
    } catch (const wale::Error& e) {
      expect_usage(e);
    }
  }
  wale::storage::s3::S3Settings settings;
  for (const auto& [name, value] : env) {
    try {
      if (name == "WALE_S3_ENDPOINT") wale::storage::s3::parse_s3_endpoint(value, settings);
      if (name == "AWS_REGION") wale::storage::s3::use_aws_region(value, settings);
    } catch (const wale::Error& e) {
      expect_usage(e);
    }
  }
  return 0;
}
