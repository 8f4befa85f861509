// The S3 documents as AWS, MinIO, s3rver and Swift's s3api write them:
// listings (plain and url-encoded, truncated and empty), error documents,
// multipart and DeleteObjects answers, the request bodies this project
// sends, and the timestamp formats.
#include "common/storage/s3/s3_xml.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "common/core/error.hpp"
#include "common/net/xml.hpp"

using wale::Error;
using wale::ErrorKind;
using namespace wale::storage::s3;

namespace {

// The kind of error `fn` throws; fails the test when it throws none.
template <typename Fn>
ErrorKind error_kind_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no wale::Error thrown");
  return ErrorKind::permanent;
}

constexpr std::int64_t kNs = 1'000'000'000;

}  // namespace

TEST_CASE("s3 xml: AWS ListObjectsV2 page truncated with a continuation token", "[storage][s3][xml]") {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>wal-bucket</Name>"
      "<Prefix>pg/wal_005/</Prefix>"
      "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM+NB/mv0a==</NextContinuationToken>"
      "<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
      "<Contents><Key>pg/wal_005/000000010000000000000001.lzo</Key>"
      "<LastModified>2014-01-01T12:00:00.000Z</LastModified>"
      "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>1234</Size>"
      "<StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>pg/wal_005/000000010000000000000002.lzo</Key>"
      "<LastModified>2014-01-01T12:05:30.250Z</LastModified>"
      "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag><Size>16777216</Size>"
      "<StorageClass>STANDARD_IA</StorageClass></Contents></ListBucketResult>";
  const ListPage page = parse_list_page(xml, false);
  REQUIRE(page.objects.size() == 2);
  CHECK(page.objects[0].key == "pg/wal_005/000000010000000000000001.lzo");
  CHECK(page.objects[0].size == 1234);
  CHECK(page.objects[0].last_modified == "2014-01-01T12:00:00.000Z");
  CHECK(page.objects[0].etag == "\"d41d8cd98f00b204e9800998ecf8427e\"");
  CHECK(page.objects[1].key == "pg/wal_005/000000010000000000000002.lzo");
  CHECK(page.objects[1].size == 16777216);
  CHECK(page.objects[1].etag == "\"3858f62230ac3c915f300c664312c11f-9\"");
  CHECK(page.common_prefixes.empty());
  CHECK(page.truncated);
  CHECK(page.next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM+NB/mv0a==");
}

TEST_CASE("s3 xml: url-encoded keys and prefixes are decoded but the token is not", "[storage][s3][xml]") {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>wal-bucket</Name>"
      "<Prefix>pg%2Fa+b%2F</Prefix><Delimiter>%2F</Delimiter>"
      "<NextContinuationToken>1/a+b/c==</NextContinuationToken><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
      "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
      "<Contents><Key>pg/a+b/caf%C3%A9%2B1%25.lzo</Key><LastModified>2014-01-01T12:00:00.000Z</LastModified>"
      "<ETag>&quot;e&quot;</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>pg/a+b/tab%09and%0Dcr</Key><LastModified>2014-01-01T12:00:00.000Z</LastModified>"
      "<ETag>&quot;f&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<CommonPrefixes><Prefix>pg/a+b/sub%20dir/</Prefix></CommonPrefixes></ListBucketResult>";
  const ListPage page = parse_list_page(xml, true);
  REQUIRE(page.objects.size() == 2);
  CHECK(page.objects[0].key == "pg/a b/caf\xC3\xA9+1%.lzo");
  CHECK(page.objects[1].key == "pg/a b/tab\tand\rcr");
  REQUIRE(page.common_prefixes.size() == 1);
  CHECK(page.common_prefixes[0] == "pg/a b/sub dir/");
  CHECK(page.next_continuation_token == "1/a+b/c==");

  SECTION("without encoding-type=url the same text is taken literally") {
    const ListPage literal = parse_list_page(xml, false);
    CHECK(literal.objects[0].key == "pg/a+b/caf%C3%A9%2B1%25.lzo");
    CHECK(literal.common_prefixes[0] == "pg/a+b/sub%20dir/");
  }
}

TEST_CASE("s3 xml: MinIO listing with common prefixes and owners", "[storage][s3][xml]") {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>wal</Name><Prefix>pg/</Prefix>"
      "<KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
      "<Contents><Key>pg/sentinel.json</Key><LastModified>2023-06-01T08:15:42.123Z</LastModified>"
      "<ETag>&#34;c4ca4238a0b923820dcc509a6f75849b&#34;</ETag><Size>2</Size>"
      "<Owner><ID>02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4</ID>"
      "<DisplayName>minio</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>"
      "<CommonPrefixes><Prefix>pg/basebackups_005/</Prefix></CommonPrefixes>"
      "<CommonPrefixes><Prefix>pg/wal_005/</Prefix></CommonPrefixes>"
      "<EncodingType>url</EncodingType></ListBucketResult>";
  const ListPage page = parse_list_page(xml, true);
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].key == "pg/sentinel.json");
  CHECK(page.objects[0].size == 2);
  CHECK(page.objects[0].etag == "\"c4ca4238a0b923820dcc509a6f75849b\"");
  CHECK(page.objects[0].last_modified == "2023-06-01T08:15:42.123Z");
  REQUIRE(page.common_prefixes.size() == 2);
  CHECK(page.common_prefixes[0] == "pg/basebackups_005/");
  CHECK(page.common_prefixes[1] == "pg/wal_005/");
  CHECK_FALSE(page.truncated);
  CHECK(page.next_continuation_token.empty());
}

TEST_CASE("s3 xml: s3rver pretty-printed listing", "[storage][s3][xml]") {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
      "  <IsTruncated>false</IsTruncated>\n"
      "  <Contents>\n"
      "    <Key>pg/basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo</Key>\n"
      "    <LastModified>2020-02-14T09:26:53.573Z</LastModified>\n"
      "    <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n"
      "    <Size>524288</Size>\n"
      "    <StorageClass>STANDARD</StorageClass>\n"
      "  </Contents>\n"
      "  <Name>wal</Name>\n"
      "  <Prefix>pg/basebackups_005/</Prefix>\n"
      "  <MaxKeys>1000</MaxKeys>\n"
      "  <KeyCount>1</KeyCount>\n"
      "</ListBucketResult>\n";
  const ListPage page = parse_list_page(xml, false);
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].key ==
        "pg/basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo");
  CHECK(page.objects[0].size == 524288);
  CHECK(page.objects[0].etag == "\"9b2cf535f27731c974343645a3985328\"");
  CHECK_FALSE(page.truncated);
}

TEST_CASE("s3 xml: Swift s3api listing", "[storage][s3][xml]") {
  const std::string xml =
      "<?xml version='1.0' encoding='UTF-8'?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>wal</Name><Prefix/>"
      "<ContinuationToken>cGcvd2FsXzAwNS8w</ContinuationToken>"
      "<NextContinuationToken>cGcvd2FsXzAwNS8xLmx6bw==</NextContinuationToken>"
      "<KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><EncodingType>url</EncodingType>"
      "<IsTruncated>true</IsTruncated><Contents><Key>pg/wal_005/1.lzo</Key>"
      "<LastModified>2019-11-05T14:22:01.000Z</LastModified>"
      "<ETag>&quot;7d2b5c4b3f0d1a3e2c8a9b0d1e2f3a4b&quot;</ETag><Size>80</Size>"
      "<Owner><ID>test:tester</ID><DisplayName>test:tester</DisplayName></Owner>"
      "<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";
  const ListPage page = parse_list_page(xml, true);
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].key == "pg/wal_005/1.lzo");
  CHECK(page.objects[0].size == 80);
  CHECK(page.truncated);
  CHECK(page.next_continuation_token == "cGcvd2FsXzAwNS8xLmx6bw==");
}

TEST_CASE("s3 xml: empty listings", "[storage][s3][xml]") {
  const ListPage aws = parse_list_page(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>wal</Name>"
      "<Prefix>pg/wal_005/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>",
      false);
  CHECK(aws.objects.empty());
  CHECK(aws.common_prefixes.empty());
  CHECK_FALSE(aws.truncated);
  CHECK(aws.next_continuation_token.empty());

  const ListPage bare = parse_list_page("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>", true);
  CHECK(bare.objects.empty());
  CHECK_FALSE(bare.truncated);

  SECTION("a truncated page without a token is reported as it is") {
    const ListPage odd = parse_list_page("<ListBucketResult><IsTruncated> true </IsTruncated></ListBucketResult>", false);
    CHECK(odd.truncated);
    CHECK(odd.next_continuation_token.empty());
  }
}

TEST_CASE("s3 xml: listings that cannot be trusted are refused", "[storage][s3][xml]") {
  const std::string head = "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  auto kind = [](const std::string& xml, bool url = false) {
    return error_kind_of([&] { (void)parse_list_page(xml, url); });
  };
  CHECK(kind(head + "<IsTruncated>maybe</IsTruncated></ListBucketResult>") == ErrorKind::corrupt);
  CHECK(kind(head + "<Contents><Key>k</Key><Size>12a</Size></Contents></ListBucketResult>") == ErrorKind::corrupt);
  CHECK(kind(head + "<Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>") == ErrorKind::corrupt);
  CHECK(kind(head + "<Contents><Key>k</Key><Size>99999999999999999999</Size></Contents></ListBucketResult>") ==
        ErrorKind::corrupt);
  CHECK(kind(head + "<Contents><Key>k</Key></Contents></ListBucketResult>") == ErrorKind::corrupt);
  CHECK(kind(head + "<Contents><Size>1</Size></Contents></ListBucketResult>") == ErrorKind::corrupt);
  CHECK(kind(head + "<Contents><Key>a%2</Key><Size>1</Size></Contents></ListBucketResult>", true) ==
        ErrorKind::corrupt);
  CHECK(kind(head + "<Contents><Key>a%zz</Key><Size>1</Size></Contents></ListBucketResult>", true) ==
        ErrorKind::corrupt);
  CHECK(kind(head + "<Contents>") == ErrorKind::corrupt);
  CHECK(kind("") == ErrorKind::corrupt);
  CHECK(kind("<ListAllMyBucketsResult/>") == ErrorKind::corrupt);

  SECTION("an error document in place of a listing names its code") {
    try {
      (void)parse_list_page("<Error><Code>AccessDenied</Code><Message>Access\nDenied</Message></Error>", false);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::corrupt);
      CHECK(std::string(e.what()).find("AccessDenied") != std::string::npos);
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("s3 xml: error documents", "[storage][s3][xml]") {
  SECTION("NoSuchKey") {
    const S3Error e = parse_error(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Key>pg/wal_005/000000010000000000000009.lzo</Key><RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>xyMnCLEkC+8gRwbMUHb9y2WGFD8z8ihqm2/8RcEvVK5Jj5J8eYD9SwmL7t4MZ8Y0KpuTPN7zDZE=</HostId></Error>");
    CHECK(e.code == "NoSuchKey");
    CHECK(e.message == "The specified key does not exist.");
    CHECK(e.request_id == "4442587FB7D0A2F9");
  }
  SECTION("SlowDown") {
    const S3Error e = parse_error(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
        "<RequestId>1A2B3C4D5E6F7A8B</RequestId><HostId>aGVsbG8=</HostId></Error>");
    CHECK(e.code == "SlowDown");
    CHECK(e.message == "Please reduce your request rate.");
    CHECK(e.request_id == "1A2B3C4D5E6F7A8B");
  }
  SECTION("SignatureDoesNotMatch, with the string to sign echoed back") {
    const S3Error e = parse_error(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match "
        "the signature you provided. Check your key and signing method.</Message>"
        "<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20130524T000000Z\n"
        "20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        "</StringToSign><SignatureProvided>f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        "</SignatureProvided><StringToSignBytes>41 57 53 34</StringToSignBytes>"
        "<CanonicalRequest>GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n</CanonicalRequest>"
        "<RequestId>8B0B9D5A2C4E6F10</RequestId><HostId>Zm9v</HostId></Error>");
    CHECK(e.code == "SignatureDoesNotMatch");
    CHECK(e.message.starts_with("The request signature we calculated does not match"));
    CHECK(e.request_id == "8B0B9D5A2C4E6F10");
  }
  SECTION("MinIO, with a namespace and a resource") {
    const S3Error e = parse_error(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
        "<BucketName>wal</BucketName><Resource>/wal/</Resource><RequestId>17B2C0E4A1F2E3D4</RequestId>"
        "<HostId>dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8</HostId></Error>");
    CHECK(e.code == "NoSuchBucket");
    CHECK(e.request_id == "17B2C0E4A1F2E3D4");
  }
  SECTION("bodies that are not error documents give empty fields") {
    for (const char* body : {"", "<html><body><h1>502 Bad Gateway</h1></body></html>\n<hr>",
                             "<!DOCTYPE html><html></html>", "not xml at all", "<ListBucketResult/>",
                             "<Error><Code>x</Code>"}) {
      const S3Error e = parse_error(body);
      CHECK(e.code.empty());
      CHECK(e.message.empty());
      CHECK(e.request_id.empty());
    }
  }
}

TEST_CASE("s3 xml: InitiateMultipartUploadResult", "[storage][s3][xml]") {
  CHECK(parse_upload_id("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                        "<Bucket>wal</Bucket><Key>pg/basebackups_005/part_00000000.tar.lzo</Key>"
                        "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
                        "</InitiateMultipartUploadResult>") ==
        "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  CHECK(parse_upload_id("<InitiateMultipartUploadResult><UploadId>a~b.c_d-e</UploadId>"
                        "</InitiateMultipartUploadResult>") == "a~b.c_d-e");
  CHECK(error_kind_of([] {
          (void)parse_upload_id("<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>");
        }) == ErrorKind::corrupt);
  CHECK(error_kind_of([] { (void)parse_upload_id("<Error><Code>AccessDenied</Code></Error>"); }) ==
        ErrorKind::corrupt);
  CHECK(error_kind_of([] { (void)parse_upload_id("<InitiateMultipartUploadResult>"); }) == ErrorKind::corrupt);
}

TEST_CASE("s3 xml: CompleteMultipartUploadResult", "[storage][s3][xml]") {
  SECTION("success") {
    CHECK_FALSE(parse_complete_result(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<Location>https://wal.s3.amazonaws.com/pg%2Fpart.tar.lzo</Location><Bucket>wal</Bucket>"
                    "<Key>pg/part.tar.lzo</Key><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
                    "</CompleteMultipartUploadResult>")
                    .has_value());
  }
  SECTION("an error inside a 200, after keep-alive whitespace") {
    const auto error = parse_complete_result(
        "\n \n \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message>"
        "<RequestId>656c76696e6727732072657175657374</RequestId>"
        "<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>");
    REQUIRE(error.has_value());
    CHECK(error->code == "InternalError");
    CHECK(error->message == "We encountered an internal error. Please try again.");
    CHECK(error->request_id == "656c76696e6727732072657175657374");
  }
  SECTION("anything else is corrupt") {
    CHECK(error_kind_of([] { (void)parse_complete_result(""); }) == ErrorKind::corrupt);
    CHECK(error_kind_of([] { (void)parse_complete_result("  \n  "); }) == ErrorKind::corrupt);
    CHECK(error_kind_of([] { (void)parse_complete_result("<CompleteMultipartUploadResult>"); }) ==
          ErrorKind::corrupt);
    CHECK(error_kind_of([] { (void)parse_complete_result("<DeleteResult/>"); }) == ErrorKind::corrupt);
  }
}

TEST_CASE("s3 xml: CompleteMultipartUpload request body", "[storage][s3][xml]") {
  CHECK(complete_multipart_body({{1, "\"a54357aff0632cce46d942af68356b38\""},
                                 {2, "\"0c78aef83f66abc1fa1e8477f296d394\""},
                                 {3, "\"acbd18db4cc2f85cedef654fccc4a4d8\""}}) ==
        "<CompleteMultipartUpload>"
        "<Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag></Part>"
        "<Part><PartNumber>2</PartNumber><ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag></Part>"
        "<Part><PartNumber>3</PartNumber><ETag>\"acbd18db4cc2f85cedef654fccc4a4d8\"</ETag></Part>"
        "</CompleteMultipartUpload>");
  CHECK(complete_multipart_body({{10000, "\"x&y<z>\""}}) ==
        "<CompleteMultipartUpload><Part><PartNumber>10000</PartNumber><ETag>\"x&amp;y&lt;z&gt;\"</ETag></Part>"
        "</CompleteMultipartUpload>");

  SECTION("the body reads back as the parts it lists") {
    const auto root = wale::net::parse_xml(complete_multipart_body({{7, "\"<&>'\""}}));
    REQUIRE(root.child("Part") != nullptr);
    CHECK(root.child("Part")->child_text("PartNumber") == "7");
    CHECK(root.child("Part")->child_text("ETag") == "\"<&>'\"");
  }
}

TEST_CASE("s3 xml: DeleteObjects request body", "[storage][s3][xml]") {
  CHECK(delete_objects_body({"pg/wal_005/000000010000000000000001.lzo", "pg/wal_005/000000010000000000000002.lzo"}) ==
        "<Delete><Quiet>true</Quiet>"
        "<Object><Key>pg/wal_005/000000010000000000000001.lzo</Key></Object>"
        "<Object><Key>pg/wal_005/000000010000000000000002.lzo</Key></Object>"
        "</Delete>");
  CHECK(delete_objects_body({"a&b<c>\"d'e"}) ==
        "<Delete><Quiet>true</Quiet><Object><Key>a&amp;b&lt;c&gt;\"d'e</Key></Object></Delete>");
  CHECK(delete_objects_body({"line\rbreak"}) ==
        "<Delete><Quiet>true</Quiet><Object><Key>line&#13;break</Key></Object></Delete>");

  SECTION("keys read back exactly") {
    const std::vector<std::string> keys{"caf\xC3\xA9 + %20/&amp;", "cr\r\nlf", " padded "};
    const auto root = wale::net::parse_xml(delete_objects_body(keys));
    const auto objects = root.children_named("Object");
    REQUIRE(objects.size() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) CHECK(objects[i]->child_text("Key") == keys[i]);
  }
  SECTION("1000 keys at most, and at least one") {
    const std::vector<std::string> thousand(1000, "pg/wal_005/000000010000000000000001.lzo");
    CHECK(wale::net::parse_xml(delete_objects_body(thousand)).children_named("Object").size() == 1000);
    const std::vector<std::string> too_many(1001, "k");
    CHECK(error_kind_of([&] { (void)delete_objects_body(too_many); }) == ErrorKind::usage);
    CHECK(error_kind_of([] { (void)delete_objects_body({}); }) == ErrorKind::usage);
  }
}

TEST_CASE("s3 xml: DeleteResult", "[storage][s3][xml]") {
  SECTION("quiet mode with nothing to report") {
    CHECK(parse_delete_result("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>")
              .empty());
    CHECK(parse_delete_result("<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>").empty());
  }
  SECTION("deleted keys are not failures, errors are") {
    const auto failures = parse_delete_result(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Deleted><Key>pg/wal_005/000000010000000000000001.lzo</Key></Deleted>"
        "<Error><Key>pg/wal_005/000000010000000000000002.lzo</Key><Code>AccessDenied</Code>"
        "<Message>Access Denied</Message></Error>"
        "<Error><Key>a&amp;b</Key><Code>InternalError</Code>"
        "<Message>We encountered an internal error. Please try again.</Message></Error>"
        "</DeleteResult>");
    REQUIRE(failures.size() == 2);
    CHECK(failures[0].key == "pg/wal_005/000000010000000000000002.lzo");
    CHECK(failures[0].code == "AccessDenied");
    CHECK(failures[0].message == "Access Denied");
    CHECK(failures[1].key == "a&b");
    CHECK(failures[1].code == "InternalError");
  }
  SECTION("a whole-request error inside a 200") {
    CHECK(error_kind_of([] {
            (void)parse_delete_result("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
                                      "</Error>");
          }) == ErrorKind::transient);
    CHECK(error_kind_of([] {
            (void)parse_delete_result("<Error><Code>MalformedXML</Code><Message>bad</Message></Error>");
          }) == ErrorKind::permanent);
  }
  SECTION("malformed answers") {
    CHECK(error_kind_of([] { (void)parse_delete_result("<DeleteResult>"); }) == ErrorKind::corrupt);
    CHECK(error_kind_of([] { (void)parse_delete_result("<ListBucketResult/>"); }) == ErrorKind::corrupt);
  }
}

TEST_CASE("s3 xml: ISO 8601 timestamps", "[storage][s3][xml]") {
  CHECK(parse_iso8601_ns("2014-01-01T12:00:00.000Z") == 1388577600 * kNs);
  CHECK(parse_iso8601_ns("2014-01-01T12:00:00Z") == 1388577600 * kNs);
  CHECK(parse_iso8601_ns("2014-01-01T12:00:00.5Z") == 1388577600 * kNs + 500'000'000);
  CHECK(parse_iso8601_ns("2014-01-01T12:00:00.250Z") == 1388577600 * kNs + 250'000'000);
  CHECK(parse_iso8601_ns("2014-01-01T12:00:00.123456789Z") == 1388577600 * kNs + 123'456'789);
  CHECK(parse_iso8601_ns("2014-01-01T12:00:00.1234567891Z") == 1388577600 * kNs + 123'456'789);
  CHECK(parse_iso8601_ns("2016-02-29T00:00:00.000Z") == 1456704000 * kNs);
  CHECK(parse_iso8601_ns("1970-01-01T00:00:01.000Z") == kNs);
  CHECK(parse_iso8601_ns("1969-12-31T23:59:59Z") == -kNs);
  CHECK(parse_iso8601_ns("2200-01-01T00:00:00Z") == 7258118400 * kNs);
  CHECK(parse_iso8601_ns("2016-12-31T23:59:60Z") == 1483228800 * kNs);  // a leap second
}

TEST_CASE("s3 xml: malformed ISO 8601 timestamps read as 0", "[storage][s3][xml]") {
  for (const char* text :
       {"", "2014", "2014-01-01", "2014-01-01T12:00:00", "2014-01-01T12:00:00.Z", "2014-01-01T12:00:00.000",
        "2014-01-01 12:00:00Z", "2014-01-01t12:00:00Z", "2014-01-01T12:00:00z", "2014-01-01T12:00:00.000+00:00",
        "2014-01-01T12:00:00.000Zx", " 2014-01-01T12:00:00Z", "14-01-01T12:00:00Z", "2014-1-01T12:00:00Z",
        "2014-13-01T12:00:00Z", "2014-00-01T12:00:00Z", "2014-01-00T12:00:00Z", "2014-01-32T12:00:00Z",
        "2015-02-29T12:00:00Z", "2014-04-31T12:00:00Z", "2014-01-01T24:00:00Z", "2014-01-01T12:60:00Z",
        "2014-01-01T12:00:61Z", "2014-01-01T12:00:0aZ", "+014-01-01T12:00:00Z", "9999-12-31T23:59:59Z",
        "2262-04-11T23:47:16Z", "0000-01-01T00:00:00Z", "1600-01-01T00:00:00Z"}) {
    INFO(text);
    CHECK(parse_iso8601_ns(text) == 0);
  }
}

TEST_CASE("s3 xml: HTTP dates", "[storage][s3][xml]") {
  CHECK(parse_http_date_ns("Wed, 12 Oct 2009 17:50:00 GMT") == 1255369800 * kNs);
  CHECK(parse_http_date_ns("Wed, 01 Jan 2014 12:00:00 GMT") == 1388577600 * kNs);
  CHECK(parse_http_date_ns("Thu, 1 Jan 1970 00:00:01 GMT") == kNs);
  CHECK(parse_http_date_ns("Mon, 29 Feb 2016 00:00:00 GMT") == 1456704000 * kNs);
  CHECK(parse_http_date_ns("Sun, 01 Jan 2017 00:00:00 GMT") == 1483228800 * kNs);
  for (const char* text :
       {"", "Wed, 12 Oct 2009 17:50:00", "Wed, 12 Oct 2009 17:50:00 UTC", "Wed, 12 Oct 2009 17:50:00 GMT ",
        "Wednesday, 12-Oct-09 17:50:00 GMT", "Wed Oct 12 17:50:00 2009", "Wed, 12 oct 2009 17:50:00 GMT",
        "wed, 12 Oct 2009 17:50:00 GMT", "Xyz, 12 Oct 2009 17:50:00 GMT", "Wed 12 Oct 2009 17:50:00 GMT",
        "Wed, 32 Oct 2009 17:50:00 GMT", "Wed, 012 Oct 2009 17:50:00 GMT", "Wed, 12 Oct 09 17:50:00 GMT",
        "Wed, 12 Oct 2009 25:50:00 GMT", "Wed, 12 Oct 2009 17:50 GMT", "Wed, 29 Feb 2015 00:00:00 GMT",
        "2009-10-12T17:50:00Z"}) {
    INFO(text);
    CHECK(parse_http_date_ns(text) == 0);
  }
}
