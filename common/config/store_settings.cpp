#include "common/config/store_settings.hpp"

#include <array>
#include <string_view>

#include "common/core/error.hpp"
#include "common/storage/file_store.hpp"

namespace wale::config {
namespace {

struct PrefixSource {
  std::string_view key;
  std::string_view flag;
};

// Command-line options first, in WAL-E's order, then the environment.
constexpr std::array<PrefixSource, 4> kFlagOrder{{{"file_prefix", "--file-prefix"},
                                                 {"gs_prefix", "--gs-prefix"},
                                                 {"s3_prefix", "--s3-prefix"},
                                                 {"wabs_prefix", "--wabs-prefix"}}};
constexpr std::array<std::string_view, 5> kEnvOrder{"file_prefix", "gs_prefix", "s3_prefix", "swift_prefix", "wabs_prefix"};

}  // namespace

std::optional<StorePrefix> find_prefix(const ParsedCommand& cmd) {
  auto take = [&](std::string_view key) -> std::optional<StorePrefix> {
    const std::string value = cmd.get(key);
    if (value.empty()) return std::nullopt;
    return StorePrefix{storage::parse_store_url(value), cmd.origin.at(std::string(key))};
  };
  for (const auto& source : kFlagOrder) {
    const auto it = cmd.origin.find(std::string(source.key));
    if (it != cmd.origin.end() && it->second == source.flag)
      if (auto p = take(source.key)) return p;
  }
  for (auto key : kEnvOrder)
    if (auto p = take(key)) return p;
  return std::nullopt;
}

StorePrefix require_prefix(const ParsedCommand& cmd) {
  if (auto p = find_prefix(cmd)) return *p;
  throw Error(ErrorKind::usage,
              "no storage prefix defined; set WALE_S3_PREFIX, WALE_WABS_PREFIX, WALE_GS_PREFIX, WALE_SWIFT_PREFIX or "
              "WALE_FILE_PREFIX (or pass --s3-prefix, --wabs-prefix, --gs-prefix or --file-prefix)");
}

std::unique_ptr<storage::BlobStore> open_store(const StorePrefix& prefix, const ParsedCommand&) {
  using storage::Scheme;
  switch (prefix.url.scheme) {
    case Scheme::file:
      return std::make_unique<storage::FileStore>(prefix.url);
    case Scheme::s3:
    case Scheme::wabs:
    case Scheme::gs:
    case Scheme::swift:
      break;
  }
  throw Error(ErrorKind::usage, prefix.origin + " selects " + std::string(storage::scheme_name(prefix.url.scheme)) +
                                    "://, which this version of wal-e does not support yet; use a file:// prefix");
}

}  // namespace wale::config
