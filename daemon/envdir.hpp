// Reading an envdir the way daemontools' envdir does, so that wal-ed
// --envdir DIR sees exactly what `envdir DIR wal-e ...` gives
// archive_command: each file names a variable and its first line is the
// value (trailing spaces and tabs removed, NUL bytes made newlines); an
// empty file removes the variable; names starting with '.' are skipped.
// The daemon reads it at start and again on SIGHUP.
#pragma once

#include <string>

#include "common/config/options.hpp"

namespace wale::daemon {

// `base` with the envdir's settings applied. Throws wale::Error(usage)
// naming the directory or file that cannot be read.
config::Environment apply_envdir(const config::Environment& base, const std::string& dir);

}  // namespace wale::daemon
