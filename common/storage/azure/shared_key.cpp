#include "common/storage/azure/shared_key.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "common/codec/digest.hpp"
#include "common/codec/hmac.hpp"
#include "common/core/error.hpp"

namespace wale::storage::azure {
namespace {

// The standard headers in the order the string to sign lists them.
constexpr std::array<std::string_view, 11> kStandardHeaders{
    "content-encoding", "content-language", "content-length", "content-md5",         "content-type", "date",
    "if-modified-since", "if-match",        "if-none-match",  "if-unmodified-since", "range"};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

}  // namespace

std::string string_to_sign(const SharedKeyRequest& request, std::string_view account) {
  // Lower-cased names; a header given twice signs as one, values joined by commas.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || name.find_first_of("\r\n: \t") != std::string::npos)
      throw Error(ErrorKind::usage, "SharedKey: a header name is empty or contains a blank, a colon or a line break");
    if (value.find_first_of("\r\n") != std::string::npos)
      throw Error(ErrorKind::usage, "SharedKey: the value of header " + name + " contains a line break");
    auto [it, inserted] = headers.try_emplace(lower(name), trim(value));
    if (!inserted) it->second += "," + std::string(trim(value));
  }
  headers.erase("content-length");  // the body decides, not a header a caller may have set
  if (request.content_length > 0) headers["content-length"] = std::to_string(request.content_length);

  std::string out = request.method + "\n";
  for (const auto name : kStandardHeaders) {
    const auto it = headers.find(std::string(name));
    if (it != headers.end()) out += it->second;
    out += '\n';
  }
  for (const auto& [name, value] : headers)
    if (name.starts_with("x-ms-")) out += name + ":" + value + "\n";

  out += "/" + std::string(account) + (request.path.empty() ? "/" : request.path);
  std::map<std::string, std::vector<std::string>> query;
  for (const auto& [name, value] : request.query) query[lower(name)].push_back(value);
  for (auto& [name, values] : query) {
    std::sort(values.begin(), values.end());
    out += "\n" + name + ":";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
  }
  return out;
}

std::string shared_key_authorization(const SharedKeyRequest& request, std::string_view account, std::string_view key) {
  const codec::SecretBytes mac = codec::hmac_sha256(key, string_to_sign(request, account));
  return "SharedKey " + std::string(account) + ":" + codec::to_base64(mac.view());
}

std::string rfc1123_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  if (gmtime_r(&now, &utc) == nullptr) throw Error(ErrorKind::permanent, "the system clock is out of range");
  static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::array<char, 40> text{};
  // strftime's %a and %b follow the locale; HTTP dates are always English.
  const int n = std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                              std::string(kDays[static_cast<std::size_t>(utc.tm_wday)]).c_str(), utc.tm_mday,
                              std::string(kMonths[static_cast<std::size_t>(utc.tm_mon)]).c_str(), utc.tm_year + 1900,
                              utc.tm_hour, utc.tm_min, utc.tm_sec);
  return std::string(text.data(), static_cast<std::size_t>(n));
}

}  // namespace wale::storage::azure
