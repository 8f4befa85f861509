// The JSON documents of the Cloud Storage JSON API this backend reads and
// writes: object resources, listing pages, error documents, and the
// multipart/related body of a single-request upload.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wale::storage::gcs {

struct ObjectResource {
  std::string name;
  std::uint64_t size = 0;
  std::string updated;  // RFC 3339, as GCS reports it
  std::string md5_hash;  // base64, absent for composite objects
  std::string crc32c;    // base64 of the big-endian CRC-32C
  std::map<std::string, std::string> metadata;
};

// Throws wale::Error(permanent) naming `what` when the body is not an
// object resource with a name and a size.
ObjectResource parse_object_resource(std::string_view body, const std::string& what);

struct ObjectListPage {
  std::vector<ObjectResource> items;
  std::string next_page_token;  // opaque; "" on the last page
};
ObjectListPage parse_object_list(std::string_view body, const std::string& what);

// {"error": {"code": 403, "message": "...", "errors": [{"reason": "forbidden", ...}]}}.
// A body that is not such a document gives what it can: its first line
// when it is short text, else nothing.
struct ServiceError {
  std::string reason;
  std::string message;
};
ServiceError parse_service_error(std::string_view body);

// The JSON of a new object: name, contentType, user metadata, and the
// checksums the service is to verify the body against (when given).
std::string object_metadata_json(const std::string& name, const std::string& content_type,
                                 const std::map<std::string, std::string>& metadata, const std::string& md5_base64 = {},
                                 const std::string& crc32c_base64 = {});

// A multipart/related body: the metadata JSON part, then the media part.
// The boundary is chosen so that it occurs in neither.
struct MultipartBody {
  std::string content_type;  // "multipart/related; boundary=..."
  std::string body;
};
MultipartBody multipart_related(std::string_view metadata_json, std::string_view media, std::string_view media_type);

// What a server said, fit for a one-line error message: control
// characters become spaces, and it is cut at 300 characters.
std::string one_line(std::string text);

// WAL-E prints a GCS object's time as Python's str() of the client
// library's datetime: "2024-01-02 03:04:05.678000+00:00".
std::string python_datetime_text(std::int64_t epoch_ns);

}  // namespace wale::storage::gcs
