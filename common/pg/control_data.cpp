#include "common/pg/control_data.hpp"

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

#include <sys/wait.h>
#include <unistd.h>

#include "common/core/error.hpp"

namespace wale::pg {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string find_program(const std::string& data_dir) {
  std::ifstream version_file(data_dir + "/PG_VERSION");
  std::string major;
  std::getline(version_file, major);
  const std::string versioned = "/usr/lib/postgresql/" + major + "/bin/pg_controldata";
  if (!major.empty() && ::access(versioned.c_str(), X_OK) == 0) return versioned;
  return "pg_controldata";
}

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw Error(ErrorKind::permanent, "cannot run " + command);
  std::string out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0;) out.append(buf.data(), n);
  const int status = ::pclose(pipe.release());
  if (status != 0)
    throw Error(ErrorKind::permanent, "'" + command + "' failed (status " + std::to_string(WEXITSTATUS(status)) +
                                          "); install PostgreSQL's server programs or put pg_controldata on PATH");
  return out;
}

std::string field(const std::string& text, const std::string& label) {
  const auto at = text.find(label + ":");
  if (at == std::string::npos) return {};
  auto begin = text.find_first_not_of(' ', at + label.size() + 1);
  const auto end = text.find('\n', begin);
  return text.substr(begin, end - begin);
}

}  // namespace

ControlData read_control_data(const std::string& data_dir) {
  const std::string program = find_program(data_dir);
  const std::string text = run("LC_ALL=C " + shell_quote(program) + " " + shell_quote(data_dir) + " 2>&1");
  ControlData c;
  c.state = field(text, "Database cluster state");
  c.redo_lsn = field(text, "Latest checkpoint's REDO location");
  c.redo_wal_file = field(text, "Latest checkpoint's REDO WAL file");
  const std::string segment = field(text, "Bytes per WAL segment");
  c.segment_size = segment.empty() ? 0 : std::stoull(segment);
  if (c.redo_lsn.empty() || c.redo_wal_file.empty() || c.segment_size == 0)
    throw Error(ErrorKind::permanent, "pg_controldata printed no REDO location, REDO WAL file or segment size for " + data_dir);
  std::string version = run("LC_ALL=C " + shell_quote(program) + " --version");
  // "pg_controldata (PostgreSQL) 15.20" -> "PostgreSQL 15.20", as pg_config prints it.
  const auto paren = version.find("(PostgreSQL) ");
  while (!version.empty() && version.back() == '\n') version.pop_back();
  c.version = paren == std::string::npos ? version : "PostgreSQL " + version.substr(paren + 13);
  return c;
}

}  // namespace wale::pg
