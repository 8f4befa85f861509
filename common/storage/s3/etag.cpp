#include "common/storage/s3/etag.hpp"

#include <algorithm>
#include <cctype>

namespace wale::storage::s3 {

namespace {

std::string_view unquoted(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

}  // namespace

std::string md5_of_etag(std::string_view etag, std::string_view server_side_encryption) {
  if (server_side_encryption.starts_with("aws:kms")) return {};
  etag = unquoted(etag);
  if (etag.size() != 32 || !std::ranges::all_of(etag, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
    return {};
  std::string out(etag);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool etag_contradicts(std::string_view etag, std::string_view md5_hex, std::string_view server_side_encryption) {
  if (server_side_encryption.starts_with("aws:kms")) return false;
  etag = unquoted(etag);
  if (etag.empty()) return false;
  const auto same_letter = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  return !std::ranges::equal(etag, md5_hex, same_letter);
}

}  // namespace wale::storage::s3
