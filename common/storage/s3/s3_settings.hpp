// Everything the S3 backend needs, resolved once from WAL-E's settings
// (config/store_settings.cpp does that) into a plain struct.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/net/http_client.hpp"
#include "common/storage/s3/sigv4.hpp"

namespace wale::storage::s3 {

enum class Addressing { path, virtual_host };

struct S3Settings {
  std::string bucket;
  net::Endpoint endpoint;  // the service endpoint (without the bucket)
  Addressing addressing = Addressing::virtual_host;
  std::string region = "us-east-1";  // signing region
  Credentials credentials;           // static credentials; empty with an instance profile
  bool instance_profile = false;
  std::string metadata_endpoint = "http://169.254.169.254";
  std::string storage_class;         // x-amz-storage-class, when set
  std::string server_side_encryption;// x-amz-server-side-encryption, only when asked for
  std::string ca_file;
  std::uint64_t part_size = 8u << 20;
  std::size_t part_concurrency = 2;
  std::size_t max_connections = 16;
  std::size_t list_page_size = 1000;  // max-keys of a listing request (S3 allows at most 1000)
  // How long a single store operation keeps retrying transient failures.
  unsigned retry_seconds = 60;
};

// WALE_S3_ENDPOINT: <http|https>+<path|virtualhost|subdomain>://host[:port].
// Throws wale::Error(usage) naming the variable for anything else.
void parse_s3_endpoint(std::string_view text, S3Settings& settings);

// WAL-E's rule for buckets without an endpoint: DNS-compatible names
// without dots use virtual-host addressing, others path addressing.
bool dns_compatible_bucket(std::string_view bucket);

// The AWS endpoint for a region (s3.<region>.amazonaws.com, or
// amazonaws.com.cn in China). Throws usage for a malformed region.
void use_aws_region(std::string_view region, S3Settings& settings);

}  // namespace wale::storage::s3
