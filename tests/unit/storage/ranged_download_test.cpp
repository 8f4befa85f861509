// The resume loop of HTTP downloads: the Range of each attempt, resuming
// after a cut-off from the first byte not delivered, 416 once everything
// arrived, a store that ignores Range, and the limit on attempts.
#include "common/storage/ranged_download.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/core/error.hpp"

using wale::Error;
using wale::ErrorKind;
using wale::storage::ByteRange;
using wale::storage::download_resuming;

namespace {

// Answers attempts from a script: each step delivers some bytes, then
// either returns a status or fails transiently.
struct Step {
  std::uint64_t deliver;
  int status;  // 0: a transient failure after delivering
};

std::vector<std::string> run(std::optional<ByteRange> range, std::vector<Step> steps) {
  std::vector<std::string> ranges;
  std::size_t next = 0;
  download_resuming(range, "gs://b/k", [&](const std::string& header, std::uint64_t& delivered) {
    ranges.push_back(header);
    const Step step = steps.at(next++);
    delivered = step.deliver;
    if (step.status == 0) throw Error(ErrorKind::transient, "cut off");
    return step.status;
  });
  CHECK(next == steps.size());
  return ranges;
}

}  // namespace

TEST_CASE("download_resuming: whole objects and ranges", "[storage]") {
  CHECK(run(std::nullopt, {{10, 200}}) == std::vector<std::string>{""});
  CHECK(run(ByteRange{5, 10}, {{10, 206}}) == std::vector<std::string>{"bytes=5-14"});
  CHECK(run(ByteRange{5, std::nullopt}, {{10, 206}}) == std::vector<std::string>{"bytes=5-"});
  CHECK(run(ByteRange{0, 0}, {}).empty());  // nothing to read: no request
}

TEST_CASE("download_resuming: a cut-off download resumes after the bytes delivered", "[storage]") {
  CHECK(run(std::nullopt, {{100, 0}, {50, 0}, {25, 206}}) == std::vector<std::string>{"", "bytes=100-", "bytes=150-"});
  CHECK(run(ByteRange{1000, 300}, {{100, 0}, {200, 206}}) == std::vector<std::string>{"bytes=1000-1299", "bytes=1100-1299"});
  // cut off after the last byte: the resumed request asks beyond the end
  CHECK(run(std::nullopt, {{100, 0}, {0, 416}}) == std::vector<std::string>{"", "bytes=100-"});
}

TEST_CASE("download_resuming: what ends a download", "[storage]") {
  try {
    run(ByteRange{5, std::nullopt}, {{10, 200}});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::permanent);
    CHECK_THAT(e.what(), Catch::Contains("ignored a Range request for gs://b/k"));
  }
  CHECK_THROWS_AS(run(ByteRange{50, std::nullopt}, {{0, 416}}), Error);
  try {
    run(std::nullopt, {{1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::transient);
  }
}
