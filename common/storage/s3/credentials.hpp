// Where S3 credentials come from: the environment (static), or the EC2
// instance profile through the instance metadata service (IMDSv2), renewed
// before they expire.
#pragma once

#include <memory>
#include <string>

#include "common/net/http_client.hpp"
#include "common/storage/s3/sigv4.hpp"

namespace wale::storage::s3 {

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // Thread-safe. Throws wale::Error when no credentials can be had.
  virtual Credentials current() = 0;
};

std::unique_ptr<CredentialSource> static_credentials(Credentials credentials);

// `metadata_endpoint` is http://host[:port] (169.254.169.254 on EC2).
std::unique_ptr<CredentialSource> instance_profile_credentials(net::HttpClient& client, const std::string& metadata_endpoint);

}  // namespace wale::storage::s3
