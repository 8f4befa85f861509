#include "daemon/metrics.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/archive/wal_gap.hpp"
#include "daemon/report_text.hpp"

namespace wale::daemon {
namespace {

std::int64_t age(std::int64_t now, std::int64_t then) { return then == 0 ? 0 : std::max<std::int64_t>(0, now - then); }

std::int64_t epoch_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Label values escape backslash, double quote and newline.
std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class Exposition {
 public:
  // One metric family: its HELP and TYPE lines, then its samples.
  Exposition& family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    out_ += "# HELP " + name_ + " " + std::string(help) + "\n# TYPE " + name_ + " " + std::string(type) + "\n";
    return *this;
  }
  Exposition& sample(double value, std::initializer_list<std::pair<std::string_view, std::string_view>> labels = {}) {
    out_ += name_;
    if (labels.size() != 0) {
      out_ += "{";
      bool first = true;
      for (const auto& [k, v] : labels) {
        out_ += (first ? "" : ",") + std::string(k) + "=\"" + label_value(v) + "\"";
        first = false;
      }
      out_ += "}";
    }
    char buf[64];
    if (value == static_cast<double>(static_cast<std::int64_t>(value))) std::snprintf(buf, sizeof(buf), " %lld\n", static_cast<long long>(value));
    else std::snprintf(buf, sizeof(buf), " %.17g\n", value);
    out_ += buf;
    return *this;
  }
  Exposition& gauge(std::string_view name, std::string_view help, double value) { return family(name, "gauge", help).sample(value); }
  Exposition& counter(std::string_view name, std::string_view help, double value) { return family(name, "counter", help).sample(value); }
  std::string text() && { return std::move(out_); }

 private:
  std::string name_;
  std::string out_;
};

double d(std::uint64_t v) { return static_cast<double>(v); }

}  // namespace

std::uint64_t resident_memory_bytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

std::string status_json(const DaemonMetrics& m) {
  using Json = nlohmann::ordered_json;
  const auto& c = m.pipeline;
  Json backlog = Json::array();
  std::uint64_t backlog_bytes = 0, backlog_segments = 0;
  std::int64_t oldest = 0;
  for (const auto& d : m.backlog) {
    const auto& b = d.measured;
    backlog_bytes += b.ready_bytes;
    backlog_segments += b.ready_segments;
    oldest = std::max(oldest, age(m.now, b.oldest_ready_at));
    backlog.push_back(Json{{"pg_wal", b.pg_wal},
                           {"ready_segments", b.ready_segments},
                           {"ready_bytes", b.ready_bytes},
                           {"oldest_ready_age_seconds", age(m.now, b.oldest_ready_at)},
                           {"filesystem_free_bytes", b.filesystem_free_bytes},
                           {"filesystem_size_bytes", b.filesystem_size_bytes},
                           {"level", std::string(level_name(d.level))},
                           {"warning_bytes", d.warning_bytes},
                           {"critical_bytes", d.critical_bytes},
                           {"drop_bytes", d.drop_bytes ? Json(d.drop_bytes) : Json(nullptr)},
                           {"dropping", d.dropping}});
  }
  Json gaps = Json::array();
  for (const auto& g : m.gaps)
    gaps.push_back(Json{{"message", archive::gap_message(g.first, g.last)},
                        {"first_segment", g.first.str()},
                        {"last_segment", g.last.str()},
                        {"segments", g.segments},
                        {"bytes", g.bytes},
                        {"pg_wal", g.wal_dir},
                        {"first_dropped_at", iso_time(g.first_dropped_at)},
                        {"last_dropped_at", iso_time(g.last_dropped_at)},
                        {"recorded_in_store", !g.published_key.empty() && g.published_key == archive::gap_key(g.first, g.last)}});
  Json stuck = nullptr;
  if (m.stuck)
    stuck = Json{{"path", m.stuck->path},
                 {"failing_since", iso_time(epoch_of(m.stuck->failing_since))},
                 {"failing_seconds", age(m.now, epoch_of(m.stuck->failing_since))},
                 {"attempts", m.stuck->attempts},
                 {"last_error", m.stuck->last_error}};
  Json clients = Json::object();
  for (const auto& k : m.clients) clients[k.kind] = Json{{"requests", k.requests}, {"connections_open", k.connections_open}};
  clients["walg"]["socket"] = m.walg_socket;
  clients["walg"]["pgdata"] = m.pgdata;
  Json errors = Json::object();
  for (std::size_t i = 0; i < kErrorKinds; ++i) errors[std::string(error_kind_name(static_cast<ErrorKind>(i)))] = m.store_errors[i];

  Json j{
      {"version", m.version},
      {"pid", m.pid},
      {"uptime_seconds", m.uptime_seconds},
      {"prefix", m.prefix},
      {"socket", m.socket},
      {"journal", m.journal},
      {"queue_depth", c.queued},
      {"segments_uploaded", c.uploaded},
      {"segments_already_stored", c.already_stored},
      {"segments_failed", c.failed},
      {"bytes_in", c.bytes_in},
      {"bytes_out", c.bytes_out},
      {"bytes_in_memory", c.bytes_held},
      {"last_segment_archived", c.last_segment},
      {"last_archived_at", iso_time(c.last_segment_at)},
      {"last_error", c.last_error},
      {"last_error_at", iso_time(c.last_error_at)},
      {"open_requests", m.open_requests},
      {"open_connections", m.open_connections},
      {"connection_limit", m.connection_limit},
      {"clients", std::move(clients)},
      {"store_connections_opened", m.store_connections_opened},
      {"prefetch", {{"served_from_prefetch", m.prefetch.served_from_prefetch},
                    {"downloaded_on_demand", m.prefetch.downloaded_on_demand},
                    {"prefetched", m.prefetch.prefetched},
                    {"discarded", m.prefetch.discarded},
                    {"waits", m.prefetch.waits},
                    {"wait_seconds", static_cast<double>(m.prefetch.wait_ns) / 1e9}}},
      {"last_archived_age_seconds", c.last_segment_at == 0 ? Json(nullptr) : Json(age(m.now, c.last_segment_at))},
      {"backlog_segments", backlog_segments},
      {"backlog_bytes", backlog_bytes},
      {"oldest_ready_age_seconds", oldest},
      {"backlog", std::move(backlog)},
      {"stuck", std::move(stuck)},
      {"drop_policy", m.drop_policy.empty() ? Json("off: WAL is never dropped") : Json(m.drop_policy)},
      {"segments_dropped", m.segments_dropped},
      {"gaps", std::move(gaps)},
      {"store_errors", std::move(errors)},
      {"resident_memory_bytes", m.resident_memory_bytes},
      {"config_reloads", m.reloads},
      {"config_reloads_failed", m.failed_reloads},
  };
  return j.dump(2) + "\n";
}

std::string prometheus_text(const DaemonMetrics& m) {
  const auto& c = m.pipeline;
  Exposition e;
  e.family("wale_build_info", "gauge", "The running wal-ed's version.").sample(1, {{"version", m.version}});
  e.gauge("wale_uptime_seconds", "Seconds since wal-ed started.", static_cast<double>(m.uptime_seconds));
  e.gauge("wale_queue_depth", "WAL files queued or being archived.", d(c.queued));
  e.gauge("wale_open_requests", "Client requests being answered.", static_cast<double>(m.open_requests));
  e.gauge("wale_open_connections", "Client connections open.", d(m.open_connections));
  e.gauge("wale_connection_limit", "Client connections wal-ed may hold (from its file-descriptor limit).", d(m.connection_limit));
  e.family("wale_client_requests_total", "counter", "Requests served, by kind of client.");
  for (const auto& k : m.clients) e.sample(d(k.requests), {{"client", k.kind}});
  e.family("wale_client_connections", "gauge", "Client connections open, by kind of client.");
  for (const auto& k : m.clients) e.sample(d(k.connections_open), {{"client", k.kind}});
  e.counter("wale_segments_uploaded_total", "WAL files stored.", d(c.uploaded));
  e.counter("wale_segments_already_stored_total", "WAL files found already stored with the same content.", d(c.already_stored));
  e.counter("wale_segments_failed_total", "WAL file archiving attempts that failed.", d(c.failed));
  e.counter("wale_segments_dropped_total", "WAL segments reported archived without being stored (drop policy).",
            d(m.segments_dropped));
  e.counter("wale_read_bytes_total", "Uncompressed WAL bytes read for archiving.", d(c.bytes_in));
  e.counter("wale_stored_bytes_total", "Bytes written to the store for WAL.", d(c.bytes_out));
  e.gauge("wale_memory_held_bytes", "Segment bytes held in memory for archiving.", d(c.bytes_held));
  e.gauge("wale_last_archived_timestamp_seconds", "When the last WAL file was archived (Unix time; 0: none yet).",
          static_cast<double>(c.last_segment_at));
  e.gauge("wale_last_archived_age_seconds", "Seconds since the last WAL file was archived (0: none yet).",
          static_cast<double>(age(m.now, c.last_segment_at)));
  if (!c.last_segment.empty())
    e.family("wale_last_archived_segment_info", "gauge", "The last WAL file archived.").sample(1, {{"segment", c.last_segment}});

  std::uint64_t total_bytes = 0, total_segments = 0;
  std::int64_t oldest = 0;
  for (const auto& b : m.backlog) {
    total_bytes += b.measured.ready_bytes;
    total_segments += b.measured.ready_segments;
    oldest = std::max(oldest, age(m.now, b.measured.oldest_ready_at));
  }
  e.gauge("wale_backlog_bytes", "Bytes of WAL waiting to be archived (.ready), all pg_wal directories.", d(total_bytes));
  e.gauge("wale_backlog_segments", "WAL files waiting to be archived (.ready), all pg_wal directories.", d(total_segments));
  e.gauge("wale_oldest_ready_age_seconds", "Age of the oldest WAL file waiting to be archived.", static_cast<double>(oldest));
  const auto per_directory = [&](std::string_view name, std::string_view help, auto value) {
    e.family(name, "gauge", help);
    for (const auto& b : m.backlog) e.sample(value(b), {{"pg_wal", b.measured.pg_wal}});
  };
  per_directory("wale_pg_wal_backlog_bytes", "Bytes of WAL waiting to be archived in this pg_wal.",
                [](const DirectoryBacklog& b) { return d(b.measured.ready_bytes); });
  per_directory("wale_pg_wal_backlog_segments", "WAL files waiting to be archived in this pg_wal.",
                [](const DirectoryBacklog& b) { return d(b.measured.ready_segments); });
  per_directory("wale_pg_wal_oldest_ready_age_seconds", "Age of the oldest WAL file waiting in this pg_wal.",
                [&](const DirectoryBacklog& b) { return static_cast<double>(age(m.now, b.measured.oldest_ready_at)); });
  per_directory("wale_pg_wal_filesystem_free_bytes", "Free bytes on this pg_wal's filesystem.",
                [](const DirectoryBacklog& b) { return d(b.measured.filesystem_free_bytes); });
  per_directory("wale_pg_wal_filesystem_size_bytes", "Size of this pg_wal's filesystem.",
                [](const DirectoryBacklog& b) { return d(b.measured.filesystem_size_bytes); });
  per_directory("wale_backlog_warning_bytes", "The backlog warning threshold for this pg_wal, in bytes.",
                [](const DirectoryBacklog& b) { return d(b.warning_bytes); });
  per_directory("wale_backlog_critical_bytes", "The backlog critical threshold for this pg_wal, in bytes.",
                [](const DirectoryBacklog& b) { return d(b.critical_bytes); });
  per_directory("wale_backlog_level", "The backlog's level in this pg_wal: 0 ok, 1 warning, 2 critical.",
                [](const DirectoryBacklog& b) { return static_cast<double>(b.level); });
  e.gauge("wale_drop_policy_enabled", "1 when WAL may be dropped (WALE_DROP_WAL_ABOVE is set).", m.drop_policy.empty() ? 0 : 1);
  e.gauge("wale_archive_gaps", "Gaps in the archive (dropped WAL) not yet followed by a base backup.", d(m.gaps.size()));
  e.gauge("wale_stuck_segment_seconds", "How long the longest-failing WAL file has failed, once past WALE_STUCK_TIMEOUT (0: none).",
          m.stuck ? static_cast<double>(age(m.now, epoch_of(m.stuck->failing_since))) : 0);
  e.family("wale_store_errors_total", "counter", "Store operations that failed, by kind of error.");
  for (std::size_t i = 0; i < kErrorKinds; ++i)
    e.sample(d(m.store_errors[i]), {{"kind", error_kind_name(static_cast<ErrorKind>(i))}});
  e.counter("wale_store_connections_opened_total", "Network connections opened to the store.", d(m.store_connections_opened));
  e.counter("wale_prefetch_served_total", "wal-fetch requests answered from the prefetch area.", d(m.prefetch.served_from_prefetch));
  e.counter("wale_prefetch_downloaded_on_demand_total", "wal-fetch requests downloaded when asked.", d(m.prefetch.downloaded_on_demand));
  e.counter("wale_prefetch_downloaded_total", "WAL files downloaded ahead of recovery.", d(m.prefetch.prefetched));
  e.counter("wale_prefetch_discarded_total", "Prefetched WAL files thrown away (failed a check or not needed).", d(m.prefetch.discarded));
  e.counter("wale_prefetch_waits_total", "wal-fetch requests that waited for their segment's prefetch to finish.", d(m.prefetch.waits));
  e.counter("wale_prefetch_wait_seconds_total", "Time wal-fetch requests waited for prefetches to finish.", static_cast<double>(m.prefetch.wait_ns) / 1e9);
  e.gauge("wale_resident_memory_bytes", "Resident memory of wal-ed.", d(m.resident_memory_bytes));
  e.counter("wale_config_reloads_total", "Configuration reloads (SIGHUP) applied.", d(m.reloads));
  e.counter("wale_config_reloads_failed_total", "Configuration reloads (SIGHUP) refused.", d(m.failed_reloads));
  return std::move(e).text();
}

}  // namespace wale::daemon
