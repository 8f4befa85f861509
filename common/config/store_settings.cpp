#include "common/config/store_settings.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include <unistd.h>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/url.hpp"
#include "common/storage/azure/azure_store.hpp"
#include "common/storage/file_store.hpp"
#include "common/storage/gcs/gcs_store.hpp"
#include "common/storage/s3/s3_store.hpp"
#include "common/storage/swift/swift_store.hpp"

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

void check_options_apply(const ParsedCommand& cmd, const storage::StoreUrl& url) {
  auto from_flag = [&](std::string_view key) {
    const auto it = cmd.origin.find(std::string(key));
    return it != cmd.origin.end() && it->second.starts_with("-") ? it->second : std::string();
  };
  const std::string scheme(storage::scheme_name(url.scheme));
  for (auto key : {"aws_access_key_id", "aws_instance_profile"})
    if (const auto flag = from_flag(key); !flag.empty() && url.scheme != storage::Scheme::s3)
      throw Error(ErrorKind::usage, flag + " applies to s3:// prefixes, but this command works on " + scheme + "://; drop it");
  if (const auto flag = from_flag("wabs_account_name"); !flag.empty() && url.scheme != storage::Scheme::wabs)
    throw Error(ErrorKind::usage, flag + " applies to wabs:// prefixes, but this command works on " + scheme + "://; drop it");
  // Accepted and unused for gs:// prefixes, as in WAL-E (which never read it).
  if (const auto flag = from_flag("gs_access_key_id"); !flag.empty() && url.scheme != storage::Scheme::gs)
    throw Error(ErrorKind::usage, flag + " applies to gs:// prefixes, but this command works on " + scheme + "://; drop it");
}

namespace {

// Keep-alive connections of a store's pool: the daemon's --pool-size (16
// for a one-shot command), within 1..64. The same rule for every backend.
std::size_t store_connections(const ParsedCommand& cmd) {
  const long long pool = cmd.has("pool_size") ? cmd.get_number("pool_size") : 16;
  return static_cast<std::size_t>(std::clamp<long long>(pool, 1, 64));
}

}  // namespace

storage::s3::S3Settings s3_settings(const StorePrefix& prefix, const ParsedCommand& cmd) {
  storage::s3::S3Settings s;
  s.bucket = prefix.url.store;
  if (s.bucket.empty()) throw Error(ErrorKind::usage, prefix.origin + "='" + prefix.url.text + "' names no bucket; write s3://bucket/path");
  if (const std::string endpoint = cmd.get("s3_endpoint"); !endpoint.empty()) {
    storage::s3::parse_s3_endpoint(endpoint, s);
    s.region = cmd.get("aws_region", "us-east-1");
  } else {
    storage::s3::use_aws_region(cmd.get("aws_region"), s);
  }
  s.instance_profile = cmd.get_flag("aws_instance_profile");
  if (s.instance_profile) {
    if (cmd.has("aws_access_key_id") && cmd.origin.at("aws_access_key_id").starts_with("-"))
      throw Error(ErrorKind::usage, "--aws-access-key-id and --aws-instance-profile exclude each other; choose one");
    s.metadata_endpoint = cmd.get("s3_metadata_endpoint");
  } else {
    s.credentials.access_key_id = cmd.get("aws_access_key_id");
    s.credentials.secret_access_key = cmd.get("aws_secret_access_key");
    s.credentials.session_token = cmd.get("aws_session_token", cmd.get("aws_security_token"));
    if (s.credentials.access_key_id.empty())
      throw Error(ErrorKind::usage, "S3 needs credentials: AWS_ACCESS_KEY_ID is not set (nor -k); set it and AWS_SECRET_ACCESS_KEY, "
                                    "or use --aws-instance-profile");
    if (s.credentials.secret_access_key.empty())
      throw Error(ErrorKind::usage, "S3 needs credentials: AWS_SECRET_ACCESS_KEY is not set; put it in the environment "
                                    "(an envdir), never on the command line");
  }
  s.storage_class = cmd.get("s3_storage_class");
  s.server_side_encryption = cmd.get("s3_sse");
  s.ca_file = cmd.get("s3_ca_file");
  s.part_size = static_cast<std::uint64_t>(cmd.get_number("s3_part_size"));
  if (s.part_size < (5u << 20)) throw Error(ErrorKind::usage, "WALE_S3_PART_SIZE must be at least 5242880 (5 MiB), S3's smallest part");
  s.part_concurrency = static_cast<std::size_t>(cmd.get_number("s3_part_concurrency"));
  s.max_connections = store_connections(cmd);
  s.retry_seconds = static_cast<unsigned>(cmd.get_number("store_timeout"));
  if (cmd.has("list_page_size")) s.list_page_size = static_cast<std::size_t>(std::min<long long>(cmd.get_number("list_page_size"), 1000));
  return s;
}

storage::azure::AzureSettings wabs_settings(const StorePrefix& prefix, const ParsedCommand& cmd) {
  namespace azure = storage::azure;
  azure::AzureSettings s;
  s.container = prefix.url.store;
  if (!azure::valid_container_name(s.container))
    throw Error(ErrorKind::usage, prefix.origin + "='" + prefix.url.text + "' does not name an Azure container (3-63 lower-case "
                                  "letters, digits and single hyphens); write wabs://container/path");
  s.access_key = cmd.get("wabs_access_key");
  const std::string sas = cmd.get("wabs_sas_token");
  if (s.access_key.empty() && sas.empty())
    throw Error(ErrorKind::usage, "Azure needs credentials: set WABS_ACCESS_KEY (the account key) or WABS_SAS_TOKEN (a SAS token); "
                                  "the key is used when both are set");
  if (!s.access_key.empty()) {
    // The key wins over a SAS token, as with WAL-E's Azure SDK.
    s.authorization = azure::Authorization::shared_key;
    const auto key = codec::from_base64(s.access_key);
    if (!key || key->empty())
      throw Error(ErrorKind::usage, "WABS_ACCESS_KEY is not base64; give the account key as the Azure portal shows it");
  } else {
    s.authorization = azure::Authorization::sas;
    s.sas_token = azure::normalize_sas_token(sas);
  }
  s.account = cmd.get("wabs_account_name");
  const std::string account_origin = cmd.has("wabs_account_name") ? cmd.origin.at("wabs_account_name") : "WABS_ACCOUNT_NAME";
  const std::string endpoint = cmd.get("wabs_endpoint");
  // A SAS token on an explicit endpoint needs no account name; everything else does.
  if (s.account.empty() && (endpoint.empty() || s.authorization == azure::Authorization::shared_key))
    throw Error(ErrorKind::usage, "Azure needs the storage account: set WABS_ACCOUNT_NAME (or pass -a/--wabs-account-name)");
  if (!s.account.empty() && !azure::valid_account_name(s.account))
    throw Error(ErrorKind::usage, account_origin + "='" + s.account + "' is not an Azure storage account name (3-24 lower-case "
                                  "letters and digits)");
  if (endpoint.empty())
    azure::use_account_endpoint(s);
  else
    azure::parse_wabs_endpoint(endpoint, s);
  s.ca_file = cmd.get("wabs_ca_file");
  if (!s.ca_file.empty() && ::access(s.ca_file.c_str(), R_OK) != 0)
    throw Error(ErrorKind::usage, "WALE_WABS_CA_FILE='" + s.ca_file + "' cannot be read: " + std::strerror(errno));
  s.block_size = static_cast<std::uint64_t>(cmd.get_number("wabs_block_size"));
  if (s.block_size < azure::kMinBlockSize || s.block_size > azure::kMaxBlockSize)
    throw Error(ErrorKind::usage, "WALE_WABS_BLOCK_SIZE must be between 1048576 (1 MiB) and 4194304000 (4000 MiB, Azure's "
                                  "largest block)");
  s.block_concurrency = static_cast<std::size_t>(cmd.get_number("wabs_block_concurrency"));
  s.max_connections = store_connections(cmd);
  if (cmd.has("list_page_size"))
    s.list_page_size = static_cast<std::size_t>(std::min<long long>(cmd.get_number("list_page_size"), azure::kMaxListPage));
  return s;
}

storage::swift::SwiftSettings swift_settings(const StorePrefix& prefix, const ParsedCommand& cmd) {
  storage::swift::SwiftSettings s;
  s.container = prefix.url.store;
  if (s.container.empty())
    throw Error(ErrorKind::usage, prefix.origin + "='" + prefix.url.text + "' names no container; write swift://container/path");
  const std::string auth_url = cmd.get("swift_authurl");
  if (auth_url.empty())
    throw Error(ErrorKind::usage, "Swift needs SWIFT_AUTHURL, the authentication URL (Keystone: https://host:5000/v3; tempauth: "
                                  "http://host:8080/auth/v1.0)");
  const auto parsed = storage::swift::parse_http_url(auth_url);
  if (!parsed) throw Error(ErrorKind::usage, "SWIFT_AUTHURL='" + auth_url + "' is not an http:// or https:// URL");
  s.auth_url = *parsed;
  s.auth_version = storage::swift::parse_auth_version(cmd.get("swift_auth_version"));
  s.user = cmd.get("swift_user");
  s.password = cmd.get("swift_password");
  s.tenant_name = cmd.get("swift_tenant");
  s.tenant_id = cmd.get("swift_tenant_id");
  s.user_id = cmd.get("swift_user_id");
  s.user_domain_id = cmd.get("swift_user_domain_id");
  s.user_domain_name = cmd.get("swift_user_domain_name");
  s.project_id = cmd.get("swift_project_id");
  s.project_name = cmd.get("swift_project_name");
  s.project_domain_id = cmd.get("swift_project_domain_id");
  s.project_domain_name = cmd.get("swift_project_domain_name");
  s.region = cmd.get("swift_region");
  s.endpoint_type = cmd.get("swift_endpoint_type");
  storage::swift::resolve_identity(s);
  s.ca_file = cmd.get("swift_ca_file");
  s.segment_size = static_cast<std::uint64_t>(cmd.get_number("swift_segment_size"));
  if (s.segment_size < storage::swift::kMinSegmentSize || s.segment_size > storage::swift::kMaxSegmentSize)
    throw Error(ErrorKind::usage, "WALE_SWIFT_SEGMENT_SIZE must be at least 1048576 (1 MiB) and at most 5368709120 (5 GiB, Swift's largest object)");
  s.segment_concurrency = static_cast<std::size_t>(cmd.get_number("swift_segment_concurrency"));
  s.max_connections = store_connections(cmd);
  // Without WALE_LIST_PAGE_SIZE no limit is sent: the cluster's own
  // maximum applies (a larger limit than it allows is refused with 412).
  s.list_page_size = cmd.has("list_page_size") ? static_cast<std::size_t>(cmd.get_number("list_page_size")) : 0;
  return s;
}

storage::gcs::GcsSettings gs_settings(const StorePrefix& prefix, const ParsedCommand& cmd) {
  namespace gcs = storage::gcs;
  gcs::GcsSettings s;
  s.bucket = prefix.url.store;
  if (s.bucket.empty()) throw Error(ErrorKind::usage, prefix.origin + "='" + prefix.url.text + "' names no bucket; write gs://bucket/path");
  if (const std::string endpoint = cmd.get("gs_endpoint"); !endpoint.empty()) {
    s.endpoint = gcs::parse_gs_endpoint(endpoint, "WALE_GS_ENDPOINT");
    s.endpoint_origin = "WALE_GS_ENDPOINT";
  } else if (const std::string emulator = cmd.get("storage_emulator_host"); !emulator.empty()) {
    s.endpoint = gcs::parse_emulator_host(emulator, "STORAGE_EMULATOR_HOST");
    s.endpoint_origin = "STORAGE_EMULATOR_HOST";
  }
  if (const std::string file = cmd.get("google_application_credentials"); !file.empty()) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad())
      throw Error(ErrorKind::usage, "GOOGLE_APPLICATION_CREDENTIALS='" + file + "' cannot be read (" + std::strerror(errno) +
                                        "); point it at a service-account key file readable by this user");
    s.credentials = gcs::parse_credentials_json(text.str(), file);
  } else if (!cmd.origin.count("gce_metadata_host") &&
             (s.endpoint_origin == "STORAGE_EMULATOR_HOST" || (!s.endpoint_origin.empty() && !s.endpoint.tls))) {
    // An emulator: Google's libraries send no credentials to
    // STORAGE_EMULATOR_HOST, and Google serves its API over TLS only. A
    // metadata server named explicitly is used wherever the store is.
    s.credentials.source = gcs::CredentialSource::none;
  } else {
    s.credentials.source = gcs::CredentialSource::metadata_server;
    s.credentials.metadata_host = cmd.get("gce_metadata_host", "metadata.google.internal");
    if (!net::parse_authority(s.credentials.metadata_host, false))
      throw Error(ErrorKind::usage, "GCE_METADATA_HOST='" + s.credentials.metadata_host + "' is not host[:port]");
  }
  s.chunk_size = static_cast<std::uint64_t>(cmd.get_number("gs_chunk_size"));
  if (s.chunk_size % gcs::kChunkQuantum != 0)
    throw Error(ErrorKind::usage, "WALE_GS_CHUNK_SIZE=" + cmd.get("gs_chunk_size") +
                                      " is not a multiple of 262144 (256 KiB), as Cloud Storage wants its upload chunks");
  s.max_connections = store_connections(cmd);
  if (cmd.has("list_page_size")) s.list_page_size = static_cast<std::size_t>(std::min<long long>(cmd.get_number("list_page_size"), 1000));
  return s;
}

std::unique_ptr<storage::BlobStore> open_store(const StorePrefix& prefix, const ParsedCommand& cmd) {
  using storage::Scheme;
  switch (prefix.url.scheme) {
    case Scheme::file:
      return std::make_unique<storage::FileStore>(prefix.url);
    case Scheme::s3:
      return std::make_unique<storage::s3::S3Store>(prefix.url, s3_settings(prefix, cmd));
    case Scheme::swift:
      return std::make_unique<storage::swift::SwiftStore>(prefix.url, swift_settings(prefix, cmd));
    case Scheme::wabs:
      return std::make_unique<storage::azure::AzureStore>(prefix.url, wabs_settings(prefix, cmd));
    case Scheme::gs:
      return std::make_unique<storage::gcs::GcsStore>(prefix.url, gs_settings(prefix, cmd));
  }
  throw Error(ErrorKind::usage, prefix.origin + " names an unknown kind of store");
}

}  // namespace wale::config
