#include "daemon/wal_prefetcher.hpp"

#include <condition_variable>
#include <fstream>
#include <optional>
#include <sstream>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/archive/timeline_history.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "common/core/ordered_slots.hpp"
#include "common/pg/wal_directory.hpp"
#include "common/pg/wal_name.hpp"
#include "common/pg/wal_segment_check.hpp"

namespace wale::daemon {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWaitForRunning = std::chrono::seconds(60);
constexpr auto kCleanupInterval = std::chrono::seconds(2);

enum class EntryState { running, ready, missing, failed };

// What a file looked like when it had been checked. Any write to it since
// (even one that keeps its size and puts its mtime back) moves its ctime.
struct Stamp {
  pg::FileIdentity identity;
  std::int64_t ctime_ns = 0;
  friend bool operator==(const Stamp&, const Stamp&) = default;
};

Stamp stamp_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw_system_error("cannot examine " + path);
  return Stamp{pg::identity_of(st), static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec};
}

struct Entry {
  EntryState state = EntryState::running;
  Stamp stamp;  // of the checked file, when ready
};

// Decoding order: the segment's position in the WAL, whatever its timeline.
std::uint64_t rank_of(const std::string& name) {
  const auto segment = pg::parse_segment_name(name);
  return segment ? segment->log_and_segment() : 0;
}

// One pg_wal directory being recovered into.
struct Area {
  std::string pg_wal;
  std::string data_dir;
  std::string dir;  // <pg_wal>/.wal-e/prefetch
  std::map<std::string, Entry> entries;  // by segment name
  Clock::time_point last_used = Clock::now();
  // The newest timeline history PostgreSQL has fetched: recovery follows it
  // (recovery_target_timeline = latest), so prefetch does too.
  std::optional<archive::TimelineChain> chain;
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// PostgreSQL replays on one core: decoding leaves it that one.
std::size_t decode_slots() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 2 ? cores - 1 : 1;
}

void remove_tree(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (d) {
    while (const dirent* e = ::readdir(d.get())) {
      const std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      const std::string path = dir + "/" + std::string(n);
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(path);
      else ::unlink(path.c_str());
    }
  }
  ::rmdir(dir.c_str());
}

}  // namespace

struct WalPrefetcher::Impl {
  storage::BlobStore& store;
  codec::ObjectEncoding encoding;
  Log& log;
  boost::asio::thread_pool pool;  // downloads: as many at once as it takes to hide their latency
  OrderedSlots decoding;          // their CPU work: the cores, the nearest segment first
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, Area> areas;  // by pg_wal directory
  PrefetchCounters counters;
  bool stopping = false;
  std::thread janitor;

  Impl(storage::BlobStore& s, codec::ObjectEncoding e, Log& l, std::size_t threads)
      : store(s), encoding(std::move(e)), log(l), pool(threads), decoding(decode_slots()) {
    janitor = std::thread([this] { clean_up_loop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    janitor.join();
    pool.join();
  }

  Area& area_for(const std::string& pg_wal, const std::string& data_dir) {
    auto [it, added] = areas.try_emplace(pg_wal);
    Area& a = it->second;
    if (added) {
      a.pg_wal = pg_wal;
      a.data_dir = data_dir;
      a.dir = pg_wal + "/.wal-e/prefetch";
    }
    a.last_used = Clock::now();
    return a;
  }

  // Hands a checked prefetched file over; false when there is none usable.
  bool take_prefetched(Area& area, const std::string& name, const std::string& destination, std::unique_lock<std::mutex>& lock) {
    auto it = area.entries.find(name);
    if (it == area.entries.end()) return false;
    if (it->second.state == EntryState::running) {
      const auto since = Clock::now();
      changed.wait_for(lock, kWaitForRunning, [&] {
        const auto e = area.entries.find(name);
        return e == area.entries.end() || e->second.state != EntryState::running;
      });
      ++counters.waits;
      counters.wait_ns += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - since).count());
      it = area.entries.find(name);
      if (it == area.entries.end()) return false;
    }
    if (it->second.state != EntryState::ready) return false;
    const std::string path = area.dir + "/" + name;
    const Entry expected = it->second;
    area.entries.erase(it);
    // The file must be exactly what was downloaded and checked: nothing
    // has written to it, renamed it or replaced it since.
    try {
      if (stamp_of(path) == expected.stamp && ::rename(path.c_str(), destination.c_str()) == 0)
        return true;
    } catch (const Error&) {
    }
    ::unlink(path.c_str());
    ++counters.discarded;
    log.warning("wal_e.prefetch", "discarded a prefetched segment that changed after it was checked",
                path + " will be downloaded again");
    return false;
  }

  void start_prefetch(Area& area, const std::string& name, std::size_t depth, std::uint64_t segment_size) {
    const auto segment = pg::parse_segment_name(name);
    if (!segment || depth == 0) return;
    // Only a cluster in recovery will ask for the next segments.
    if (!exists(area.data_dir + "/recovery.signal") && !exists(area.data_dir + "/standby.signal")) return;
    const pg::SegmentGeometry geometry(segment_size);
    const bool follow_chain = area.chain && area.chain->contains(segment->timeline);
    for (std::size_t i = 1; i <= depth; ++i) {
      pg::SegmentName future = geometry.next(*segment, i);
      // After a switch point the next segments live on the newer timeline.
      if (follow_chain) future.timeline = area.chain->timeline_of_segment(geometry.segment_number(future), geometry);
      const std::string next = future.str();
      if (area.entries.count(next)) continue;
      area.entries[next] = Entry{};
      boost::asio::post(pool, [this, pg_wal = area.pg_wal, dir = area.dir, next] { download(pg_wal, dir, next); });
    }
  }

  // A history file PostgreSQL fetched tells which timeline it will follow.
  void learn_history(Area& area, const std::string& name, const std::string& path) {
    const auto file = pg::parse_wal_file_name(name);
    if (!file || file->kind != pg::WalFileKind::history) return;
    if (area.chain && area.chain->target() >= file->timeline) return;
    try {
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      area.chain.emplace(file->timeline, archive::parse_timeline_history(text.str()));
    } catch (const std::exception& e) {
      log.warning("wal_e.prefetch", "cannot follow the timeline history " + name, e.what());
    }
  }

  // Forgets (and deletes) prefetched segments PostgreSQL has gone past.
  void drop_older_than(Area& area, const std::string& name) {
    const auto segment = pg::parse_segment_name(name);
    if (!segment) return;
    for (auto it = area.entries.begin(); it != area.entries.end();) {
      const auto other = pg::parse_segment_name(it->first);
      const bool behind = other && other->log_and_segment() < segment->log_and_segment();
      if (behind && it->second.state != EntryState::running) {
        if (it->second.state == EntryState::ready) {
          ::unlink((area.dir + "/" + it->first).c_str());
          ++counters.discarded;
        }
        it = area.entries.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Pool thread: one prefetch download, checked before it becomes visible.
  void download(const std::string& pg_wal, const std::string& dir, const std::string& name) {
    EntryState state = EntryState::failed;
    Stamp stamp;
    try {
      make_directories(dir, 0700);
      const std::string path = dir + "/" + name;
      // Checks the codec's checksums, the size and the page header.
      const auto fetched = command::fetch_wal_file(store, name, path, encoding, {&decoding, rank_of(name)});
      if (fetched.outcome == command::FetchOutcome::delivered) {
        stamp = stamp_of(path);
        state = EntryState::ready;
      } else {
        state = EntryState::missing;
      }
    } catch (const std::exception& e) {
      log.warning("wal_e.prefetch", "could not prefetch " + name, e.what());
    }
    std::lock_guard lock(mutex);
    auto area = areas.find(pg_wal);
    if (area == areas.end()) {
      ::unlink((dir + "/" + name).c_str());
      return;
    }
    auto it = area->second.entries.find(name);
    if (it == area->second.entries.end()) {
      if (state == EntryState::ready) ::unlink((dir + "/" + name).c_str());
    } else {
      it->second.state = state;
      it->second.stamp = stamp;
      if (state == EntryState::ready) ++counters.prefetched;
    }
    changed.notify_all();
  }

  // Recovery is over when the data directory holds neither signal file:
  // PostgreSQL removes recovery.signal when it promotes.
  void clean_up_loop() {
    std::unique_lock lock(mutex);
    while (!changed.wait_for(lock, kCleanupInterval, [this] { return stopping; })) {
      for (auto it = areas.begin(); it != areas.end();) {
        const Area& a = it->second;
        const bool recovering = exists(a.data_dir + "/recovery.signal") || exists(a.data_dir + "/standby.signal");
        bool busy = false;
        for (const auto& [n, e] : a.entries) busy = busy || e.state == EntryState::running;
        if (recovering || busy) {
          ++it;
          continue;
        }
        remove_tree(a.dir);
        const std::string parent = a.pg_wal + "/.wal-e";
        ::rmdir(parent.c_str());
        log.info("wal_e.prefetch", "recovery ended: removed the prefetch area", a.dir);
        it = areas.erase(it);
      }
    }
  }
};

WalPrefetcher::WalPrefetcher(storage::BlobStore& store, const codec::ObjectEncoding& encoding, Log& log, std::size_t threads)
    : impl_(std::make_unique<Impl>(store, encoding, log, threads)) {}

WalPrefetcher::~WalPrefetcher() = default;

command::FetchedFile WalPrefetcher::fetch(const std::string& name, const std::string& destination,
                                          const std::string& data_dir, std::size_t depth) {
  const std::string pg_wal = dirname_of(destination);
  {
    std::unique_lock lock(impl_->mutex);
    Area& area = impl_->area_for(pg_wal, data_dir);
    impl_->drop_older_than(area, name);
    if (impl_->take_prefetched(area, name, destination, lock)) {
      ++impl_->counters.served_from_prefetch;
      const std::uint64_t size = pg::identify(destination).size;
      impl_->start_prefetch(area, name, depth, size);
      return command::FetchedFile{command::FetchOutcome::delivered, size, true};
    }
  }
  const auto fetched = command::fetch_wal_file(impl_->store, name, destination, impl_->encoding);
  std::lock_guard lock(impl_->mutex);
  if (fetched.outcome == command::FetchOutcome::delivered) impl_->learn_history(impl_->area_for(pg_wal, data_dir), name, destination);
  if (fetched.outcome == command::FetchOutcome::delivered) {
    ++impl_->counters.downloaded_on_demand;
    impl_->start_prefetch(impl_->area_for(pg_wal, data_dir), name, depth, fetched.bytes);
  }
  return fetched;
}

PrefetchCounters WalPrefetcher::counters() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

}  // namespace wale::daemon
