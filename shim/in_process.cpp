#include "shim/in_process.hpp"

#include <climits>
#include <cstdlib>
#include <string_view>

#include <unistd.h>

namespace wale::shim {
namespace {

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

}  // namespace

std::string find_daemon_binary() {
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    std::string path(self, static_cast<std::size_t>(n));
    path.resize(path.rfind('/') + 1);
    path.append("wal-ed");
    if (executable(path)) return path;
  }
  const char* env_path = std::getenv("PATH");
  std::string_view dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/wal-ed";
    if (executable(candidate)) return candidate;
  }
  return {};
}

void exec_one_shot(const std::string& daemon_binary, const std::vector<std::string>& args) {
  std::vector<std::string> owned{"wal-ed", "--one-shot", "--"};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(owned.size() + 1);
  for (auto& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(daemon_binary.c_str(), argv.data());
}

}  // namespace wale::shim
