// Recovery prefetch: while PostgreSQL replays segment N, the daemon
// downloads N+1 ... N+k in parallel (k = wal-fetch --prefetch, WAL-E's
// default 8) into a prefetch area under pg_wal (.wal-e/prefetch/, WAL-E's
// place for it). A request served from the area is a rename. Downloads
// run in parallel to hide their latency; their decoding takes turns on the
// cores PostgreSQL's replay leaves free, the nearest segment first. A
// prefetched file is checked when it is decoded (the codec's checksums, its
// size and page header) and again before it is handed over: it must still
// be the file the daemon wrote and checked (same inode, size, mtime and
// ctime: nothing has written to it since), so a file damaged or truncated
// after download is never given to PostgreSQL; it is downloaded again
// instead. The area goes away when recovery ends (neither recovery.signal
// nor standby.signal left in the data directory).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/command/wal_fetch.hpp"
#include "common/core/log.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::daemon {

struct PrefetchCounters {
  std::uint64_t served_from_prefetch = 0;
  std::uint64_t downloaded_on_demand = 0;
  std::uint64_t prefetched = 0;
  std::uint64_t discarded = 0;  // prefetched files that failed their check or were not needed
  // Requests that found their segment still downloading or decoding, and
  // how long they waited for it: recovery that waits is held up by the
  // prefetch (the store, the network or the cores), not by replay.
  std::uint64_t waits = 0;
  std::uint64_t wait_ns = 0;
};

class WalPrefetcher {
 public:
  WalPrefetcher(storage::BlobStore& store, const codec::ObjectEncoding& encoding, Log& log, std::size_t threads);
  ~WalPrefetcher();
  WalPrefetcher(const WalPrefetcher&) = delete;
  WalPrefetcher& operator=(const WalPrefetcher&) = delete;

  // Delivers WAL file `name` to `destination` (an absolute path in pg_wal)
  // for the cluster whose data directory is `data_dir`, then prefetches the
  // next `depth` segments. Throws wale::Error like fetch_wal_file.
  command::FetchedFile fetch(const std::string& name, const std::string& destination, const std::string& data_dir,
                             std::size_t depth);

  PrefetchCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wale::daemon
