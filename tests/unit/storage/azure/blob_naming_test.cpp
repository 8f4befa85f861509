// Azure names: request paths, block ids, metadata names, WAL-E's listing
// timestamp, percent-decoding.
#include "common/storage/azure/blob_naming.hpp"

#include <catch2/catch.hpp>

#include <set>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"

using namespace wale::storage::azure;

TEST_CASE("azure names: the blob path is WAL-E's name, percent-encoded, slashes kept", "[storage][azure]") {
  CHECK(blob_path("wal", "archive/wal_005/000000010000000000000001.lzo") == "/wal/archive/wal_005/000000010000000000000001.lzo");
  CHECK(blob_path("wal", "a b+c%/d~e") == "/wal/a%20b%2Bc%25/d~e");
}

TEST_CASE("azure names: block ids are base64 of one length, distinct, without padding", "[storage][azure]") {
  std::set<std::string> ids;
  for (std::uint32_t n : {1u, 2u, 9u, 10u, 999u, 12345u, kMaxBlocks}) {
    const std::string id = block_id(n);
    CHECK(id.size() == 16);
    CHECK(id.find('=') == std::string::npos);
    CHECK(wale::codec::from_base64(id).value_or("").size() == 12);
    ids.insert(id);
  }
  CHECK(ids.size() == 7);
  CHECK(*wale::codec::from_base64(block_id(1)) == "wale00000001");
  CHECK_THROWS_AS(block_id(0), wale::Error);
  CHECK_THROWS_AS(block_id(kMaxBlocks + 1), wale::Error);
}

TEST_CASE("azure names: metadata names are C# identifiers on the wire and ours when read", "[storage][azure]") {
  CHECK(metadata_header("wale-xxh128") == "x-ms-meta-wale_xxh128");
  CHECK(metadata_header("wale-size") == "x-ms-meta-wale_size");
  CHECK(metadata_name("x-ms-meta-wale_xxh128") == std::optional<std::string>("wale-xxh128"));
  CHECK(metadata_name("x-ms-meta-wale_size") == std::optional<std::string>("wale-size"));
  CHECK_FALSE(metadata_name("x-ms-version").has_value());
  CHECK_FALSE(metadata_name("content-length").has_value());
}

TEST_CASE("azure names: WAL-E printed Azure's Last-Modified as a Python datetime", "[storage][azure]") {
  CHECK(wale_timestamp(1'796'357'844'000'000'000) == "2026-12-04 04:17:24+00:00");
  CHECK(wale_timestamp(0) == "");
}

TEST_CASE("azure names: percent-decoding", "[storage][azure]") {
  CHECK(percent_decode("a%2Fb%3d%20c+") == std::optional<std::string>("a/b= c+"));
  CHECK_FALSE(percent_decode("%").has_value());
  CHECK_FALSE(percent_decode("%4").has_value());
  CHECK_FALSE(percent_decode("%zz").has_value());
}
