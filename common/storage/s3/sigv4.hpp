// AWS Signature Version 4 for S3 requests, written from the AWS
// specification ("Signing AWS API requests", "Authenticating Requests:
// Using the Authorization Header") and checked against AWS's published
// examples in the unit tests.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wale::storage::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in an error message
  std::string session_token;      // empty when none
};

struct SigningInput {
  std::string method;              // "GET"
  std::string canonical_uri;       // the path, each segment URI-encoded once ("/test%24file.text")
  std::vector<std::pair<std::string, std::string>> query;  // decoded name/value pairs, in any order
  std::vector<std::pair<std::string, std::string>> headers;// every header to sign; "host" included
  std::string payload_sha256_hex;  // the x-amz-content-sha256 value ("UNSIGNED-PAYLOAD" allowed)
  std::string amz_date;            // "20130524T000000Z"
  std::string region;              // "us-east-1"
  std::string service = "s3";
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;      // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature_hex;
  std::string authorization;       // the full Authorization header value
};

// Signs; header names are lower-cased and values trimmed (inner runs of
// spaces collapsed) as the specification says; the query is sorted and
// encoded (a name without value signs as "name=").
Signature sign_v4(const SigningInput& input, const Credentials& credentials);

// The canonical query string alone (sorted, each name and value
// URI-encoded, '/' encoded too), also used to build the request target so
// that what is sent is exactly what was signed.
std::string canonical_query(std::vector<std::pair<std::string, std::string>> query);

// "20130524T000000Z" for now (UTC).
std::string amz_date_now();

}  // namespace wale::storage::s3
