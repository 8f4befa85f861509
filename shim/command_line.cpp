#include "shim/command_line.hpp"

#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace wale::shim {
namespace {

// Global options that take a value in the next argument (wal-e's cmd.py).
constexpr std::array<std::string_view, 10> kValuedGlobals{
    "-k",           "--aws-access-key-id", "--gs-access-key-id", "-a",           "--wabs-account-name",
    "--s3-prefix",  "--wabs-prefix",       "--gs-prefix",        "--file-prefix", "--gpg-key-id"};

bool takes_value(std::string_view arg) {
  for (auto v : kValuedGlobals)
    if (arg == v) return true;
  return false;
}

}  // namespace

ShimCommand peek_command(const std::vector<std::string>& args) {
  ShimCommand cmd;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--") {
      if (i + 1 < args.size()) cmd.subcommand = args[i + 1];
      break;
    }
    if (!a.empty() && a[0] == '-') {
      if (takes_value(a)) ++i;
      continue;
    }
    cmd.subcommand = std::string(a);
    break;
  }
  return cmd;
}

double timeout_from_env(const char* name, double fallback) {
  const char* raw = std::getenv(name);
  if (raw == nullptr || *raw == '\0') return fallback;
  char* end = nullptr;
  const double v = std::strtod(raw, &end);
  if (end == raw || *end != '\0' || !(v > 0))
    throw std::invalid_argument(std::string(name) + "='" + raw + "' is not a positive number of seconds");
  return v;
}

}  // namespace wale::shim
