// resumable_get: a download cut off midway continues with a Range request
// from the first byte the sink has not seen, so that every byte arrives
// exactly once; ranges, refusals and stores that ignore Range.
#include "common/storage/resumable_get.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/core/error.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::StringSink;
using wale::net::HttpResponse;
using wale::storage::ByteRange;
using wale::storage::resumable_get;

namespace {

const std::string kObject = "0123456789abcdefghijklmnopqrstuvwxyz";

// Serves kObject honouring "bytes=A-[B]"; the first `cuts` answers stop
// after `cut_after` bytes of the body, as a dropped connection does.
struct Server {
  int cuts = 0;
  std::size_t cut_after = 5;
  bool ignore_range = false;
  std::vector<std::string> ranges;

  HttpResponse operator()(const std::string& range, wale::ByteSink& sink, std::uint64_t& delivered) {
    ranges.push_back(range);
    std::size_t first = 0, last = kObject.size() - 1;
    if (!range.empty() && !ignore_range) {
      const auto dash = range.find('-');
      first = std::stoul(range.substr(6, dash - 6));
      if (dash + 1 < range.size()) last = std::stoul(range.substr(dash + 1));
    }
    if (first > last || first >= kObject.size()) return HttpResponse{416, {}, {}};
    std::string body = kObject.substr(first, last - first + 1);
    if (cuts > 0) {
      --cuts;
      body.resize(std::min(body.size(), cut_after));
      sink.write(body);
      delivered = body.size();
      throw Error(ErrorKind::transient, "connection lost during the response body");
    }
    sink.write(body);
    delivered = body.size();
    return HttpResponse{range.empty() || ignore_range ? 200 : 206, {}, {}};
  }
};

void refuse(const HttpResponse& response) { throw Error(ErrorKind::permanent, "refused " + std::to_string(response.status)); }

}  // namespace

TEST_CASE("resumable get: a whole object in one go", "[storage]") {
  Server server;
  StringSink sink;
  resumable_get("u", sink, std::nullopt, std::ref(server), refuse);
  CHECK(sink.data() == kObject);
  CHECK(server.ranges == std::vector<std::string>{""});
}

TEST_CASE("resumable get: cut-off transfers resume after the bytes delivered", "[storage]") {
  Server server;
  server.cuts = 3;
  StringSink sink;
  resumable_get("u", sink, std::nullopt, std::ref(server), refuse);
  CHECK(sink.data() == kObject);
  CHECK(server.ranges == std::vector<std::string>{"", "bytes=5-", "bytes=10-", "bytes=15-"});
}

TEST_CASE("resumable get: a range, resumed inside its bounds", "[storage]") {
  Server server;
  server.cuts = 1;
  server.cut_after = 2;
  StringSink sink;
  resumable_get("u", sink, ByteRange{10, 6}, std::ref(server), refuse);
  CHECK(sink.data() == "abcdef");
  CHECK(server.ranges == std::vector<std::string>{"bytes=10-15", "bytes=12-15"});
}

TEST_CASE("resumable get: a cut-off after the last byte ends with the 416 of the resumed request", "[storage]") {
  Server server;
  server.cuts = 1;
  server.cut_after = kObject.size();
  StringSink sink;
  resumable_get("u", sink, std::nullopt, std::ref(server), refuse);
  CHECK(sink.data() == kObject);
  CHECK(server.ranges == std::vector<std::string>{"", "bytes=" + std::to_string(kObject.size()) + "-"});
}

TEST_CASE("resumable get: a range beyond the object is refused with its bytes named", "[storage]") {
  Server server;
  StringSink sink;
  CHECK_THROWS_WITH(resumable_get("u", sink, ByteRange{kObject.size() + 10, std::nullopt}, std::ref(server), refuse),
                    Catch::Contains("refused the byte range bytes=46- of u (HTTP 416)"));
}

TEST_CASE("resumable get: an empty range of an empty object", "[storage]") {
  Server server;
  StringSink sink;
  resumable_get("u", sink, ByteRange{kObject.size(), 0}, std::ref(server), refuse);
  CHECK(sink.data().empty());
}

TEST_CASE("resumable get: five cut-offs in a row give up; refusals and ignored ranges are errors", "[storage]") {
  Server cut;
  cut.cuts = 5;
  StringSink sink;
  try {
    resumable_get("u", sink, std::nullopt, std::ref(cut), refuse);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::transient);
  }
  CHECK(sink.data() == kObject.substr(0, 25));  // still each byte once

  Server ignoring;
  ignoring.ignore_range = true;
  StringSink partial;
  try {
    resumable_get("u", partial, ByteRange{3, 2}, std::ref(ignoring), refuse);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::permanent);
    CHECK_THAT(std::string(e.what()), Catch::Contains("ignored a Range request for u"));
  }

  auto not_found = [](const std::string&, wale::ByteSink&, std::uint64_t&) { return HttpResponse{404, {}, {}}; };
  StringSink none;
  CHECK_THROWS_WITH(resumable_get("u", none, std::nullopt, not_found, refuse), "refused 404");
}
