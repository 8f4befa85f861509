// libFuzzer target for what the Azure, GCS and Swift stores (or something
// pretending to be one) answer: Azure's listing and error XML, GCS's
// object, listing and error JSON, and Swift's listing, bulk-delete, /info
// and error bodies (Keystone's token answers are tested against recorded
// exchanges: their parser sits with the HTTP client). The first byte picks
// the parser, the rest is the answer. Hostile answers end
// in wale::Error or in values, never in a crash, another exception or an
// unbounded allocation; a page never holds more entries than the answer
// has bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/storage/azure/azure_xml.hpp"
#include "common/storage/gcs/gcs_json.hpp"
#include "common/storage/swift/swift_json.hpp"
#include "tests/fuzz/tolerate.hpp"

namespace {

void at_most(std::size_t entries, std::string_view body) {
  if (entries > body.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using wale::fuzz::tolerate;
  namespace azure = wale::storage::azure;
  namespace gcs = wale::storage::gcs;
  namespace swift = wale::storage::swift;
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0: tolerate([&] { at_most(azure::parse_blob_page(body).blobs.size(), body); }); break;
    case 1: tolerate([&] { azure::parse_error(body); }); break;
    case 2: tolerate([&] { gcs::parse_object_resource(body, "an answer"); }); break;
    case 3: tolerate([&] { at_most(gcs::parse_object_list(body, "an answer").items.size(), body); }); break;
    case 4: tolerate([&] { gcs::parse_service_error(body); }); break;
    case 5: tolerate([&] { at_most(swift::parse_listing(body).size(), body); }); break;
    case 6: tolerate([&] { swift::parse_bulk_delete(body); }); break;
    case 7: tolerate([&] { swift::bulk_delete_limit(body); }); break;
    default: tolerate([&] { swift::server_message(body); }); break;
  }
  return 0;
}
