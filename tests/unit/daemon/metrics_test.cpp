// The metrics snapshot as Prometheus' text exposition format and as the
// status JSON; the metrics endpoint's address.
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/metrics.hpp"
#include "daemon/metrics_endpoint.hpp"

using wale::daemon::DaemonMetrics;

namespace {

DaemonMetrics sample() {
  DaemonMetrics m;
  m.version = "0.1.0";
  m.pid = 42;
  m.now = 1'000'000;
  m.uptime_seconds = 12;
  m.pipeline.uploaded = 7;
  m.pipeline.bytes_out = 1234;
  m.pipeline.last_segment = "000000010000000000000007";
  m.pipeline.last_segment_at = 999'990;
  m.store_errors[static_cast<std::size_t>(wale::ErrorKind::transient)] = 3;
  wale::daemon::DirectoryBacklog b;
  b.measured.pg_wal = "/data/with \"quote\"\\pg_wal";
  b.measured.ready_segments = 2;
  b.measured.ready_bytes = 2 << 20;
  b.measured.oldest_ready_at = 999'900;
  b.level = wale::daemon::BacklogLevel::warning;
  m.backlog.push_back(b);
  m.gaps.push_back(wale::daemon::GapEntry{1, "/data/pg_wal", {1, 0, 3}, {1, 0, 4}, 2, 2 << 20, 999'000, 999'100, "full", {}, 1 << 20});
  m.resident_memory_bytes = 10 << 20;
  return m;
}

}  // namespace

TEST_CASE("the Prometheus page is well-formed text exposition format", "[daemon][metrics]") {
  const auto text = wale::daemon::prometheus_text(sample());
  const std::regex help(R"(# HELP (wale_[a-z_]+) .+)");
  const std::regex type(R"(# TYPE (wale_[a-z_]+) (gauge|counter))");
  const std::regex sample_line(R"((wale_[a-z_]+)(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? -?[0-9.e+]+)");
  std::istringstream in(text);
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      CHECK(helped.insert(m[1]).second);  // one family, one HELP
    } else if (std::regex_match(line, m, type)) {
      CHECK(types.emplace(m[1], m[2]).second);
    } else {
      REQUIRE(std::regex_match(line, m, sample_line));
      CHECK(types.count(m[1]) == 1);  // TYPE comes before the samples
      if (types[m[1]] == "counter") CHECK(std::string(m[1]).ends_with("_total"));
    }
  }
  CHECK(text.find("wale_segments_uploaded_total 7\n") != std::string::npos);
  CHECK(text.find("wale_stored_bytes_total 1234\n") != std::string::npos);
  CHECK(text.find("wale_last_archived_age_seconds 10\n") != std::string::npos);
  CHECK(text.find("wale_store_errors_total{kind=\"transient\"} 3\n") != std::string::npos);
  CHECK(text.find("wale_backlog_bytes 2097152\n") != std::string::npos);
  CHECK(text.find("wale_oldest_ready_age_seconds 100\n") != std::string::npos);
  CHECK(text.find("wale_pg_wal_backlog_segments{pg_wal=\"/data/with \\\"quote\\\"\\\\pg_wal\"} 2\n") != std::string::npos);
  CHECK(text.find("wale_archive_gaps 1\n") != std::string::npos);
  CHECK(text.find("wale_resident_memory_bytes 10485760\n") != std::string::npos);
  CHECK(text.find("wale_build_info{version=\"0.1.0\"} 1\n") != std::string::npos);
}

TEST_CASE("the status JSON keeps its fields and adds the backlog, gaps and policy", "[daemon][metrics]") {
  const auto j = nlohmann::json::parse(wale::daemon::status_json(sample()));
  for (const char* key : {"version", "pid", "uptime_seconds", "queue_depth", "segments_uploaded", "segments_already_stored",
                          "segments_failed", "bytes_in", "bytes_out", "last_segment_archived", "last_archived_at", "last_error",
                          "store_connections_opened", "prefetch", "backlog_bytes", "backlog_segments", "oldest_ready_age_seconds",
                          "backlog", "stuck", "drop_policy", "gaps", "store_errors", "resident_memory_bytes"})
    CHECK(j.contains(key));
  CHECK(j.at("drop_policy") == "off: WAL is never dropped");
  CHECK(j.at("backlog")[0].at("level") == "warning");
  CHECK(j.at("gaps")[0].at("message") ==
        "archive has a gap from 000000010000000000000003 to 000000010000000000000004; take a new base backup");
  CHECK(j.at("gaps")[0].at("recorded_in_store") == false);
  CHECK(j.at("store_errors").at("transient") == 3);
}

TEST_CASE("the metrics address is a port on loopback or an explicit IP and port", "[daemon][metrics]") {
  using wale::daemon::parse_listen_address;
  CHECK(parse_listen_address("9187", "X").str() == "127.0.0.1:9187");
  CHECK(parse_listen_address("0.0.0.0:9187", "X").str() == "0.0.0.0:9187");
  CHECK(parse_listen_address("localhost:80", "X").str() == "127.0.0.1:80");
  CHECK(parse_listen_address("[::1]:9187", "X").str() == "[::1]:9187");
  CHECK_THROWS_WITH(parse_listen_address("db.example:9187", "WALE_METRICS_LISTEN"),
                    Catch::StartsWith("WALE_METRICS_LISTEN='db.example:9187' does not name an IP address"));
}
