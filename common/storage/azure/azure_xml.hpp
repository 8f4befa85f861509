// The Azure Blob Storage XML documents this project reads and writes:
// List Blobs pages, error documents, block lists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wale::storage::azure {

struct ListedBlob {
  std::string name;           // decoded (Azure percent-encodes names that XML cannot carry)
  std::uint64_t size = 0;
  std::string last_modified;  // as Azure prints it: "Wed, 09 Sep 2009 09:20:02 GMT"
};

struct BlobPage {
  std::vector<ListedBlob> blobs;
  std::string next_marker;  // opaque; empty on the last page
};

// A List Blobs answer (EnumerationResults). Throws wale::Error(corrupt) for
// anything else, naming the error an <Error> document carries.
BlobPage parse_blob_page(std::string_view xml);

// <Error><Code>..</Code><Message>..</Message></Error>; empty fields when the
// body is not such a document. The message is cut to its first line (Azure
// appends RequestId and Time lines) and to a printable length.
struct AzureError {
  std::string code;
  std::string message;
};
AzureError parse_error(std::string_view xml);

// The Put Block List body committing the blocks numbered 1..count (ids from
// block_id), each as its latest uploaded version.
std::string block_list_body(std::uint32_t count);

}  // namespace wale::storage::azure
