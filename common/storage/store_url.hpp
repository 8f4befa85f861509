// WAL-E's storage URLs: scheme://STORE/PATH, where STORE is the bucket or
// container (ignored for file://) and PATH the prefix inside it.
#pragma once

#include <string>
#include <string_view>

namespace wale::storage {

enum class Scheme { file, s3, wabs, gs, swift };

struct StoreUrl {
  Scheme scheme = Scheme::file;
  std::string store;        // bucket / container / host of a file URL
  std::string path_prefix;  // canonical: no leading '/', ends in '/' unless empty
  std::string text;         // the URL as configured

  // "scheme://store/" + path_prefix + key, as WAL-E writes keys in its logs.
  std::string url_for(std::string_view key) const;
  // Two URLs name the same place when scheme, store and canonical prefix agree.
  bool same_place(const StoreUrl& other) const;
};

std::string_view scheme_name(Scheme scheme);

// Parses and canonicalises (WAL-E's storage/base.py rules). Throws
// wale::Error(usage) naming the offending text for an unknown scheme or a
// URL without "://".
StoreUrl parse_store_url(std::string_view url);

}  // namespace wale::storage
