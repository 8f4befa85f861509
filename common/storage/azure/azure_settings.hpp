// Everything the Azure Blob Storage backend needs, resolved once from
// WAL-E's settings (config/store_settings.cpp does that) into a plain struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/http_client.hpp"

namespace wale::storage::azure {

// The REST version every request asks for: block blobs of up to 4000 MiB
// blocks and 5000 MiB single uploads, available on Azure and Azurite alike.
inline constexpr std::string_view kApiVersion = "2021-08-06";
inline constexpr std::uint64_t kMinBlockSize = 1u << 20;
inline constexpr std::uint64_t kMaxBlockSize = 4000ull << 20;
inline constexpr std::size_t kMaxListPage = 5000;

// WAL-E's Azure SDK signs with the account key whenever one is given and
// only falls back to the SAS token without it; so does this backend.
enum class Authorization { shared_key, sas };

struct AzureSettings {
  std::string account;
  std::string container;
  net::Endpoint endpoint;  // https://<account>.blob.core.windows.net unless WALE_WABS_ENDPOINT says otherwise
  std::string base_path;   // the endpoint's path before the container ("/devstoreaccount1" for Azurite), or ""
  Authorization authorization = Authorization::shared_key;
  std::string access_key;  // WABS_ACCESS_KEY, base64 as the portal shows it; never logged
  std::string sas_token;   // WABS_SAS_TOKEN without its '?'; never logged
  std::string ca_file;
  std::uint64_t block_size = 8u << 20;
  std::size_t block_concurrency = 2;
  std::size_t max_connections = 16;
  std::size_t list_page_size = kMaxListPage;  // maxresults of a List Blobs request (Azure allows at most 5000)
};

// WALE_WABS_ENDPOINT: http[s]://host[:port][/path]. Throws wale::Error(usage)
// naming the variable for anything else.
void parse_wabs_endpoint(std::string_view text, AzureSettings& settings);

// The endpoint of a public Azure account: https://<account>.blob.core.windows.net.
void use_account_endpoint(AzureSettings& settings);

// Azure's rules: account names are 3-24 lower-case letters and digits;
// container names 3-63 lower-case letters, digits and single hyphens,
// starting and ending with a letter or digit.
bool valid_account_name(std::string_view name);
bool valid_container_name(std::string_view name);

// WABS_SAS_TOKEN as given (with or without a leading '?'), checked to be a
// query string with a signature; the token itself never appears in the
// usage error.
std::string normalize_sas_token(std::string_view text);

// The token's expiry (its se= field, decoded), when it has one.
std::optional<std::string> sas_expiry(std::string_view token);

}  // namespace wale::storage::azure
