// The S3 XML documents this project reads and writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wale::storage::s3 {

struct ListedObject {
  std::string key;
  std::uint64_t size = 0;
  std::string last_modified;  // as S3 prints it: 2014-01-01T12:00:00.000Z
  std::string etag;
};

struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
  // With encoding-type=url keys arrive percent-encoded; parse_list_page decodes them.
};

// ListObjectsV2 answer (ListBucketResult). `url_encoded`: the request asked
// for encoding-type=url.
ListPage parse_list_page(std::string_view xml, bool url_encoded);

// <Error><Code>..</Code><Message>..</Message></Error>; empty fields when the
// body is not such a document.
struct S3Error {
  std::string code;
  std::string message;
  std::string request_id;
};
S3Error parse_error(std::string_view xml);

// InitiateMultipartUploadResult -> UploadId.
std::string parse_upload_id(std::string_view xml);

// CompleteMultipartUploadResult may be an <Error> inside a 200 response:
// returns the error when it is one.
std::optional<S3Error> parse_complete_result(std::string_view xml);

struct CompletedPart {
  int number = 0;
  std::string etag;  // as returned by UploadPart, quotes included
};
std::string complete_multipart_body(const std::vector<CompletedPart>& parts);

// DeleteObjects request body (quiet mode) for up to 1000 keys, and its
// answer: the keys that could not be deleted, with code and message.
std::string delete_objects_body(const std::vector<std::string>& keys);
struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
};
std::vector<DeleteFailure> parse_delete_result(std::string_view xml);

// Parses S3's ISO-8601 timestamps ("2014-01-01T12:00:00.000Z") into
// nanoseconds since the epoch; 0 when malformed.
std::int64_t parse_iso8601_ns(std::string_view text);
// And HTTP dates ("Wed, 12 Oct 2009 17:50:00 GMT") from Last-Modified.
std::int64_t parse_http_date_ns(std::string_view text);

}  // namespace wale::storage::s3
