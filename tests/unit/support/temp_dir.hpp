// Scratch directories, files and shell commands for the unit tests.
#pragma once

#include <string>
#include <string_view>

namespace wale::test {

// A fresh directory /tmp/wale-LABEL-XXXXXX, removed with everything in it
// when this goes.
class TempDir {
 public:
  explicit TempDir(std::string_view label);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (name may hold slashes).
  std::string file(std::string_view name) const;

 private:
  std::string path_;
};

// The whole content of a file; a test assertion fails when it cannot be read.
std::string read_file(const std::string& path);

// Creates or replaces a file; a test assertion fails when it cannot be written.
void write_file(const std::string& path, std::string_view data);

// `text` as one word for sh: in single quotes ('\'' for a quote inside).
std::string shell_quote(std::string_view text);

struct CommandResult {
  int status;          // the exit status; -1 when the command could not start or did not exit
  std::string output;  // everything it wrote to standard output
};

// Runs `sh -c command`; standard input and error are this process's.
// Never throws, so that destructors can use it.
CommandResult run_command(const std::string& command);

// The standard output of a command that must succeed: a test assertion
// (naming the command) fails when its exit status is not 0.
std::string check_output(const std::string& command);

}  // namespace wale::test
