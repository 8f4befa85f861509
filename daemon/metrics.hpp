// One snapshot of the daemon's counters and gauges, and the two ways it is
// shown: `wal-e status` (JSON) and the Prometheus text exposition format
// (`wal-e status --prometheus`, and GET /metrics with --metrics-listen).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/backlog_monitor.hpp"
#include "daemon/journal.hpp"
#include "daemon/reloadable_store.hpp"
#include "daemon/stuck_watch.hpp"
#include "daemon/upload_pipeline.hpp"
#include "daemon/wal_prefetcher.hpp"

namespace wale::daemon {

struct DaemonMetrics {
  std::string version;
  long pid = 0;
  std::int64_t now = 0;  // seconds since the epoch, when taken
  std::int64_t uptime_seconds = 0;
  std::string prefix;
  std::string socket;
  std::string journal;
  PipelineCounters pipeline;
  std::size_t open_requests = 0;
  std::size_t open_connections = 0;
  std::size_t connection_limit = 0;
  // Requests served and connections open per kind of client (shim,
  // archive_module, walg), and where WAL-G's clients are served.
  struct Clients {
    std::string kind;
    std::uint64_t requests = 0;
    std::uint64_t connections_open = 0;
  };
  std::vector<Clients> clients;
  std::string walg_socket;
  std::string pgdata;
  std::uint64_t store_connections_opened = 0;
  std::array<std::uint64_t, kErrorKinds> store_errors{};
  PrefetchCounters prefetch;
  std::vector<DirectoryBacklog> backlog;
  std::string drop_policy;  // empty when WAL is never dropped
  std::uint64_t segments_dropped = 0;
  std::vector<GapEntry> gaps;
  std::optional<StuckSegment> stuck;
  std::uint64_t resident_memory_bytes = 0;
  std::uint64_t reloads = 0;
  std::uint64_t failed_reloads = 0;
};

// VmRSS of this process; 0 when /proc cannot tell.
std::uint64_t resident_memory_bytes();

std::string status_json(const DaemonMetrics& m);
std::string prometheus_text(const DaemonMetrics& m);

}  // namespace wale::daemon
