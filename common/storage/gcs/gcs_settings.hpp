// Everything the Google Cloud Storage backend needs, resolved once from the
// environment (config/store_settings.cpp does that) into a plain struct.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/net/http_client.hpp"

namespace wale::storage::gcs {

// Where access tokens come from.
enum class CredentialSource {
  service_account,  // GOOGLE_APPLICATION_CREDENTIALS names a service-account key: a signed JWT is exchanged
  authorized_user,  // GOOGLE_APPLICATION_CREDENTIALS names a user's refresh token (gcloud auth application-default login)
  metadata_server,  // the Compute Engine metadata server hands out the VM's service-account tokens
  none,             // an emulator: requests carry no Authorization
};

struct Credentials {
  CredentialSource source = CredentialSource::metadata_server;
  std::string file;  // GOOGLE_APPLICATION_CREDENTIALS, for messages
  // service_account
  std::string client_email;
  std::string private_key_pem;  // secret: never logged, never in a message
  std::string private_key_id;
  // authorized_user
  std::string client_id;
  std::string client_secret;  // secret
  std::string refresh_token;  // secret
  // service_account and authorized_user
  std::string token_uri = "https://oauth2.googleapis.com/token";
  // metadata_server: host[:port] (GCE_METADATA_HOST)
  std::string metadata_host = "metadata.google.internal";
};

struct GcsSettings {
  std::string bucket;
  net::Endpoint endpoint{true, "storage.googleapis.com", 443, {}};
  std::string endpoint_origin;  // the variable that chose another endpoint, "" for Google's
  Credentials credentials;
  // Resumable uploads of base-backup partitions go up in chunks of this
  // size; GCS wants multiples of 256 KiB.
  std::uint64_t chunk_size = 16u << 20;
  std::size_t max_connections = 16;
  std::size_t list_page_size = 1000;  // maxResults of a listing request (GCS returns at most 1000)
};

inline constexpr std::uint64_t kChunkQuantum = 256u << 10;

// WALE_GS_ENDPOINT: http[s]://host[:port]. STORAGE_EMULATOR_HOST, as
// Google's client libraries read it: host:port or http[s]://host[:port].
// Both throw wale::Error(usage) naming `variable` for anything else.
net::Endpoint parse_gs_endpoint(std::string_view text, std::string_view variable);
net::Endpoint parse_emulator_host(std::string_view text, std::string_view variable);

// Reads the JSON of a GOOGLE_APPLICATION_CREDENTIALS file (`path` for
// messages): a service-account key or an authorized user. Throws
// wale::Error(usage) that names the variable and the missing field, never
// a secret.
Credentials parse_credentials_json(std::string_view json, const std::string& path);

}  // namespace wale::storage::gcs
