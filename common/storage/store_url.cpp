#include "common/storage/store_url.hpp"

#include <cctype>

#include "common/core/error.hpp"

namespace wale::storage {

std::string_view scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::file: return "file";
    case Scheme::s3: return "s3";
    case Scheme::wabs: return "wabs";
    case Scheme::gs: return "gs";
    case Scheme::swift: return "swift";
  }
  return "?";
}

std::string StoreUrl::url_for(std::string_view key) const {
  std::string out(scheme_name(scheme));
  out += "://";
  out += store;
  out += '/';
  out += path_prefix;
  out += key;
  return out;
}

bool StoreUrl::same_place(const StoreUrl& other) const {
  if (scheme != other.scheme || path_prefix != other.path_prefix) return false;
  return scheme == Scheme::file || store == other.store;
}

StoreUrl parse_store_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos)
    throw Error(ErrorKind::usage, "storage prefix '" + std::string(url) +
                                      "' is not a URL; write it as s3://bucket/path, file://localhost/dir, "
                                      "wabs://container/path, gs://bucket/path or swift://container/path");
  // Python's urlparse lower-cases the scheme, so WAL-E accepts S3://.
  std::string scheme_text(url.substr(0, sep));
  for (auto& c : scheme_text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  StoreUrl out;
  out.text = std::string(url);
  if (scheme_text == "file") out.scheme = Scheme::file;
  else if (scheme_text == "s3") out.scheme = Scheme::s3;
  else if (scheme_text == "wabs") out.scheme = Scheme::wabs;
  else if (scheme_text == "gs") out.scheme = Scheme::gs;
  else if (scheme_text == "swift") out.scheme = Scheme::swift;
  else
    throw Error(ErrorKind::usage, "storage prefix '" + std::string(url) + "' has the unknown scheme '" +
                                      std::string(scheme_text) + "'; use s3, wabs, swift, gs or file");

  std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  out.store = std::string(rest.substr(0, slash));
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  out.path_prefix = std::string(path);
  if (!out.path_prefix.empty() && out.path_prefix.back() != '/') out.path_prefix += '/';
  if (out.path_prefix.find("//") != std::string::npos)
    throw Error(ErrorKind::usage, "storage prefix '" + std::string(url) + "' contains '//'; remove the empty path component");
  return out;
}

}  // namespace wale::storage
