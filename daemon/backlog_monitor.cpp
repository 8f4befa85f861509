#include "daemon/backlog_monitor.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/archive/backup_catalog.hpp"
#include "common/archive/wal_gap.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "daemon/report_text.hpp"

namespace wale::daemon {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kLogger = "wal_e.daemon.backlog";
// How often open gaps are compared with the store's base backups, besides
// after each backup-push the daemon runs.
constexpr auto kGapRecheckInterval = std::chrono::minutes(10);
constexpr auto kPublishRetryFirst = std::chrono::seconds(2);
constexpr auto kPublishRetryMax = std::chrono::seconds(60);
constexpr auto kStoreWatch = std::chrono::milliseconds(500);

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return {};
  return buf;
}

std::string describe_limit(const BacklogLimit& limit, std::uint64_t bytes) {
  return format_bytes(bytes) + (limit.unit == BacklogLimit::Unit::percent ? " (" + limit.text + " of the room)" : "");
}

archive::WalGap marker_of(const GapEntry& g, const std::string& host) {
  return archive::WalGap{g.first, g.last, g.segments, iso_time(g.first_dropped_at), iso_time(g.last_dropped_at), host, g.wal_dir, g.reason};
}

}  // namespace

BacklogMeasurement measure_backlog(const std::string& pg_wal) {
  BacklogMeasurement m;
  m.pg_wal = pg_wal;
  const std::string status_dir = pg_wal + "/archive_status";
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(status_dir.c_str()), ::closedir);
  if (!dir) throw_system_error("cannot read " + status_dir);
  constexpr std::string_view kReady = ".ready";
  while (const dirent* e = ::readdir(dir.get())) {
    const std::string_view file = e->d_name;
    if (!file.ends_with(kReady)) continue;
    const std::string name(file.substr(0, file.size() - kReady.size()));
    struct stat segment {}, ready {};
    if (::stat((pg_wal + "/" + name).c_str(), &segment) != 0) continue;  // archived and removed meanwhile
    ++m.ready_segments;
    m.ready_bytes += static_cast<std::uint64_t>(segment.st_size);
    if (::stat((status_dir + "/" + std::string(file)).c_str(), &ready) == 0 &&
        (m.oldest_ready_at == 0 || ready.st_mtim.tv_sec < m.oldest_ready_at))
      m.oldest_ready_at = ready.st_mtim.tv_sec;
  }
  struct statvfs fs {};
  if (::statvfs(pg_wal.c_str(), &fs) != 0) throw_system_error("cannot examine the filesystem of " + pg_wal);
  m.filesystem_free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  m.filesystem_size_bytes = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
  return m;
}

struct BacklogMonitor::Impl {
  ReloadableStore& store;
  Journal* journal;
  Log& log;
  std::function<std::size_t()> dropped_in_flight;
  std::chrono::milliseconds interval;
  const std::string host = host_name();

  mutable std::mutex mutex;
  std::condition_variable wake;       // the measuring thread
  std::condition_variable wake_gaps;  // the thread that publishes and resolves gaps
  bool stopping = false;
  bool recheck_requested = false;
  BacklogPolicy policy;
  std::set<std::string> directories;
  std::map<std::string, DirectoryBacklog> state;  // by pg_wal
  std::vector<GapEntry> gaps;                     // open gaps
  std::uint64_t dropped = 0;
  std::thread measurer;
  std::thread gap_keeper;

  Impl(ReloadableStore& s, Journal* j, Log& l, BacklogPolicy p, std::function<std::size_t()> in_flight, std::chrono::milliseconds i)
      : store(s), journal(j), log(l), dropped_in_flight(std::move(in_flight)), interval(i), policy(std::move(p)) {
    if (journal != nullptr) gaps = journal->open_gaps();
  }

  // Thresholds and level for a new measurement; logs crossings. Mutex held.
  void update(const BacklogMeasurement& m) {
    auto& d = state[m.pg_wal];
    const std::uint64_t room = m.ready_bytes + m.filesystem_free_bytes;
    d.measured = m;
    d.warning_bytes = policy.warning.resolve(room);
    d.critical_bytes = policy.critical.resolve(room);
    d.drop_bytes = policy.drops() ? policy.drop.resolve(room) : 0;
    d.dropping = policy.drops() && m.ready_bytes >= d.drop_bytes && store.failing();
    const BacklogLevel before = d.level;
    d.level = next_backlog_level(before, m.ready_bytes, d.warning_bytes, d.critical_bytes);
    if (d.level != before) log_crossing(d, before);
  }

  void log_crossing(const DirectoryBacklog& d, BacklogLevel before) {
    const auto& m = d.measured;
    const std::int64_t age = m.oldest_ready_at == 0 ? 0 : std::max<std::int64_t>(0, epoch_now() - m.oldest_ready_at);
    const std::string what = std::to_string(m.ready_segments) + " segments (" + format_bytes(m.ready_bytes) +
                             ") wait to be archived, the oldest for " + std::to_string(age) + " s";
    const std::string thresholds = "Warning threshold " + describe_limit(policy.warning, d.warning_bytes) +
                                   ", critical " + describe_limit(policy.critical, d.critical_bytes) +
                                   (d.drop_bytes ? ", WAL is dropped above " + describe_limit(policy.drop, d.drop_bytes) : "") +
                                   "; " + format_bytes(m.filesystem_free_bytes) + " free on pg_wal's filesystem.";
    std::vector<std::pair<std::string, std::string>> fields{
        {"action", "backlog"}, {"level", std::string(level_name(d.level))}, {"pg_wal", m.pg_wal},
        {"ready_segments", std::to_string(m.ready_segments)}, {"ready_bytes", std::to_string(m.ready_bytes)}};
    if (d.level > before) {
      const bool critical = d.level == BacklogLevel::critical;
      log.write(LogRecord{critical ? Level::error : Level::warning, kLogger,
                          std::string("archive backlog of ") + m.pg_wal + " is above the " + (critical ? "CRITICAL" : "warning") +
                              " threshold: " + what,
                          thresholds,
                          critical ? "pg_wal is filling up and PostgreSQL stops when its disk is full: bring the store back "
                                     "(see 'wal-e status' and the store errors logged above) or make room"
                                   : "the store is not keeping up: see 'wal-e status' and the store errors logged above",
                          std::move(fields)});
    } else {
      log.write(LogRecord{Level::info, kLogger,
                          "archive backlog of " + m.pg_wal + " is back below the " +
                              (d.level == BacklogLevel::warning ? "critical" : "warning") + " threshold: " + what,
                          thresholds, {}, std::move(fields)});
    }
  }

  void measure_all() {
    std::set<std::string> dirs;
    {
      std::lock_guard lock(mutex);
      dirs = directories;
    }
    for (const auto& dir : dirs) {
      std::optional<BacklogMeasurement> m;
      try {
        m = measure_backlog(dir);
      } catch (const Error&) {
        // A cluster that went away: nothing to watch until it asks again.
      }
      std::lock_guard lock(mutex);
      if (m) update(*m);
      else state.erase(dir);
    }
  }

  void run_measurer() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      lock.unlock();
      measure_all();
      lock.lock();
      wake.wait_for(lock, interval, [this] { return stopping; });
    }
  }

  // Writes the marker of each open gap the store does not show as it now
  // stands (a gap that grew gets a new marker; the old one goes).
  bool publish_gaps() {
    std::vector<GapEntry> pending;
    {
      std::lock_guard lock(mutex);
      for (const auto& g : gaps)
        if (g.published_key != archive::gap_key(g.first, g.last)) pending.push_back(g);
    }
    if (dropped_in_flight && dropped_in_flight() > 0)
      throw Error(ErrorKind::transient, "uploads of dropped segments are still under way");
    for (auto g : pending) {
      if (!settle(g)) continue;
      const std::string key = archive::gap_key(g.first, g.last);
      storage::PutOptions options;
      options.content_type = "application/json";
      store.put(key, archive::encode_gap(marker_of(g, host)), options);
      if (!g.published_key.empty()) store.remove({g.published_key});
      if (journal != nullptr) journal->gap_published(g.id, key);
      std::lock_guard lock(mutex);
      for (auto& open : gaps)
        if (open.id == g.id && open.last == g.last) open.published_key = key;
      log.info(kLogger, "recorded the archive's gap in the store", archive::gap_message(g.first, g.last) + ".",
               {{"action", "wal-gap"}, {"key", store.url().url_for(key)}});
    }
    return !pending.empty();
  }

  // Narrows a gap to the segments the store really lacks: an upload under
  // way when its segment was dropped may have finished. False when none is
  // missing (the gap is closed).
  bool settle(GapEntry& g) {
    if (!pg::valid_segment_size(g.segment_size)) return true;
    const pg::SegmentGeometry geometry(g.segment_size);
    std::set<std::uint64_t> present;
    for (std::uint32_t log_id = g.first.log; log_id <= g.last.log; ++log_id) {
      const std::string log_prefix = std::string(archive::kWalDirectory) + pg::SegmentName{g.first.timeline, log_id, 0}.str().substr(0, 16);
      store.list(log_prefix, [&](storage::ObjectInfo&& info) {
        const auto object = archive::parse_wal_key(info.key);
        const auto name = object ? pg::parse_segment_name(object->file_name) : std::nullopt;
        if (name && name->timeline == g.first.timeline && geometry.fits(*name)) present.insert(geometry.segment_number(*name));
      });
    }
    std::optional<std::uint64_t> first, last;
    std::uint64_t missing = 0;
    for (auto n = geometry.segment_number(g.first); n <= geometry.segment_number(g.last); ++n) {
      if (present.count(n)) continue;
      if (!first) first = n;
      last = n;
      ++missing;
    }
    const GapEntry before = g;
    // A drop may have extended the gap since it was read: then it is
    // neither closed nor narrowed here, but looked at again next time.
    if (!first) {
      if (journal != nullptr && !journal->gap_resolved(g.id, before.last)) return false;
      if (!g.published_key.empty()) store.remove({g.published_key});
      std::lock_guard lock(mutex);
      std::erase_if(gaps, [&](const GapEntry& e) { return e.id == g.id && e.last == before.last; });
      log.info(kLogger, "every segment dropped from " + g.first.str() + " to " + g.last.str() + " reached the store after all",
               "Their uploads were under way when they were dropped; the archive has no gap there.");
      return false;
    }
    g.first = geometry.from_number(g.first.timeline, *first);
    g.last = geometry.from_number(g.first.timeline, *last);
    g.segments = missing;
    g.bytes = missing * g.segment_size;
    if (g.first == before.first && g.last == before.last && g.segments == before.segments) return true;
    if (journal != nullptr && !journal->gap_settled(g, before.last)) return false;
    std::lock_guard lock(mutex);
    for (auto& open : gaps)
      if (open.id == g.id && open.last == before.last) {
        const std::string published = open.published_key;
        open = g;
        open.published_key = published;
      }
    return true;
  }

  // Gaps older than the start of a complete base backup no longer stop a
  // restore of the newest backup: they leave the status.
  void resolve_gaps() {
    std::vector<GapEntry> open;
    {
      std::lock_guard lock(mutex);
      open = gaps;
    }
    if (open.empty()) return;
    const auto backups = archive::list_backups(store);
    for (const auto& g : open) {
      const bool covered = std::any_of(backups.begin(), backups.end(), [&](const archive::BackupEntry& b) {
        return b.name.start.timeline >= g.last.timeline && b.name.start.log_and_segment() > g.last.log_and_segment();
      });
      if (!covered) continue;
      if (journal != nullptr && !journal->gap_resolved(g.id, g.last)) continue;  // extended meanwhile
      std::lock_guard lock(mutex);
      std::erase_if(gaps, [&](const GapEntry& e) { return e.id == g.id && e.last == g.last; });
      log.info(kLogger, "a base backup newer than the archive's gap from " + g.first.str() + " to " + g.last.str() + " exists",
               "Restores from that backup on are complete again.");
    }
  }

  void run_gap_keeper() {
    std::chrono::seconds retry = kPublishRetryFirst;
    auto next_recheck = Clock::now();
    std::unique_lock lock(mutex);
    while (!stopping) {
      const bool recheck = !gaps.empty() && (recheck_requested || Clock::now() >= next_recheck);
      recheck_requested = false;
      lock.unlock();
      bool ok = true;
      try {
        publish_gaps();
        if (recheck) {
          resolve_gaps();
          next_recheck = Clock::now() + kGapRecheckInterval;
        }
        retry = kPublishRetryFirst;
      } catch (const std::exception&) {
        ok = false;  // the store is still away: try again later
      }
      lock.lock();
      if (!ok) {
        // Back off, but try again soon after the store takes uploads again.
        const auto until = Clock::now() + retry;
        do wake_gaps.wait_for(lock, kStoreWatch);
        while (!stopping && Clock::now() < until && store.failing());
        retry = std::min(retry * 2, std::chrono::duration_cast<std::chrono::seconds>(kPublishRetryMax));
        continue;
      }
      const auto until = gaps.empty() ? Clock::now() + std::chrono::hours(1) : next_recheck;
      wake_gaps.wait_until(lock, until, [this] { return stopping || recheck_requested || has_unpublished(); });
    }
  }

  bool has_unpublished() const {
    return std::any_of(gaps.begin(), gaps.end(), [](const GapEntry& g) { return g.published_key != archive::gap_key(g.first, g.last); });
  }
};

BacklogMonitor::BacklogMonitor(ReloadableStore& store, Journal* journal, Log& log, BacklogPolicy policy,
                               std::function<std::size_t()> dropped_in_flight, std::chrono::milliseconds interval)
    : impl_(std::make_unique<Impl>(store, journal, log, std::move(policy), std::move(dropped_in_flight), interval)) {
  impl_->measurer = std::thread([impl = impl_.get()] { impl->run_measurer(); });
  impl_->gap_keeper = std::thread([impl = impl_.get()] { impl->run_gap_keeper(); });
}

BacklogMonitor::~BacklogMonitor() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->wake_gaps.notify_all();
  impl_->measurer.join();
  impl_->gap_keeper.join();
}

void BacklogMonitor::watch(const std::string& pg_wal) {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->directories.insert(pg_wal).second) return;
  }
  impl_->wake.notify_all();
}

void BacklogMonitor::set_policy(const BacklogPolicy& policy) {
  std::lock_guard lock(impl_->mutex);
  impl_->policy = policy;
}

BacklogPolicy BacklogMonitor::policy() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->policy;
}

bool BacklogMonitor::should_drop(const pg::WalSource& source) const {
  if (source.name.kind != pg::WalFileKind::segment) return false;
  std::lock_guard lock(impl_->mutex);
  if (!impl_->policy.drops() || !impl_->store.failing()) return false;
  const auto it = impl_->state.find(source.wal_dir);
  return it != impl_->state.end() && it->second.measured.ready_bytes >= it->second.drop_bytes;
}

GapEntry BacklogMonitor::record_drop(const pg::WalSource& source) {
  Impl& s = *impl_;
  std::string reason;
  {
    std::lock_guard lock(s.mutex);
    const auto& d = s.state[source.wal_dir];
    reason = "the archive backlog of " + source.wal_dir + " (" + format_bytes(d.measured.ready_bytes) +
             ") exceeded WALE_DROP_WAL_ABOVE=" + s.policy.drop.text + " (" + format_bytes(d.drop_bytes) +
             ") while the store was failing";
  }
  GapEntry gap;
  if (s.journal != nullptr) {
    gap = s.journal->record_dropped(source.wal_dir, source.name.segment, source.identity.size, source.identity.size, reason);
  } else {
    const auto now = epoch_now();
    gap = GapEntry{0, source.wal_dir, source.name.segment, source.name.segment, 1, source.identity.size, now, now, reason, {}, source.identity.size};
  }
  {
    std::lock_guard lock(s.mutex);
    ++s.dropped;
    auto& d = s.state[source.wal_dir].measured;
    d.ready_bytes -= std::min(d.ready_bytes, source.identity.size);
    d.ready_segments -= std::min<std::uint64_t>(d.ready_segments, 1);
    const auto it = std::find_if(s.gaps.begin(), s.gaps.end(), [&](const GapEntry& g) { return g.id == gap.id && gap.id != 0; });
    if (it != s.gaps.end()) {
      const std::string published = it->published_key;
      *it = gap;
      it->published_key = published;
    } else {
      s.gaps.push_back(gap);
    }
  }
  s.wake_gaps.notify_all();
  s.log.write(LogRecord{Level::warning, kLogger,
                        "WAL DROPPED: " + source.name.name + " was reported archived to PostgreSQL without being stored",
                        "The drop policy is on: " + reason + ".",
                        archive::gap_message(gap.first, gap.last) + " once the store is back (wal-e backup-push)",
                        {{"action", "drop-wal"}, {"seg", source.name.name}, {"pg_wal", source.wal_dir}}});
  return gap;
}

std::vector<DirectoryBacklog> BacklogMonitor::backlog() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<DirectoryBacklog> out;
  for (const auto& [dir, d] : impl_->state) out.push_back(d);
  return out;
}

std::vector<GapEntry> BacklogMonitor::open_gaps() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->gaps;
}

std::uint64_t BacklogMonitor::segments_dropped() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->dropped;
}

void BacklogMonitor::recheck_gaps() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->recheck_requested = true;
  }
  impl_->wake_gaps.notify_all();
}

}  // namespace wale::daemon
