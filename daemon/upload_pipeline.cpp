#include "daemon/upload_pipeline.hpp"

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/core/error.hpp"
#include "common/core/page_buffer.hpp"
#include "common/core/retry.hpp"
#include "daemon/journal.hpp"
#include "daemon/ready_watcher.hpp"

namespace wale::daemon {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t epoch_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

struct Job {
  pg::WalSource source;
  bool requested = false;  // a client waits for it (else: read ahead)
  std::vector<std::function<void(const PushResult&)>> waiters;
  std::uint64_t reserved = 0;
  BufferPool::Lease body;  // the compressed object, from prepare until the job finishes
  Clock::time_point started;
  bool abandoned = false;  // the drop policy answered for it: stop trying (mutex held)
  std::string key() const { return source.path; }
};

using JobPtr = std::shared_ptr<Job>;

// Requested files first, then in name order (oldest WAL first).
struct JobOrder {
  bool operator()(const JobPtr& a, const JobPtr& b) const {
    if (a->requested != b->requested) return a->requested;
    return a->source.path < b->source.path;
  }
};

struct StoredFile {
  pg::FileIdentity identity;
  std::string content_hash;
};

}  // namespace

struct UploadPipeline::Impl {
  storage::BlobStore& store;
  Journal* journal;
  Log& log;
  PipelineOptions options;

  // Object buffers, reused from segment to segment: one for each job
  // between the start of its compression and the end of its upload.
  // Declared before the jobs, so that it outlives any lease they hold.
  BufferPool bodies;

  mutable std::mutex mutex;
  std::condition_variable wake;  // retries waiting out their backoff; drain
  std::unordered_map<std::string, JobPtr> jobs;  // every job not yet finished, by path
  std::set<JobPtr, JobOrder> waiting;            // jobs not yet started
  std::size_t cpu_busy = 0;
  std::size_t in_store = 0;
  std::uint64_t reserved = 0;
  bool stopping = false;
  std::unordered_map<std::string, StoredFile> stored;  // by path
  std::deque<std::string> stored_order;
  PipelineCounters counters;
  std::set<std::string> scans_pending;  // directories with a read-ahead scan queued
  std::set<std::string> backlogged;     // directories that had more .ready files than room
  std::set<std::string> abandoned;      // files the drop policy answered for: never read ahead again
  std::deque<std::string> abandoned_order;

  StuckWatch stuck;

  std::deque<std::uint64_t> recent_bodies;  // sizes of the last compressed objects
  static constexpr std::size_t kRecentBodies = 32;

  boost::asio::thread_pool cpu_pool;
  boost::asio::thread_pool transfer_pool;
  std::unique_ptr<ReadyWatcher> watcher;

  Impl(storage::BlobStore& s, Journal* j, Log& l, PipelineOptions o)
      : store(s),
        journal(j),
        log(l),
        options(o),
        bodies(kBodyCapacity, o.cpu_threads + o.transfer_threads, o.cpu_threads, kBodyKeptResident),
        stuck(o.stuck_after),
        cpu_pool(o.cpu_threads),
        transfer_pool(o.transfer_threads) {}

  // Every failed attempt goes by the stuck watch; it says when to tell.
  void note_failure(const JobPtr& job, const std::string& error) {
    const auto report = stuck.failed(job->source.path, error);
    if (!report) return;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(StuckWatch::Clock::now() - report->failing_since).count();
    log.write(LogRecord{Level::error, "wal_e.worker.upload",
                        "archiving is stuck on " + job->source.path + ": it has failed for " + std::to_string(seconds) + " s (" +
                            std::to_string(report->attempts) + " attempts)",
                        "The store's last error: " + report->last_error,
                        "PostgreSQL archives in order, so nothing after this segment is archived until it is stored: "
                        "fix the store or the daemon's configuration (then send wal-ed SIGHUP); 'wal-e status' shows the backlog",
                        {{"action", "push-wal"}, {"seg", job->source.name.name}, {"state", "stuck"},
                         {"attempts", std::to_string(report->attempts)}}});
  }

  // Address space for a 16 MiB segment that does not compress (a larger
  // one grows its buffer); an idle buffer keeps what a typical compressed
  // segment needs (about 15 % of 16 MiB).
  static constexpr std::size_t kBodyCapacity = (16u << 20) + (1u << 20);
  static constexpr std::size_t kBodyKeptResident = 4u << 20;
  // What a buffer may keep beyond its object: room for the next, similar
  // object to grow into without faulting in fresh pages.
  static constexpr std::size_t kBodySlack = 256u << 10;

  // What a segment's object is expected to need while it is compressed:
  // the largest of the last objects (WAL compresses alike from one
  // segment to the next), and until there are some, the worst case (its
  // size plus what lzop adds to incompressible data). A job whose object
  // turns out larger is counted at its real size once compressed, so the
  // budget can be overrun only while WAL suddenly stops compressing, by at
  // most a segment per CPU worker; the estimate then follows. A file
  // larger than the whole budget still runs, alone, rather than never.
  std::uint64_t reservation_for(const pg::WalSource& s) const {
    const std::uint64_t worst = s.identity.size + s.identity.size / 16 + 4096;
    if (recent_bodies.empty()) return worst;
    return std::min(worst, *std::max_element(recent_bodies.begin(), recent_bodies.end()) + (64u << 10));
  }

  void remember_body_size(std::uint64_t size) {
    recent_bodies.push_back(size);
    if (recent_bodies.size() > kRecentBodies) recent_bodies.pop_front();
  }

  void remember_stored(const std::string& path, const StoredFile& file) {
    if (!stored.count(path)) stored_order.push_back(path);
    stored[path] = file;
    while (stored_order.size() > options.cache_entries) {
      stored.erase(stored_order.front());
      stored_order.pop_front();
    }
  }

  // Starts as many waiting jobs as CPU workers, object buffers and the
  // memory budget allow. The budget counts what the buffers really hold: a
  // job's buffer at least what it kept from earlier objects, and the idle
  // buffers too, so that the daemon's memory follows the budget whatever
  // the mix of busy and idle buffers. Called with the mutex held.
  void pump() {
    while (!stopping && !waiting.empty() && cpu_busy < options.cpu_threads) {
      const JobPtr job = *waiting.begin();
      auto body = bodies.try_acquire();
      if (!body) return;
      const std::uint64_t need = std::max<std::uint64_t>(reservation_for(job->source), body.buffer().touched());
      if (reserved > 0 && reserved + need + bodies.idle_held() > options.memory_budget) return;  // the buffer goes back
      waiting.erase(waiting.begin());
      job->body = std::move(body);
      job->reserved = need;
      reserved += need;
      counters.bytes_held = reserved;
      ++cpu_busy;
      boost::asio::post(cpu_pool, [this, job] { prepare(job); });
    }
  }

  void finish(const JobPtr& job, const PushResult& result) {
    std::vector<std::function<void(const PushResult&)>> waiters;
    {
      std::lock_guard lock(mutex);
      jobs.erase(job->key());
      reserved -= job->reserved;
      job->reserved = 0;
      job->body = {};
      counters.bytes_held = reserved;
      counters.queued = jobs.size();
      if (job->abandoned) {
        // Neither stored nor failed: PostgreSQL was told it is archived.
      } else if (result.ok) {
        if (result.outcome != command::StoreOutcome::already_stored) ++counters.uploaded;
        else ++counters.already_stored;
        counters.bytes_in += result.raw_size;
        counters.last_segment = job->source.name.name;
        counters.last_segment_at = epoch_seconds();
      } else {
        ++counters.failed;
        counters.last_error = result.error;
        counters.last_error_at = epoch_seconds();
      }
      waiters.swap(job->waiters);
      pump();
      // Refill the queue from directories that had more waiting than room.
      if (!backlogged.empty() && jobs.size() < options.read_ahead / 2 + 1) {
        for (const auto& dir : backlogged) schedule_scan(dir);
        backlogged.clear();
      }
    }
    wake.notify_all();
    for (auto& w : waiters) w(result);
  }

  // Queues one scan of a directory's .ready files, however often asked.
  // Called with the mutex held.
  void schedule_scan(const std::string& wal_dir) {
    if (stopping || !scans_pending.insert(wal_dir).second) return;
    boost::asio::post(transfer_pool, [this, wal_dir] {
      {
        std::lock_guard lock(mutex);
        scans_pending.erase(wal_dir);
      }
      try {
        scan_ready(wal_dir);
      } catch (const std::exception& e) {
        log.warning("wal_e.worker.upload", "could not read ahead in " + wal_dir, e.what());
      }
    });
  }

  void fail(const JobPtr& job, const std::string& error, bool vanished = false) {
    if (vanished) stuck.cleared(job->source.path);
    else note_failure(job, error);
    if (journal != nullptr) {
      try {
        journal->record_failed(job->source.wal_dir, job->source.name.name, error);
      } catch (const std::exception& e) {
        log.warning("wal_e.journal", "could not record a failure in the journal", e.what());
      }
    }
    log.write(LogRecord{Level::error, "wal_e.worker.upload", "could not archive " + job->source.path + ": " + error, {}, {},
                        {{"action", "push-wal"}, {"seg", job->source.name.name}, {"state", "fail"}}});
    finish(job, PushResult{false, error, command::StoreOutcome::stored, 0, 0});
  }

  // CPU pool: read, hash and compress.
  void prepare(const JobPtr& job) {
    std::shared_ptr<command::PreparedWalObject> prepared;
    std::string error;
    bool vanished = false;
    try {
      if (journal != nullptr) journal->record_uploading(job->source.wal_dir, job->source.name.name);
      job->started = Clock::now();
      if (job->requested) command::log_push_begin(log, store, job->source, options.encoding.compression);
      prepared = std::make_shared<command::PreparedWalObject>(
          command::prepare_wal_object(job->source, options.encoding, job->body.buffer()));
    } catch (const Error& e) {
      error = e.what();
      vanished = e.kind() == ErrorKind::not_found;
    } catch (const std::exception& e) {
      error = e.what();
    }
    // From now on the object counts at what its buffer really holds: the
    // object, plus at most a little slack of what an earlier, larger object
    // left in the same buffer (handed back here, so that a buffer keeping
    // 4 MiB resident does not count as the 2.5 MiB object it now holds).
    const std::uint64_t held = prepared ? job->body.buffer().trim_to_contents(kBodySlack) : 0;
    {
      std::lock_guard lock(mutex);
      --cpu_busy;
      if (prepared) {
        reserved = reserved - job->reserved + held;
        job->reserved = held;
        counters.bytes_held = reserved;
        remember_body_size(prepared->body.size());
      }
      pump();
    }
    if (prepared && is_abandoned(job)) return give_up(job);
    if (!prepared) {
      if (vanished && journal != nullptr) journal->forget(job->source.wal_dir, job->source.name.name);
      fail(job, vanished ? job->source.path + " disappeared before it could be read" : error, vanished);
      return;
    }
    boost::asio::post(transfer_pool, [this, job, prepared] { upload(job, *prepared); });
  }

  // Transfer pool: store, retrying transient failures while the file exists.
  void upload(const JobPtr& job, const command::PreparedWalObject& prepared) {
    RetryPolicy policy;
    policy.max_delay = std::chrono::seconds(30);
    for (int attempt = 1;; ++attempt) {
      if (is_abandoned(job)) return give_up(job);
      try {
        {
          std::lock_guard lock(mutex);
          ++in_store;
        }
        const auto outcome = command::store_wal_object(store, prepared, options.encoding);
        {
          std::lock_guard lock(mutex);
          --in_store;
          if (outcome != command::StoreOutcome::already_stored) counters.bytes_out += prepared.body.size();
          remember_stored(job->key(), StoredFile{prepared.identity, prepared.content_hash});
        }
        stuck.cleared(job->source.path);
        if (journal != nullptr) {
          try {
            journal->record_uploaded(job->source.wal_dir, job->source.name.name, prepared.identity, prepared.content_hash);
          } catch (const std::exception& e) {
            // The object is durable; a journal that cannot record it only
            // costs a HEAD on the next request.
            log.warning("wal_e.journal", "could not record an upload in the journal", e.what());
          }
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - job->started).count();
        command::log_push_complete(log, store, job->source, options.encoding.compression, outcome, prepared.raw_size, seconds);
        finish(job, PushResult{true, {}, outcome, prepared.raw_size, seconds});
        return;
      } catch (const Error& e) {
        {
          std::lock_guard lock(mutex);
          --in_store;
          counters.last_error = e.what();
          counters.last_error_at = epoch_seconds();
        }
        if (e.kind() != ErrorKind::transient) return fail(job, e.what());
        if (is_abandoned(job)) return give_up(job);
        note_failure(job, e.what());
        const auto delay = backoff_delay(policy, attempt);
        log.warning("wal_e.worker.upload", "store unavailable, will retry " + prepared.key, e.what());
        std::unique_lock lock(mutex);
        if (wake.wait_for(lock, delay, [this] { return stopping; })) {
          lock.unlock();
          return fail(job, std::string(e.what()) + " (the daemon is stopping)");
        }
      } catch (const std::exception& e) {
        {
          std::lock_guard lock(mutex);
          --in_store;
        }
        return fail(job, e.what());
      }
      try {
        pg::identify(job->source.path);
      } catch (const Error&) {
        return fail(job, job->source.path + " disappeared while the store was unavailable", true);
      }
    }
  }

  bool is_abandoned(const JobPtr& job) {
    std::lock_guard lock(mutex);
    return job->abandoned;
  }

  void give_up(const JobPtr& job) {
    if (journal != nullptr) journal->forget(job->source.wal_dir, job->source.name.name);
    finish(job, PushResult{false, job->source.path + " was reported archived by the drop policy", command::StoreOutcome::stored, 0, 0});
  }

  void abandon(const std::string& path) {
    stuck.cleared(path);
    JobPtr unstarted;
    {
      std::lock_guard lock(mutex);
      if (abandoned.insert(path).second) abandoned_order.push_back(path);
      while (abandoned_order.size() > options.cache_entries) {
        abandoned.erase(abandoned_order.front());
        abandoned_order.pop_front();
      }
      const auto it = jobs.find(path);
      if (it == jobs.end()) return;
      it->second->abandoned = true;
      if (waiting.erase(it->second) > 0) unstarted = it->second;
    }
    if (unstarted) give_up(unstarted);
  }

  void enqueue(const pg::WalSource& source, bool requested, std::function<void(const PushResult&)> done) {
    std::unique_lock lock(mutex);
    if (!requested && abandoned.count(source.path)) return;
    if (stopping) {
      lock.unlock();
      if (done) done(PushResult{false, "the daemon is stopping", command::StoreOutcome::stored, 0, 0});
      return;
    }
    auto it = jobs.find(source.path);
    if (it != jobs.end()) {
      const JobPtr& job = it->second;
      if (done) job->waiters.push_back(std::move(done));
      if (requested && !job->requested && waiting.erase(job) > 0) {
        job->requested = true;
        waiting.insert(job);
      }
      return;
    }
    auto job = std::make_shared<Job>();
    job->source = source;
    job->requested = requested;
    if (done) job->waiters.push_back(std::move(done));
    jobs.emplace(source.path, job);
    waiting.insert(job);
    counters.queued = jobs.size();
    pump();
  }

  bool known_stored(const pg::WalSource& source) const {
    const auto it = stored.find(source.path);
    return it != stored.end() && it->second.identity == source.identity;
  }

  // Queues the oldest .ready segments that are neither stored nor queued,
  // up to the read-ahead room. Every .ready name is looked at: PostgreSQL
  // leaves a segment .ready until its own call for it returns, so behind
  // a slow archiver loop the oldest names are mostly ones already stored,
  // and a window of the first few would stop read-ahead there.
  void scan_ready(const std::string& wal_dir) {
    std::size_t room;
    {
      std::lock_guard lock(mutex);
      if (stopping || jobs.size() >= options.read_ahead) return;
      room = options.read_ahead - jobs.size();
    }
    const auto names = pg::ready_segments(wal_dir, {}, std::numeric_limits<std::size_t>::max());
    for (const auto& name : names) {
      const std::string path = wal_dir + "/" + name;
      {
        // By path only: a name read ahead before is not looked at again
        // (the request for it compares the file's identity).
        std::lock_guard lock(mutex);
        if (stopping) return;
        if (stored.count(path) || jobs.count(path)) continue;
        if (room == 0) {
          backlogged.insert(wal_dir);
          return;
        }
      }
      pg::WalSource source;
      try {
        source = pg::resolve_wal_source(wal_dir, name);
      } catch (const Error&) {
        continue;  // archived and recycled meanwhile
      }
      --room;
      enqueue(source, false, {});
    }
  }
};

UploadPipeline::UploadPipeline(storage::BlobStore& store, Journal* journal, Log& log, PipelineOptions options)
    : impl_(std::make_unique<Impl>(store, journal, log, options)) {
  if (options.watch_directories)
    impl_->watcher = std::make_unique<ReadyWatcher>([impl = impl_.get()](const std::string& dir) {
      std::lock_guard lock(impl->mutex);
      impl->schedule_scan(dir);
    });
  if (journal != nullptr) {
    std::lock_guard lock(impl_->mutex);
    for (const auto& e : journal->recent_uploaded(options.cache_entries))
      impl_->remember_stored(e.wal_dir + "/" + e.name, StoredFile{e.identity, e.content_hash});
  }
}

UploadPipeline::~UploadPipeline() {
  impl_->watcher.reset();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->cpu_pool.join();
  impl_->transfer_pool.join();
}

bool UploadPipeline::already_stored(const pg::WalSource& source) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->known_stored(source);
}

void UploadPipeline::push(const pg::WalSource& source, std::function<void(const PushResult&)> done) {
  impl_->enqueue(source, true, std::move(done));
}

void UploadPipeline::read_ahead(const std::string& wal_dir, const std::string&) {
  // From now on new .ready files of this directory are noticed as they appear.
  if (impl_->watcher) impl_->watcher->watch(wal_dir);
  std::lock_guard lock(impl_->mutex);
  impl_->schedule_scan(wal_dir);
}

void UploadPipeline::resume_from_journal() {
  if (impl_->journal == nullptr) return;
  for (const auto& entry : impl_->journal->unfinished()) {
    try {
      impl_->enqueue(pg::resolve_wal_source(entry.wal_dir, entry.name), false, {});
    } catch (const Error&) {
      impl_->journal->forget(entry.wal_dir, entry.name);  // PostgreSQL archived and recycled it
    }
  }
  for (const auto& dir : impl_->journal->wal_directories()) read_ahead(dir, {});
}

void UploadPipeline::drain(std::chrono::steady_clock::time_point deadline) {
  std::vector<JobPtr> abandoned;
  {
    std::unique_lock lock(impl_->mutex);
    impl_->stopping = true;
    abandoned.assign(impl_->waiting.begin(), impl_->waiting.end());
    impl_->waiting.clear();
  }
  impl_->wake.notify_all();
  for (const auto& job : abandoned) impl_->finish(job, PushResult{false, "the daemon is stopping", command::StoreOutcome::stored, 0, 0});
  std::unique_lock lock(impl_->mutex);
  impl_->wake.wait_until(lock, deadline, [this] { return impl_->jobs.empty(); });
}

std::optional<StuckSegment> UploadPipeline::stuck() const { return impl_->stuck.stuck(); }

void UploadPipeline::set_stuck_after(std::chrono::seconds after) { impl_->stuck.set_after(after); }

void UploadPipeline::abandon(const std::string& path) { impl_->abandon(path); }

std::size_t UploadPipeline::abandoned_in_flight() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<std::size_t>(std::count_if(impl_->jobs.begin(), impl_->jobs.end(), [](const auto& j) { return j.second->abandoned; }));
}

PipelineCounters UploadPipeline::counters() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

}  // namespace wale::daemon
