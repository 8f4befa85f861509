// Errors carry what went wrong (with the key, segment or endpoint involved),
// what the operator can do about it, and a category that decides whether a
// retry can help and which exit status a command ends with.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wale {

enum class ErrorKind {
  transient,  // the store or network may recover: retry with backoff
  permanent,  // retrying will not help: bad configuration, refused request
  not_found,  // the object or file does not exist
  corrupt,    // data failed a checksum or format check
  conflict,   // the store already holds different content under this name
  usage,      // the command line or environment is wrong
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// "context: strerror(err)", classified: ENOENT is not_found, disk-full and
// permission problems are permanent, interruptions and I/O errors transient.
[[noreturn]] void throw_system_error(const std::string& context, int err = errno);

// Text from outside (a member name, a line of a file) fit for a one-line
// message: control characters shown as '?', cut after 120 bytes.
std::string printable(std::string_view text);
ErrorKind classify_errno(int err);

}  // namespace wale
