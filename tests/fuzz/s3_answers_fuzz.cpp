// libFuzzer target for what an S3 store (or something pretending to be
// one) answers: listings (plain and with URL-encoded keys), error
// documents, multipart results, delete results, and the timestamps in them.
// Hostile answers end in wale::Error (corrupt, or the error the document
// reports) or in values, never in a crash or an unbounded allocation; a
// page never holds more entries than the document has bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/storage/s3/s3_xml.hpp"
#include "tests/fuzz/tolerate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using wale::fuzz::tolerate;
  namespace s3 = wale::storage::s3;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const bool url_encoded : {false, true}) {
    tolerate([&] {
      const auto page = s3::parse_list_page(input, url_encoded);
      if (page.objects.size() + page.common_prefixes.size() > size) __builtin_trap();
      for (const auto& object : page.objects) (void)s3::parse_iso8601_ns(object.last_modified);
    });
  }
  tolerate([&] { (void)s3::parse_error(input); });
  tolerate([&] { (void)s3::parse_upload_id(input); });
  tolerate([&] { (void)s3::parse_complete_result(input); });
  tolerate([&] { (void)s3::parse_delete_result(input); });
  (void)s3::parse_iso8601_ns(input);
  (void)s3::parse_http_date_ns(input);
  return 0;
}
