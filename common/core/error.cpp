#include "common/core/error.hpp"

#include <cstring>

namespace wale {

ErrorKind classify_errno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return ErrorKind::not_found;
    case EINTR:
    case EAGAIN:
    case EIO:
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ESTALE:
      return ErrorKind::transient;
    default:
      return ErrorKind::permanent;
  }
}

void throw_system_error(const std::string& context, int err) {
  std::string what = context + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) what += " (free space on that file system, then retry)";
  throw Error(classify_errno(err), what);
}

std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 120;
  std::string out;
  for (const char c : text.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace wale
