#include "common/storage/azure/blob_naming.hpp"

#include <array>
#include <cstdio>
#include <ctime>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"

namespace wale::storage::azure {
namespace {

constexpr std::string_view kMetaPrefix = "x-ms-meta-";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string blob_path(std::string_view container, std::string_view name) {
  return "/" + std::string(container) + "/" + net::uri_encode(name, true);
}

std::string block_id(std::uint32_t number) {
  if (number == 0 || number > kMaxBlocks) throw Error(ErrorKind::permanent, "block number out of range");
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "wale%08u", number);
  return codec::to_base64(std::string_view(text.data(), 12));
}

std::string metadata_header(std::string_view name) {
  std::string out(kMetaPrefix);
  for (char c : name) out.push_back(c == '-' ? '_' : c);
  return out;
}

std::optional<std::string> metadata_name(std::string_view header) {
  if (!header.starts_with(kMetaPrefix)) return std::nullopt;
  std::string out(header.substr(kMetaPrefix.size()));
  for (char& c : out)
    if (c == '_') c = '-';
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int high = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int low = high >= 0 ? hex_digit(text[i + 2]) : -1;
    if (low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::string wale_timestamp(std::int64_t epoch_ns) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ns / 1'000'000'000);
  std::tm utc{};
  if (epoch_ns <= 0 || gmtime_r(&seconds, &utc) == nullptr) return "";
  std::array<char, 40> text{};
  const std::size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S+00:00", &utc);
  return std::string(text.data(), n);
}

}  // namespace wale::storage::azure
