#include "daemon/envdir.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include <dirent.h>
#include <sys/stat.h>

#include "common/core/error.hpp"

namespace wale::daemon {

config::Environment apply_envdir(const config::Environment& base, const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d)
    throw Error(ErrorKind::usage, "cannot read the envdir " + dir + " (" + std::string(std::strerror(errno)) +
                                      "); check --envdir (WALE_ENVDIR) and that the daemon's user may read it");
  config::Environment env = base;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name.empty() || name.front() == '.') continue;
    const std::string path = dir + "/" + name;
    if (name.find('=') != std::string::npos)
      throw Error(ErrorKind::usage, "the envdir file " + path + " has '=' in its name, which cannot name a variable; rename it");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      throw Error(ErrorKind::usage, "the envdir entry " + path + " is not a readable file; an envdir holds one file per variable");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::usage, "cannot read the envdir file " + path + "; check its permissions");
    if (st.st_size == 0) {
      env.erase(name);
      continue;
    }
    std::string value;
    std::getline(in, value);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    std::replace(value.begin(), value.end(), '\0', '\n');
    env[name] = value;
  }
  return env;
}

}  // namespace wale::daemon
