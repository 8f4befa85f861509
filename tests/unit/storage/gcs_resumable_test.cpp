// The resumable-upload protocol's headers: Content-Range of chunks, final
// chunks and status queries, and the Range of a 308 answer.
#include "common/storage/gcs/resumable_upload.hpp"

#include <catch2/catch.hpp>

#include "common/core/error.hpp"

using namespace wale::storage::gcs;

TEST_CASE("gcs: Content-Range of resumable upload requests", "[gcs]") {
  CHECK(chunk_content_range(0, 262144, std::nullopt) == "bytes 0-262143/*");
  CHECK(chunk_content_range(262144, 262144, std::nullopt) == "bytes 262144-524287/*");
  CHECK(chunk_content_range(524288, 1000, 525288) == "bytes 524288-525287/525288");
  CHECK(chunk_content_range(524288, 0, 524288) == "bytes */524288");  // an empty final chunk
  CHECK(chunk_content_range(0, 0, std::nullopt) == "bytes */*");      // a status query
}

TEST_CASE("gcs: the bytes a session holds, from a 308's Range", "[gcs]") {
  CHECK(persisted_bytes("") == 0);
  CHECK(persisted_bytes("bytes=0-0") == 1);
  CHECK(persisted_bytes("bytes=0-262143") == 262144);
  CHECK(persisted_bytes("bytes=0-21474836479") == 21474836480ull);
  for (const char* bad : {"bytes=1-5", "bytes=0-", "0-5", "bytes=0-5x", "bytes=0--1"}) {
    INFO(bad);
    CHECK_THROWS_AS(persisted_bytes(bad), wale::Error);
  }
}
