// The request a shim sends: the command line as typed, where it was run,
// and the few non-secret environment values the daemon may honour.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wale::proto {

// The only environment variables that ever cross the socket. Credentials
// (AWS_SECRET_ACCESS_KEY, PGPASSWORD, WABS_ACCESS_KEY, ...) never do: the
// daemon owns its own configuration.
std::span<const std::string_view> forwarded_environment();
bool is_forwarded_variable(std::string_view name);

// A request is a command line, a directory and a few variables: far less
// than this. The daemon refuses a larger request frame before reading it.
inline constexpr std::uint32_t kMaxRequestPayload = 64u << 10;

struct Request {
  std::vector<std::string> argv;  // arguments after the program name
  std::string cwd;
  std::map<std::string, std::string> env;
  bool stderr_is_tty = false;  // the user watches: long commands may draw a progress bar
  // Who sends it, for the daemon's status: empty for the wal-e shim,
  // kArchiveModuleClient for PostgreSQL's archive module.
  std::string client;
};

inline constexpr std::string_view kArchiveModuleClient = "wal_e_archive";

std::string encode_request(const Request& request);
// Throws ProtocolError when the payload is not a well-formed request.
Request decode_request(std::string_view payload);

}  // namespace wale::proto
