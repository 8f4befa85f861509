// The Swift API's documents: container listings (format=json), Static
// Large Object manifests, bulk-delete requests and answers, the cluster's
// capabilities (/info), and the text of error answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wale::storage::swift {

struct ListedObject {
  std::string name;
  std::uint64_t bytes = 0;  // of a Static Large Object: its whole size
  std::string last_modified;  // "2024-01-02T03:04:05.123456", UTC, as Swift writes it
};

// A container listing page; "subdir" entries are skipped. Throws
// wale::Error(permanent) when the body is not a JSON array of objects.
std::vector<ListedObject> parse_listing(std::string_view body);

// One segment of a Static Large Object, as its manifest names it.
struct Segment {
  std::string path;  // "/container/object", not percent-encoded
  std::string etag;  // MD5 of the segment, hex
  std::uint64_t size = 0;
};

// The body of PUT ...?multipart-manifest=put.
std::string slo_manifest(const std::vector<Segment>& segments);
// The ETag Swift gives the manifest's object: the MD5 of the segments'
// etags, concatenated. Sent with the manifest, Swift checks it.
std::string slo_etag(const std::vector<Segment>& segments);

// The body of POST /v1/ACCOUNT?bulk-delete: one URL-encoded
// "/container/object" a line.
std::string bulk_delete_body(const std::string& container, const std::vector<std::string>& names);

struct BulkDeleteResult {
  std::string status;  // "Response Status", e.g. "200 OK"
  std::string body;    // "Response Body"
  std::uint64_t deleted = 0;
  std::uint64_t not_found = 0;
  std::vector<std::pair<std::string, std::string>> errors;  // name, status
};
// Throws wale::Error(transient) when the answer is not the JSON document
// (Swift streams it; a cut-off answer is worth another try).
BulkDeleteResult parse_bulk_delete(std::string_view body);

// From GET /info: the bulk-delete middleware's page size, or nullopt when
// the cluster has none (or the answer is not Swift's).
std::optional<std::size_t> bulk_delete_limit(std::string_view info);

// One line of text from an error answer: Keystone's JSON message, Swift's
// HTML page without its tags, or plain text; at most 200 characters.
std::string server_message(std::string_view body);

}  // namespace wale::storage::swift
