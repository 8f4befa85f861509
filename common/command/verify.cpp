// verify [--deep] [--json]: can this archive restore? Not in WAL-E. Checks
// that every backup is complete (sentinel, partitions numbered from 0
// without gaps, as many as the sentinel's optional "partitions" says), that
// the WAL from the oldest backup's start to the newest archived segment is
// there on the timelines recovery follows (history files read), and that
// each backup's own WAL up to its stop segment is there. --deep downloads
// every WAL object and partition and decodes it: lzop checksums, the tar
// stream to its end, WAL page headers, and the content hash this project records
// as object metadata. Every finding is an ERROR record naming the object;
// the exit status is 0 only when there is none.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/archive/backup_catalog.hpp"
#include "common/archive/layout.hpp"
#include "common/archive/sentinel.hpp"
#include "common/archive/tar.hpp"
#include "common/archive/timeline_history.hpp"
#include "common/archive/wal_gap.hpp"
#include "common/codec/digest.hpp"
#include "common/codec/object_codec.hpp"
#include "common/command/commands.hpp"
#include "common/core/error.hpp"
#include "common/pg/wal_segment_check.hpp"
#include "proto/exit_status.hpp"

namespace wale::command {
namespace {

constexpr const char* kLogger = "wal_e.operator.verify";
constexpr std::size_t kDeepWorkers = 4;
// Longer runs of missing segments are reported as one range.
constexpr std::uint64_t kListedRun = 64;

struct Problem {
  std::string kind;
  std::string key;
  std::string detail;  // what is wrong; what to do
};

// The findings, logged as they are made; shared by the --deep workers.
class Findings {
 public:
  Findings(Log& log, const storage::StoreUrl& url) : log_(log), url_(url) {}

  void add(std::string kind, const std::string& key, const std::string& what, const std::string& todo) {
    std::lock_guard lock(mutex_);
    log_.write(LogRecord{Level::error, kLogger, what, "The key is " + url_.url_for(key) + ".", todo, {{"problem", kind}}});
    problems_.push_back(Problem{std::move(kind), key, what + "; " + todo});
  }
  void warn(const std::string& what, const std::string& detail) {
    std::lock_guard lock(mutex_);
    log_.warning(kLogger, what, detail);
  }
  std::vector<Problem> problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return problems_.size();
  }

 private:
  Log& log_;
  const storage::StoreUrl& url_;
  mutable std::mutex mutex_;
  std::vector<Problem> problems_;
};

// --- what the archive holds --------------------------------------------------

struct BackupState {
  archive::BackupName name;
  bool has_sentinel = false;
  std::map<std::uint64_t, std::string> partitions;  // number -> key
  std::optional<archive::Sentinel> sentinel;
  std::optional<std::uint64_t> declared_partitions;  // the sentinel's "partitions", when written
  std::size_t problems = 0;
  bool complete() const { return has_sentinel && sentinel.has_value(); }
};


std::map<std::string, BackupState> scan_backups(storage::BlobStore& store, std::size_t& objects) {
  std::map<std::string, BackupState> backups;
  auto state_of = [&](const archive::BackupName& name) -> BackupState& {
    auto& b = backups[name.str()];
    b.name = name;
    return b;
  };
  const std::string dir(archive::kBackupDirectory);
  store.list(dir, [&](storage::ObjectInfo&& info) {
    ++objects;
    const std::string_view rest = std::string_view(info.key).substr(dir.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) {
      if (const auto name = archive::parse_sentinel_name(rest)) state_of(*name).has_sentinel = true;
      return;
    }
    const auto name = archive::parse_backup_name(rest.substr(0, slash));
    if (!name) return;
    auto& b = state_of(*name);
    const std::string_view inside = rest.substr(slash + 1);
    constexpr std::string_view kPartitions = "tar_partitions/";
    if (inside.starts_with(kPartitions))
      if (const auto n = archive::partition_number(inside.substr(kPartitions.size()))) b.partitions.emplace(*n, info.key);
  });
  return backups;
}

struct WalListing {
  // timeline -> (log, segment) -> key (the first listed, when there are copies)
  std::map<std::uint32_t, std::map<std::pair<std::uint32_t, std::uint32_t>, std::string>> segments;
  std::map<std::uint32_t, std::string> histories;  // timeline -> key
  std::vector<std::string> other;                  // backup history and .partial files
  std::map<std::string, archive::GapRange> gaps;   // gap markers wal-ed's drop policy wrote, by key
  // WAL files stored under more than one compression suffix: all their
  // keys, the one listed first (the one above) first, by WAL file name.
  std::map<std::string, std::vector<std::string>> copies;
};

WalListing scan_wal(storage::BlobStore& store, std::size_t& objects) {
  WalListing out;
  std::map<std::string, std::string> first_key;  // by WAL file name
  store.list(std::string(archive::kWalDirectory), [&](storage::ObjectInfo&& info) {
    ++objects;
    if (const auto gap = archive::parse_gap_key(info.key)) {
      out.gaps.emplace(info.key, *gap);
      return;
    }
    const auto object = archive::parse_wal_key(info.key);
    const auto file = object ? pg::parse_wal_file_name(object->file_name) : std::nullopt;
    if (!file) return;
    if (const auto [first, added] = first_key.try_emplace(object->file_name, info.key); !added) {
      auto& keys = out.copies[object->file_name];
      if (keys.empty()) keys.push_back(first->second);
      keys.push_back(info.key);
      return;
    }
    switch (file->kind) {
      case pg::WalFileKind::segment:
        out.segments[file->segment.timeline][{file->segment.log, file->segment.segment}] = info.key;
        break;
      case pg::WalFileKind::history: out.histories[file->timeline] = info.key; break;
      default: out.other.push_back(info.key);
    }
  });
  return out;
}

// Downloads an object into `sink` through the decoders (GPG when the
// archive is encrypted, then the compression its suffix names) and closes it.
void decode_object(storage::BlobStore& store, const std::string& key, ByteSink& sink, const codec::ObjectEncoding& encoding) {
  const auto compression = archive::compression_of_key(key);
  if (!compression) throw Error(ErrorKind::permanent, "its suffix names no compression this version reads");
  const auto limit = archive::decode_limit(key);
  codec::ObjectDecoder decoder(sink, encoding, *compression, limit.bytes, limit.reason);
  store.get(key, decoder.input());
  decoder.input().close();
}

// The archive's WAL segment size: recorded on objects this project wrote,
// else measured by decoding a segment. Only a size consistent with every
// segment name is believed.
pg::SegmentGeometry segment_geometry(storage::BlobStore& store, const WalListing& wal, Findings& findings,
                                     const codec::ObjectEncoding& encoding) {
  std::uint32_t highest_segment = 0;
  std::vector<std::string> keys;
  for (const auto& [tli, names] : wal.segments)
    for (const auto& [position, key] : names) {
      highest_segment = std::max(highest_segment, position.second);
      keys.push_back(key);
    }
  auto consistent = [&](std::uint64_t size) {
    return pg::valid_segment_size(size) && highest_segment < (std::uint64_t{1} << 32) / size;
  };
  // The newest segments are the likeliest to be intact and written by us.
  std::reverse(keys.begin(), keys.end());
  if (keys.size() > 3) keys.resize(3);
  for (const auto& key : keys) {
    try {
      if (const auto info = store.head(key)) {
        const auto it = info->metadata.find(std::string(storage::kMetaSize));
        std::uint64_t size = 0;
        if (it != info->metadata.end() && std::from_chars(it->second.data(), it->second.data() + it->second.size(), size).ec == std::errc{} &&
            consistent(size))
          return pg::SegmentGeometry(size);
      }
      NullSink null;
      CountingSink counter(null);
      decode_object(store, key, counter, encoding);
      if (consistent(counter.count())) return pg::SegmentGeometry(counter.count());
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::transient) throw;
    }
  }
  std::uint64_t size = pg::kDefaultSegmentSize;
  while (size > (std::uint64_t{1} << 20) && !consistent(size)) size /= 2;
  findings.warn("could not learn the WAL segment size from the archive",
                "Assuming " + std::to_string(size >> 20) + " MiB segments; run 'wal-e verify --deep' to check the WAL objects.");
  return pg::SegmentGeometry(size);
}

// --- the WAL chain -------------------------------------------------------------

// Which timeline's copy of each segment a recovery to `target` reads. Without
// a readable history file the chain is unknown; then any timeline up to the
// target that has the segment is taken (and the history file is reported).
class Coverage {
 public:
  Coverage(std::uint32_t target, std::optional<archive::TimelineChain> chain) : target_(target), chain_(std::move(chain)) {}

  std::uint32_t expected_timeline(std::uint64_t number, const pg::SegmentGeometry& g,
                                  const std::map<std::uint32_t, std::set<std::uint64_t>>& present) const {
    if (chain_) return chain_->timeline_of_segment(number, g);
    for (auto it = present.rbegin(); it != present.rend(); ++it)
      if (it->first <= target_ && it->second.count(number)) return it->first;
    return target_;
  }

  // Whether a backup on `timeline` starting at segment `number` lies on this
  // chain, so that recovery from it reaches the target.
  bool leads_here(std::uint32_t timeline, std::uint64_t number, const pg::SegmentGeometry& g) const {
    if (!chain_) return timeline <= target_;
    return chain_->contains(timeline) && chain_->timeline_of_segment(number, g) == timeline;
  }

 private:
  std::uint32_t target_;
  std::optional<archive::TimelineChain> chain_;
};

class WalCheck {
 public:
  WalCheck(storage::BlobStore& store, const WalListing& wal, const pg::SegmentGeometry& geometry, Findings& findings,
           codec::ObjectEncoding encoding)
      : store_(store), wal_(wal), geometry_(geometry), findings_(findings), encoding_(std::move(encoding)) {
    for (const auto& [tli, names] : wal.segments)
      for (const auto& [position, key] : names) {
        const pg::SegmentName name{tli, position.first, position.second};
        if (geometry.fits(name)) present_[tli].insert(geometry.segment_number(name));
      }
  }

  bool any() const { return !present_.empty(); }
  std::uint32_t newest_timeline() const { return present_.rbegin()->first; }
  std::uint64_t newest_segment(std::uint32_t tli) const { return *present_.at(tli).rbegin(); }
  std::uint64_t number(const pg::SegmentName& name) const { return geometry_.segment_number(name); }

  const Coverage& coverage(std::uint32_t target) {
    auto it = coverages_.find(target);
    if (it == coverages_.end()) it = coverages_.emplace(target, Coverage(target, chain_to(target))).first;
    return it->second;
  }

  // Records every segment of [from, to] missing from the timeline recovery
  // reads it from; returns how many are missing.
  std::size_t check_range(std::uint64_t from, std::uint64_t to, const Coverage& coverage) {
    std::size_t missing = 0;
    for (std::uint64_t n = from; n <= to; ++n) {
      const auto tli = coverage.expected_timeline(n, geometry_, present_);
      const auto it = present_.find(tli);
      if (it != present_.end() && it->second.count(n)) continue;
      missing_.insert({tli, n});
      ++missing;
    }
    return missing;
  }

  // A gap wal-ed recorded explains the missing segments inside it: they
  // are reported once, as the gap, instead of one by one. Returns how many
  // of its segments a restore needs and the archive lacks.
  std::size_t explain_gap(const archive::GapRange& gap) {
    if (!geometry_.fits(gap.first) || !geometry_.fits(gap.last)) return 0;
    std::size_t needed = 0;
    for (auto n = geometry_.segment_number(gap.first); n <= geometry_.segment_number(gap.last); ++n)
      if (missing_.erase({gap.first.timeline, n}) > 0) {
        explained_.push_back(geometry_.from_number(gap.first.timeline, n).str());
        ++needed;
      }
    return needed;
  }

  // One problem per missing segment, or per long run of them.
  std::vector<std::string> report_missing() {
    std::vector<std::string> names;
    for (auto it = missing_.begin(); it != missing_.end();) {
      auto end = std::next(it);
      while (end != missing_.end() && end->first == it->first && end->second == std::prev(end)->second + 1) ++end;
      const auto run = static_cast<std::uint64_t>(std::distance(it, end));
      for (auto m = it; m != end; ++m) names.push_back(geometry_.from_number(m->first, m->second).str());
      const std::string todo =
          "recovery stops before it; if a server still has it in pg_wal, archive it with 'wal-e wal-push', "
          "else take a new base backup (wal-e backup-push)";
      if (run <= kListedRun) {
        for (auto m = it; m != end; ++m) {
          const auto name = geometry_.from_number(m->first, m->second).str();
          findings_.add("missing_wal", archive::wal_key(name), "WAL segment " + name + " is missing", todo);
        }
      } else {
        const auto first = geometry_.from_number(it->first, it->second).str();
        const auto last = geometry_.from_number(std::prev(end)->first, std::prev(end)->second).str();
        findings_.add("missing_wal", archive::wal_key(first),
                      "WAL segments " + first + " through " + last + " (" + std::to_string(run) + " segments) are missing", todo);
      }
      it = end;
    }
    names.insert(names.end(), explained_.begin(), explained_.end());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::optional<archive::TimelineChain> chain_to(std::uint32_t target) {
    if (target == 1) return archive::TimelineChain(1, {});
    const auto name = archive::history_file_name(target);
    const auto it = wal_.histories.find(target);
    if (it == wal_.histories.end()) {
      findings_.add("missing_history", archive::wal_key(name), "timeline history file " + name + " is missing",
                    "recovery cannot follow timeline " + std::to_string(target) +
                        " without it; archive it from the server's pg_wal with 'wal-e wal-push'");
      return std::nullopt;
    }
    try {
      StringSink text;  // decode_object stops a history file at archive::decode_limit's 16 MiB
      decode_object(store_, it->second, text, encoding_);
      return archive::TimelineChain(target, archive::parse_timeline_history(text.data()));
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::transient) throw;
      findings_.add("damaged_object", it->second, "timeline history file " + name + " cannot be read: " + e.what(),
                    "archive it again from the server's pg_wal with 'wal-e wal-push'");
      return std::nullopt;
    }
  }

  storage::BlobStore& store_;
  const WalListing& wal_;
  const pg::SegmentGeometry& geometry_;
  Findings& findings_;
  codec::ObjectEncoding encoding_;
  std::map<std::uint32_t, std::set<std::uint64_t>> present_;
  std::map<std::uint32_t, Coverage> coverages_;
  std::set<std::pair<std::uint32_t, std::uint64_t>> missing_;
  std::vector<std::string> explained_;  // missing, but inside a gap wal-ed recorded
};

// --- backups ---------------------------------------------------------------------

void read_sentinel(storage::BlobStore& store, BackupState& b, Findings& findings) {
  const auto key = archive::sentinel_key(b.name);
  try {
    b.sentinel = archive::fetch_sentinel(store, b.name);
    b.declared_partitions = b.sentinel->partitions;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::transient) throw;
    if (e.kind() == ErrorKind::not_found) {
      b.has_sentinel = false;  // deleted meanwhile
      return;
    }
    ++b.problems;
    findings.add("damaged_object", key, "the sentinel of backup " + b.name.str() + " cannot be read: " + e.what(),
                 "this backup cannot be restored; take a new base backup (wal-e backup-push)");
  }
}

void check_backup(BackupState& b, Findings& findings) {
  const std::string name = b.name.str();
  if (!b.has_sentinel) {
    ++b.problems;
    findings.add("missing_sentinel", archive::sentinel_key(b.name), "backup " + name + " has no sentinel (incomplete)",
                 "unless a backup-push of it is still running, it failed and cannot be restored; "
                 "'wal-e delete --confirm retain N' removes it once newer backups exist");
    return;
  }
  if (!b.complete()) return;
  const std::string todo = "this backup cannot be restored; take a new base backup (wal-e backup-push) and delete this one";
  if (b.partitions.empty() && b.declared_partitions.value_or(1) > 0) {
    ++b.problems;
    findings.add("missing_partition", archive::partition_directory(b.name), "backup " + name + " has no partitions", todo);
    return;
  }
  const std::uint64_t expected = std::max(b.declared_partitions.value_or(0), b.partitions.empty() ? 0 : b.partitions.rbegin()->first + 1);
  // The missing ones are named with the suffix the others have.
  const auto compression = b.partitions.empty() ? std::nullopt : archive::compression_of_key(b.partitions.begin()->second);
  for (std::uint64_t i = 0; i < expected; ++i) {
    if (b.partitions.count(i)) continue;
    ++b.problems;
    const auto key = archive::partition_key(b.name, i, compression.value_or(archive::Compression::lzop));
    findings.add("missing_partition", key,
                 "backup " + name + " is missing partition " + key.substr(archive::partition_directory(b.name).size()), todo);
  }
}

// --- --deep ----------------------------------------------------------------------

class NullVisitor final : public archive::TarReader::Visitor {
 public:
  void begin_member(const archive::TarMember&) override {}
  void member_data(std::string_view) override {}
  void end_member() override {}
};

struct DeepJob {
  std::string key;
  enum class Kind { segment, partition, other } kind = Kind::other;
  std::optional<pg::SegmentName> segment;
  BackupState* backup = nullptr;
};

// Returns the content hash of what the object decodes to.
std::string check_content(storage::BlobStore& store, const DeepJob& job, const pg::SegmentGeometry& geometry,
                   const codec::ObjectEncoding& encoding) {
  const auto info = store.head(job.key);
  if (!info) throw Error(ErrorKind::not_found, "the object vanished while verify ran");
  NullVisitor visitor;
  archive::TarReader tar(visitor);
  NullSink null;
  pg::SegmentHeadCapture head(null);
  ByteSink& tail = job.kind == DeepJob::Kind::partition ? static_cast<ByteSink&>(tar)
                   : job.kind == DeepJob::Kind::segment ? static_cast<ByteSink&>(head)
                                                        : static_cast<ByteSink&>(null);
  CountingSink counter(tail);
  codec::DigestSink digest(codec::kContentHash, counter);
  decode_object(store, job.key, digest, encoding);
  const auto size = static_cast<std::uint64_t>(counter.count());
  if (job.segment) {
    pg::check_segment_header(*job.segment, head.head(), size);
    if (size != geometry.segment_size())
      throw Error(ErrorKind::corrupt, "it holds " + std::to_string(size) + " bytes, not the archive's segment size " +
                                          std::to_string(geometry.segment_size()));
  }
  const std::string content_hash = codec::to_hex(digest.finish());
  const auto sha = info->metadata.find(std::string(storage::kMetaContentHash));
  if (sha != info->metadata.end() && sha->second != content_hash)
    throw Error(ErrorKind::corrupt, "its content does not match the content hash recorded when it was stored");
  const auto recorded = info->metadata.find(std::string(storage::kMetaSize));
  if (recorded != info->metadata.end() && recorded->second != std::to_string(size))
    throw Error(ErrorKind::corrupt, "it decodes to " + std::to_string(size) + " bytes, not the " + recorded->second + " recorded");
  return content_hash;
}

struct DeepResult {
  std::size_t decoded = 0;
  std::size_t skipped = 0;
};

// Decodes every job's object on kDeepWorkers threads; content_hashes[i]
// gets the content hash of what job i decodes to (empty when it failed).
DeepResult run_deep(storage::BlobStore& store, std::vector<DeepJob>& jobs, const pg::SegmentGeometry& geometry,
                    const codec::ObjectEncoding& encoding, Findings& findings,
                    std::vector<std::string>& content_hashes) {
  std::atomic<std::size_t> next{0}, decoded{0}, skipped{0};
  std::mutex backup_mutex;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      const auto& job = jobs[i];
      try {
        content_hashes[i] = check_content(store, job, geometry, encoding);
        ++decoded;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::transient) {
          std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          next = jobs.size();
          return;
        }
        if (e.kind() == ErrorKind::permanent) {
          ++skipped;
          findings.warn("cannot check " + job.key, e.what());
          continue;
        }
        if (job.backup) {
          std::lock_guard lock(backup_mutex);
          ++job.backup->problems;
        }
        const bool vanished = e.kind() == ErrorKind::not_found;
        findings.add(vanished ? "missing_object" : "damaged_object", job.key,
                     job.key + (vanished ? " is gone: " : " is damaged: ") + e.what(),
                     job.kind == DeepJob::Kind::partition
                         ? "its backup cannot be restored; take a new base backup (wal-e backup-push)"
                         : "if a server still has this file in pg_wal, delete the object and archive it again; "
                           "else recovery stops here: take a new base backup (wal-e backup-push)");
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 1; i < std::min(kDeepWorkers, jobs.size()); ++i) workers.emplace_back(worker);
    worker();
  }
  if (failure) std::rethrow_exception(failure);
  return DeepResult{decoded.load(), skipped.load()};
}

std::vector<DeepJob> deep_jobs(const WalListing& wal, std::map<std::string, BackupState>& backups) {
  std::vector<DeepJob> jobs;
  for (const auto& [tli, names] : wal.segments)
    for (const auto& [position, key] : names)
      jobs.push_back(DeepJob{key, DeepJob::Kind::segment, pg::SegmentName{tli, position.first, position.second}, nullptr});
  for (const auto& [tli, key] : wal.histories) jobs.push_back(DeepJob{key, DeepJob::Kind::other, std::nullopt, nullptr});
  for (const auto& key : wal.other) jobs.push_back(DeepJob{key, DeepJob::Kind::other, std::nullopt, nullptr});
  for (const auto& [name, keys] : wal.copies)
    for (auto key = std::next(keys.begin()); key != keys.end(); ++key) {
      const auto segment = pg::parse_segment_name(name);
      jobs.push_back(DeepJob{*key, segment ? DeepJob::Kind::segment : DeepJob::Kind::other, segment, nullptr});
    }
  for (auto& [name, b] : backups) {
    if (!b.complete()) continue;
    for (const auto& [n, key] : b.partitions) jobs.push_back(DeepJob{key, DeepJob::Kind::partition, std::nullopt, &b});
  }
  return jobs;
}

// A WAL file under two suffixes (stored before and after a change of
// WALE_COMPRESSION by a version that did not look for other suffixes, or
// by hand): harmless when the copies hold the same content, which --deep
// proves; a finding when they differ, since which one a restore reads
// depends on the reader's configured compression.
void report_copies(const WalListing& wal, const std::map<std::string, std::string>& content_hashes, bool deep,
                   Findings& findings) {
  for (const auto& [name, keys] : wal.copies) {
    std::string list;
    std::set<std::string> contents;
    bool all_decoded = true;
    for (const auto& key : keys) {
      list += (list.empty() ? "" : ", ") + key;
      const auto it = content_hashes.find(key);
      if (it == content_hashes.end()) all_decoded = false;
      else contents.insert(it->second);
    }
    if (contents.size() > 1) {
      findings.add("conflicting_copies", keys.front(), "WAL file " + name + " is stored twice with different content: " + list,
                   "wal-fetch reads the copy of its configured compression first; delete the copy that does not match "
                   "the server's pg_wal, or take a new base backup");
    } else if (!deep || !all_decoded) {
      findings.warn("WAL file " + name + " is stored under more than one suffix: " + list,
                    "wal-fetch reads the copy of its configured compression first; 'wal-e verify --deep' compares them.");
    }
  }
}

// --- the verdict -------------------------------------------------------------------

std::string counted(std::size_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

struct GapFinding {
  archive::GapRange range;
  std::size_t needed = 0;  // segments of it a restore needs
};

// Reports each gap marker whose segments a restore needs.
std::vector<GapFinding> report_gaps(storage::BlobStore& store, const WalListing& wal, WalCheck& chain, Findings& findings) {
  std::vector<GapFinding> out;
  for (const auto& [key, range] : wal.gaps) {
    const std::size_t needed = chain.explain_gap(range);
    out.push_back(GapFinding{range, needed});
    if (needed == 0) continue;
    std::string how = "wal-ed's drop policy (WALE_DROP_WAL_ABOVE) reported them archived without storing them";
    try {
      StringSink text;
      store.get(key, text);
      const auto gap = archive::decode_gap(text.data());
      how += " (" + std::to_string(gap.segments) + " segments, dropped " + gap.first_dropped_at + " to " + gap.last_dropped_at +
             (gap.host.empty() ? "" : " on " + gap.host) + ")";
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::transient) throw;
    }
    findings.add("wal_gap", key, archive::gap_message(range.first, range.last),
                 how + "; backups taken before it restore only up to " + range.first.str() +
                     ", so take a new base backup (wal-e backup-push)");
  }
  return out;
}

std::string json_report(bool sound, const std::map<std::string, BackupState>& backups, const std::vector<std::string>& missing_wal,
                        const std::vector<GapFinding>& gaps, std::vector<Problem> problems, std::size_t checked,
                        const std::optional<DeepResult>& deep) {
  using Json = nlohmann::ordered_json;
  Json out;
  out["sound"] = sound;
  Json list = Json::array();
  for (const auto& [name, b] : backups) {
    Json j;
    j["name"] = name;
    j["complete"] = b.complete();
    j["restorable"] = b.complete() && b.problems == 0;
    j["partitions"] = b.partitions.size();
    j["wal_segment_backup_start"] = b.name.start.str();
    j["wal_segment_backup_stop"] = b.sentinel ? Json(b.sentinel->stop_segment) : Json(nullptr);
    list.push_back(std::move(j));
  }
  out["backups"] = std::move(list);
  out["missing_wal"] = missing_wal;
  Json gap_list = Json::array();
  for (const auto& g : gaps)
    gap_list.push_back(Json{{"first_segment", g.range.first.str()}, {"last_segment", g.range.last.str()}, {"affects_restore", g.needed > 0},
                            {"message", archive::gap_message(g.range.first, g.range.last)}});
  out["gaps"] = std::move(gap_list);
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) { return a.key < b.key; });
  Json ps = Json::array();
  for (const auto& p : problems) ps.push_back(Json{{"kind", p.kind}, {"key", p.key}, {"detail", p.detail}});
  out["problems"] = std::move(ps);
  out["checked_objects"] = checked;
  out["decoded_objects"] = deep ? Json(deep->decoded) : Json(nullptr);
  return out.dump(2) + "\n";
}

}  // namespace

int verify_command(CommandContext& ctx, storage::BlobStore& store) {
  const bool deep = ctx.cmd.get_flag("deep");
  const codec::ObjectEncoding encoding = encoding_of(ctx.cmd);
  Findings findings(ctx.log, store.url());
  std::size_t objects = 0;

  auto backups = scan_backups(store, objects);
  const auto wal = scan_wal(store, objects);
  for (auto& [name, b] : backups) {
    if (b.has_sentinel) read_sentinel(store, b, findings);
    check_backup(b, findings);
  }
  const bool any_complete = std::any_of(backups.begin(), backups.end(), [](const auto& e) { return e.second.complete(); });
  if (!any_complete)
    findings.add("no_backup", std::string(archive::kBackupDirectory), "the archive holds no complete base backup",
                 "nothing can be restored from it; take one with 'wal-e backup-push'");

  const auto geometry = wal.segments.empty() ? pg::SegmentGeometry() : segment_geometry(store, wal, findings, encoding);
  WalCheck chain(store, wal, geometry, findings, encoding);
  std::string range_text = "no WAL segments";
  if (chain.any()) {
    // The newest timeline's chain, from the oldest backup leading to it.
    const auto target = chain.newest_timeline();
    const auto& coverage = chain.coverage(target);
    std::optional<std::uint64_t> from;
    for (const auto& [name, b] : backups)
      if (b.complete() && coverage.leads_here(b.name.start.timeline, chain.number(b.name.start), geometry))
        from = std::min(from.value_or(std::numeric_limits<std::uint64_t>::max()), chain.number(b.name.start));
    const auto to = chain.newest_segment(target);
    range_text = "not checked: no complete backup leads to timeline " + std::to_string(target);
    if (from && *from <= to) {
      chain.check_range(*from, to, coverage);
      range_text = geometry.from_number(target, *from).str() + " through " + geometry.from_number(target, to).str() +
                   " (timeline " + std::to_string(target) + ")";
    }
  }
  // Each backup's own WAL up to its stop segment, on its own timeline's chain.
  for (auto& [name, b] : backups) {
    if (!b.complete()) continue;
    const auto stop = pg::parse_segment_name(b.sentinel->stop_segment);
    if (!stop || !geometry.fits(*stop) || !geometry.fits(b.name.start)) continue;
    const auto from = chain.number(b.name.start), to = chain.number(*stop);
    if (from <= to) b.problems += chain.check_range(from, to, chain.coverage(stop->timeline));
  }
  const auto gaps = report_gaps(store, wal, chain, findings);
  const auto missing_wal = chain.report_missing();

  std::optional<DeepResult> deep_result;
  std::map<std::string, std::string> content_hashes;  // by key, of the objects --deep decoded
  if (deep) {
    auto jobs = deep_jobs(wal, backups);
    std::vector<std::string> hashes(jobs.size());
    deep_result = run_deep(store, jobs, geometry, encoding, findings, hashes);
    for (std::size_t i = 0; i < jobs.size(); ++i)
      if (!hashes[i].empty()) content_hashes.emplace(jobs[i].key, hashes[i]);
  }
  report_copies(wal, content_hashes, deep, findings);

  const bool sound = findings.count() == 0;
  const auto complete = static_cast<std::size_t>(
      std::count_if(backups.begin(), backups.end(), [](const auto& e) { return e.second.complete(); }));
  std::string detail = counted(complete, "complete base backup") + "; WAL " + range_text + "; " + counted(objects, "object") + " listed";
  if (deep_result) detail += ", " + std::to_string(deep_result->decoded) + " decoded";
  if (deep_result && deep_result->skipped) detail += ", " + std::to_string(deep_result->skipped) + " not readable by this version";
  ctx.log.write(LogRecord{Level::info, kLogger,
                          sound ? "the archive is sound" : "the archive has " + counted(findings.count(), "problem"),
                          detail + ".", sound ? "" : "Each problem is logged above with what to do about it.", {}});
  if (ctx.cmd.get_flag("json"))
    ctx.out(json_report(sound, backups, missing_wal, gaps, findings.problems(), objects, deep_result));
  return sound ? proto::kExitOk : proto::kExitFailure;
}

}  // namespace wale::command
