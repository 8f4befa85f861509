// Azure Blob XML as Azure and Azurite write it: List Blobs pages (with and
// without a NextMarker, encoded names, empty), error documents, and the
// Put Block List body.
#include "common/storage/azure/azure_xml.hpp"

#include <catch2/catch.hpp>

#include "common/core/error.hpp"
#include "common/storage/azure/blob_naming.hpp"

using namespace wale::storage::azure;

TEST_CASE("azure xml: a List Blobs page with a NextMarker", "[storage][azure][xml]") {
  // Azurite 3.35's answer (Properties trimmed), with Azure's opaque marker.
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><EnumerationResults "
      "ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1\" ContainerName=\"wal\"><Prefix>archive/</Prefix>"
      "<MaxResults>2</MaxResults><Blobs><Blob><Name>archive/wal_005/000000010000000000000001.lzo</Name><Properties>"
      "<Creation-Time>Fri, 04 Dec 2026 04:17:24 GMT</Creation-Time><Last-Modified>Fri, 04 Dec 2026 04:17:24 GMT</Last-Modified>"
      "<Etag>0x1FC0742636B25E0</Etag><Content-Length>1234</Content-Length><Content-Type>application/octet-stream</Content-Type>"
      "<Content-MD5>1B2M2Y8AsgTpgAmY7PhCfg==</Content-MD5><BlobType>BlockBlob</BlobType></Properties></Blob>"
      "<Blob><Name>archive/wal_005/000000010000000000000002.lzo</Name><Properties>"
      "<Last-Modified>Sat, 05 Dec 2026 00:00:01 GMT</Last-Modified><Content-Length>16777216</Content-Length></Properties>"
      "</Blob></Blobs><NextMarker>2!88!MDAwMDE1IWFyY2hpdmUvd2FsXzAwNS8wMDAwMDAwMTAwMDAwMDAwMDAwMDAwMEYubHpvITA-</NextMarker>"
      "</EnumerationResults>";
  const BlobPage page = parse_blob_page(xml);
  REQUIRE(page.blobs.size() == 2);
  CHECK(page.blobs[0].name == "archive/wal_005/000000010000000000000001.lzo");
  CHECK(page.blobs[0].size == 1234);
  CHECK(page.blobs[0].last_modified == "Fri, 04 Dec 2026 04:17:24 GMT");
  CHECK(page.blobs[1].size == 16777216);
  CHECK(page.next_marker == "2!88!MDAwMDE1IWFyY2hpdmUvd2FsXzAwNS8wMDAwMDAwMTAwMDAwMDAwMDAwMDAwMEYubHpvITA-");
}

TEST_CASE("azure xml: the last page and an empty container", "[storage][azure][xml]") {
  const BlobPage last = parse_blob_page(
      "<EnumerationResults ContainerName=\"wal\"><Blobs><Blob><Name>k</Name><Properties><Content-Length>0</Content-Length>"
      "</Properties></Blob></Blobs><NextMarker/></EnumerationResults>");
  REQUIRE(last.blobs.size() == 1);
  CHECK(last.blobs[0].size == 0);
  CHECK(last.next_marker.empty());
  const BlobPage empty = parse_blob_page("<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>");
  CHECK(empty.blobs.empty());
  CHECK(empty.next_marker.empty());
}

TEST_CASE("azure xml: names Azure had to percent-encode", "[storage][azure][xml]") {
  const BlobPage page = parse_blob_page(
      "<EnumerationResults><Blobs><Blob><Name Encoded=\"true\">a%EF%BF%BEb%2Fc</Name><Properties>"
      "<Content-Length>3</Content-Length></Properties></Blob><Blob><Name>plain%41</Name><Properties>"
      "<Content-Length>1</Content-Length></Properties></Blob></Blobs></EnumerationResults>");
  REQUIRE(page.blobs.size() == 2);
  CHECK(page.blobs[0].name == "a\xEF\xBF\xBE" "b/c");
  CHECK(page.blobs[1].name == "plain%41");  // only marked names are decoded
  CHECK_THROWS_AS(parse_blob_page("<EnumerationResults><Blobs><Blob><Name Encoded=\"true\">a%4</Name><Properties>"
                                  "<Content-Length>1</Content-Length></Properties></Blob></Blobs></EnumerationResults>"),
                  wale::Error);
}

TEST_CASE("azure xml: malformed pages are corrupt answers, an Error document names its code", "[storage][azure][xml]") {
  auto kind_of = [](const std::string& xml) {
    try {
      (void)parse_blob_page(xml);
    } catch (const wale::Error& e) {
      return std::pair(e.kind(), std::string(e.what()));
    }
    FAIL("no error for " << xml);
    return std::pair(wale::ErrorKind::permanent, std::string());
  };
  auto [kind, what] = kind_of("<Error><Code>AuthorizationFailure</Code><Message>no\nRequestId:x</Message></Error>");
  CHECK(kind == wale::ErrorKind::corrupt);
  CHECK_THAT(what, Catch::Contains("AuthorizationFailure"));
  CHECK(what.find('\n') == std::string::npos);
  CHECK(kind_of("<ListBucketResult/>").first == wale::ErrorKind::corrupt);
  CHECK(kind_of("<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs></EnumerationResults>").first ==
        wale::ErrorKind::corrupt);
  CHECK(kind_of("<EnumerationResults><Blobs><Blob><Name>x</Name><Properties><Content-Length>-1</Content-Length>"
                "</Properties></Blob></Blobs></EnumerationResults>").first == wale::ErrorKind::corrupt);
  CHECK(kind_of("<EnumerationResults><Blobs><Blob><Name>x</Name></Blob></Blobs></EnumerationResults>").first ==
        wale::ErrorKind::corrupt);
  CHECK(kind_of("not xml").first == wale::ErrorKind::corrupt);
}

TEST_CASE("azure xml: error documents keep the code and the message's first line", "[storage][azure][xml]") {
  const AzureError e = parse_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Error>\n  <Code>AuthenticationFailed</Code>\n"
      "  <Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly "
      "including the signature.\nRequestId:0a1e1f79-6f75-4a38-90b1-7ab2d945c838\nTime:2026-12-04T04:17:19.036Z</Message>\n"
      "  <AuthenticationErrorDetail>The MAC signature found in the HTTP request 'abc' is not the same</AuthenticationErrorDetail>\n"
      "</Error>");
  CHECK(e.code == "AuthenticationFailed");
  CHECK(e.message ==
        "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including "
        "the signature.");
  const AzureError none = parse_error("");
  CHECK(none.code.empty());
  CHECK(parse_error("<html>bad gateway</html>").code.empty());
  CHECK(parse_error(std::string(100, '<')).code.empty());
  CHECK(parse_error("<Error><Code>X</Code><Message>" + std::string(1000, 'm') + "</Message></Error>").message.size() < 310);
}

TEST_CASE("azure xml: Put Block List names each block's latest version in order", "[storage][azure][xml]") {
  CHECK(block_list_body(2) ==
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>" + block_id(1) + "</Latest><Latest>" + block_id(2) +
            "</Latest></BlockList>");
  CHECK(block_list_body(0) == "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList></BlockList>");
}
