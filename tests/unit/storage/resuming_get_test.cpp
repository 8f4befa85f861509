// The resuming GET of the HTTP stores: a download cut off midway goes on
// with a Range from where it stopped, so the sink gets every byte once;
// ranges, 404, 416 and a store that ignores Range.
#include "common/storage/resuming_get.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/core/stream.hpp"
#include "tests/unit/support/error_of.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::StringSink;
using wale::net::HttpResponse;
using wale::storage::ByteRange;
using wale::storage::get_resuming;
using wale::storage::RangedGet;
using wale::test::error_of;

namespace {

const std::string kObject = "0123456789abcdefghijklmnopqrstuvwxyz";

// An object server over kObject whose connection breaks after `cut` bytes
// of each of the first `cuts` answers; records the Range headers it saw.
struct FlakyServer {
  StringSink sink;
  std::vector<std::string> ranges;
  std::size_t cut = 10;
  int cuts = 0;
  int status = 0;  // answer this instead, when set

  RangedGet get() {
    RangedGet g;
    g.url = "swift://c/p/key";
    g.fail = [](const HttpResponse& r) { throw Error(ErrorKind::permanent, "HTTP " + std::to_string(r.status)); };
    g.send = [this](const std::string& range, std::uint64_t& delivered) {
      ranges.push_back(range);
      HttpResponse r;
      if (status != 0) {
        r.status = status;
        return r;
      }
      std::size_t first = 0, last = kObject.size() - 1;
      if (!range.empty()) {
        const auto dash = range.find('-');
        first = std::stoul(range.substr(6, dash - 6));
        if (dash + 1 < range.size()) last = std::stoul(range.substr(dash + 1));
      }
      const std::string body = kObject.substr(first, last - first + 1);
      if (cuts > 0) {
        --cuts;
        sink.write(body.substr(0, cut));
        delivered += cut;
        throw Error(ErrorKind::transient, "connection reset");
      }
      sink.write(body);
      delivered += body.size();
      r.status = range.empty() ? 200 : 206;
      return r;
    };
    return g;
  }
};

}  // namespace

TEST_CASE("resuming get: whole object, cut twice", "[storage][get]") {
  FlakyServer server;
  server.cuts = 2;
  get_resuming(server.get(), std::nullopt);
  CHECK(server.sink.data() == kObject);
  CHECK(server.ranges == std::vector<std::string>{"", "bytes=10-", "bytes=20-"});
}

TEST_CASE("resuming get: a range, cut once", "[storage][get]") {
  FlakyServer server;
  server.cuts = 1;
  server.cut = 3;
  get_resuming(server.get(), ByteRange{5, 10});
  CHECK(server.sink.data() == kObject.substr(5, 10));
  CHECK(server.ranges == std::vector<std::string>{"bytes=5-14", "bytes=8-14"});
}

TEST_CASE("resuming get: an open range", "[storage][get]") {
  FlakyServer server;
  get_resuming(server.get(), ByteRange{30, std::nullopt});
  CHECK(server.sink.data() == kObject.substr(30));
  CHECK(server.ranges == std::vector<std::string>{"bytes=30-"});
}

TEST_CASE("resuming get: five cuts are too many", "[storage][get]") {
  FlakyServer server;
  server.cuts = 5;
  server.cut = 1;
  CHECK(error_of([&] { get_resuming(server.get(), std::nullopt); }).kind() == ErrorKind::transient);
  CHECK(server.sink.data() == kObject.substr(0, 5));  // still no byte twice
}

TEST_CASE("resuming get: answers that end it", "[storage][get]") {
  FlakyServer server;
  server.status = 404;
  const auto missing = error_of([&] { get_resuming(server.get(), std::nullopt); });
  CHECK(missing.kind() == ErrorKind::not_found);
  CHECK_THAT(std::string(missing.what()), Catch::Contains("swift://c/p/key"));

  server.status = 416;  // an empty range of an empty object
  get_resuming(server.get(), ByteRange{0, 0});
  CHECK(error_of([&] { get_resuming(server.get(), ByteRange{0, std::nullopt}); }).kind() == ErrorKind::permanent);

  server.status = 403;
  CHECK_THAT(std::string(error_of([&] { get_resuming(server.get(), std::nullopt); }).what()), Catch::Contains("HTTP 403"));

  server.status = 200;  // a Range answered with the whole object
  const auto ignored = error_of([&] { get_resuming(server.get(), ByteRange{5, 3}); });
  CHECK(ignored.kind() == ErrorKind::permanent);
  CHECK_THAT(std::string(ignored.what()), Catch::Contains("ignored a Range"));
}
