// The ETag S3 answers to an upload, checked against what was sent.
#pragma once

#include <string>
#include <string_view>

namespace wale::storage::s3 {

// True when `etag`, from the answer to a PUT of a whole object or of one
// part, names other bytes than those whose MD5 is `md5_hex`. For such
// uploads S3 and its work-alikes answer the MD5 of the bytes they stored,
// unless the object is encrypted with KMS keys (`server_side_encryption`
// "aws:kms" or "aws:kms:dsse"), whose ETags are opaque. A missing ETag
// contradicts nothing: the store has checked Content-MD5 already.
bool etag_contradicts(std::string_view etag, std::string_view md5_hex, std::string_view server_side_encryption);

// The MD5 (lowercase hex) an object's ETag stands for, or empty when it
// stands for none: a multipart ETag ("<md5>-<parts>"), a KMS-encrypted
// object's, anything not 32 hex digits.
std::string md5_of_etag(std::string_view etag, std::string_view server_side_encryption);

}  // namespace wale::storage::s3
