// delete [--dry-run|--confirm] before NAME | retain N | everything |
// old-versions, as WAL-E does it (spec §6.7): a dry run unless --confirm is
// given without --dry-run; every key is logged as it is chosen; keys go to
// the store in batches of up to 1000, and absent keys are not an error, so
// that deletes are idempotent and two of them may run at once.
//
// Which keys are old: WAL-E compares the timeline-agnostic segment number
// int(LOG + SEG, 16) of a key with that of a horizon backup's start segment
// and deletes what is strictly below it, on every timeline; history files
// are never deleted. WAL any retained backup needs lies at or after its
// start segment, and recovery reaches it through history files, so this
// keeps the WAL of every retained backup across timelines. (It can keep
// more than needed: the segments of abandoned timelines after the horizon.)
#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "common/archive/backup_catalog.hpp"
#include "common/archive/layout.hpp"
#include "common/archive/wal_gap.hpp"
#include "common/command/commands.hpp"
#include "common/core/error.hpp"
#include "common/pg/wal_name.hpp"
#include "proto/exit_status.hpp"

namespace wale::command {
namespace {

constexpr const char* kLogger = "wal_e.worker.base";
constexpr std::size_t kBatchSize = 1000;  // S3's multi-delete maximum
constexpr const char* kWeirdKeyHint =
    "This means an unexpected key was found in a WAL-E prefix.  It can be harmless, or the result a bug or misconfiguration.";
// WAL-E's obsolete layouts; "0" is the unpadded first one (spec §2.9).
constexpr std::string_view kObsoleteVersions[] = {"004", "003", "002", "001", "000", "0"};

struct Candidate {
  std::string key;
  const char* kind;
};

// Logs each key as WAL-E does and, unless this is a dry run, removes the
// keys in batches.
class Deleter {
 public:
  Deleter(Log& log, storage::BlobStore& store, bool dry_run) : log_(log), store_(store), dry_run_(dry_run) {}

  void add(const Candidate& c) {
    LogRecord r{Level::info, kLogger, std::string("deleting ") + c.kind,
                "The key being deleted is " + store_.url().url_for(c.key) + ".", {}, {}};
    if (dry_run_) r.hint = "This is only a dry run -- no actual data is being deleted";
    log_.write(r);
    if (dry_run_) return;
    batch_.push_back(c.key);
    if (batch_.size() == kBatchSize) flush();
  }

  void flush() {
    if (batch_.empty()) return;
    store_.remove(batch_);
    batch_.clear();
  }

 private:
  Log& log_;
  storage::BlobStore& store_;
  bool dry_run_;
  std::vector<std::string> batch_;
};

class Sweeper {
 public:
  Sweeper(Log& log, storage::BlobStore& store) : log_(log), store_(store) {}

  // Base-backup keys older than the horizon: sentinels, extended_version.txt
  // and partitions of complete and incomplete backups alike.
  std::vector<Candidate> backups_before(std::uint64_t horizon) {
    std::vector<Candidate> out;
    const std::string dir(archive::kBackupDirectory);
    store_.list(dir, [&](storage::ObjectInfo&& info) {
      const std::string_view rest = std::string_view(info.key).substr(dir.size());
      const auto parts = split(rest);
      std::optional<archive::BackupName> name;
      const char* kind = nullptr;
      const char* shape = nullptr;
      if (parts.size() == 1) {
        shape = "the base-backup sentinel pattern";
        name = archive::parse_sentinel_name(parts[0]);
        kind = "a base backup sentinel file";
      } else if (parts.size() == 2) {
        shape = "the extended-version backup pattern";
        if (parts[1] == "extended_version.txt") name = archive::parse_backup_name(parts[0]);
        kind = "a extended version metadata file";  // sic, as WAL-E logs it
      } else if (parts.size() == 3) {
        shape = "the base-backup partition pattern";
        if (parts[1] == "tar_partitions") name = archive::parse_backup_name(parts[0]);
        kind = "a base backup volume";
      } else {
        return skip(info.key, "to be at an unexpected depth");
      }
      if (!name) return skip(info.key, std::string("not to match ") + shape);
      if (name->start.log_and_segment() < horizon) out.push_back(Candidate{std::move(info.key), kind});
    });
    return sentinels_first(std::move(out));
  }

  // WAL segments and backup history files older than the horizon. History
  // files carry no position and are always kept; .partial files are kept
  // with a warning, as WAL-E keeps them.
  std::vector<Candidate> wal_before(std::uint64_t horizon) {
    std::vector<Candidate> out;
    const std::string dir(archive::kWalDirectory);
    store_.list(dir, [&](storage::ObjectInfo&& info) {
      if (std::string_view(info.key).substr(dir.size()).find('/') != std::string_view::npos)
        return skip(info.key, "to be at an unexpected depth");
      // A gap marker goes once the whole gap lies before the horizon.
      if (const auto gap = archive::parse_gap_key(info.key)) {
        if (gap->last.log_and_segment() < horizon) out.push_back(Candidate{std::move(info.key), "a wal gap record"});
        return;
      }
      const auto object = archive::parse_wal_key(info.key);
      const auto file = object ? pg::parse_wal_file_name(object->file_name) : std::nullopt;
      if (!file) return skip(info.key, "not to match the WAL file naming pattern");
      switch (file->kind) {
        case pg::WalFileKind::history: return;
        case pg::WalFileKind::partial:
          return skip(info.key, "to be a partial segment left by a promotion, which only 'delete everything' removes");
        case pg::WalFileKind::segment:
          if (file->segment.log_and_segment() < horizon) out.push_back(Candidate{std::move(info.key), "a wal file"});
          return;
        case pg::WalFileKind::backup_history:
          if (file->segment.log_and_segment() < horizon) out.push_back(Candidate{std::move(info.key), "a backup history file"});
          return;
      }
    });
    return out;
  }

  // Every key under a directory, whatever its name.
  std::vector<Candidate> everything_under(const std::string& dir, const char* kind) {
    std::vector<Candidate> out;
    store_.list(dir, [&](storage::ObjectInfo&& info) { out.push_back(Candidate{std::move(info.key), kind}); });
    return sentinels_first(std::move(out));
  }

 private:
  static std::vector<std::string_view> split(std::string_view rest) {
    std::vector<std::string_view> parts;
    for (std::size_t slash; (slash = rest.find('/')) != std::string_view::npos; rest.remove_prefix(slash + 1))
      parts.push_back(rest.substr(0, slash));
    parts.push_back(rest);
    return parts;
  }

  // A sentinel is what makes a backup visible: deleting it first means an
  // interrupted delete leaves an incomplete backup (which the next delete
  // removes), never a listed backup whose partitions are gone.
  static std::vector<Candidate> sentinels_first(std::vector<Candidate> keys) {
    std::stable_partition(keys.begin(), keys.end(), [](const Candidate& c) {
      const std::string_view k = c.key;
      return k.ends_with(archive::kSentinelSuffix) && k.find('/') == k.rfind('/');
    });
    return keys;
  }

  void skip(const std::string& key, const std::string& why) {
    log_.warning(kLogger, "skipping non-qualifying key in 'delete before'",
                 "The unexpected key is \"" + store_.url().url_for(key) + "\", and it appears " + why + ".", kWeirdKeyHint);
  }

  Log& log_;
  storage::BlobStore& store_;
};

struct UsageProblem {
  std::string text;
};

[[noreturn]] void usage(const std::string& text) { throw UsageProblem{text}; }

const std::string& argument(const CommandContext& ctx, const std::string& target) {
  if (ctx.cmd.positionals.size() < 2) usage("wal-e delete " + target + " needs an argument");
  return ctx.cmd.positionals[1];
}

void no_argument(const CommandContext& ctx, const std::string& target) {
  if (ctx.cmd.positionals.size() > 1) usage("wal-e delete " + target + " takes no argument, not '" + ctx.cmd.positionals[1] + "'");
}

std::uint64_t retain_count(const std::string& text) {
  std::uint64_t n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size())
    usage("wal-e delete retain wants a number of backups (0 or more), not '" + text + "'");
  return n;
}

// before accepts only a base backup name; WAL-E's help promises a WAL
// segment too, but it then dies on an assertion.
archive::BackupName horizon_backup(const std::string& text) {
  if (auto name = archive::parse_backup_name(text)) return *name;
  if (pg::parse_segment_name(text))
    throw Error(ErrorKind::usage, "wal-e delete before takes a base backup name, not the WAL segment name '" + text +
                                      "'; name the backup whose older data should go, e.g. base_" + text +
                                      "_00000040 ('wal-e backup-list' lists them)");
  throw Error(ErrorKind::usage, "wal-e delete before: '" + text +
                                    "' is not a base backup name such as base_000000010000000000000002_00000040 "
                                    "('wal-e backup-list' lists them)");
}

void delete_before(Sweeper& sweeper, Deleter& deleter, std::uint64_t horizon) {
  // Backups first: an interrupted delete then never leaves a backup without
  // the WAL it needs.
  for (const auto& c : sweeper.backups_before(horizon)) deleter.add(c);
  deleter.flush();
  for (const auto& c : sweeper.wal_before(horizon)) deleter.add(c);
  deleter.flush();
}

// WAL-E's retention: backups by start segment number, newest first (the
// listing order breaks ties); the horizon is the N-th newest, or the oldest
// when there are N or fewer.
std::optional<archive::BackupEntry> retention_horizon(CommandContext& ctx, storage::BlobStore& store, std::uint64_t keep) {
  auto backups = archive::list_backups(store);
  std::stable_sort(backups.begin(), backups.end(),
                   [](const auto& a, const auto& b) { return a.name.start.log_and_segment() > b.name.start.log_and_segment(); });
  const auto total = backups.size();
  LogRecord r{Level::info, kLogger, "", "", "", {}};
  std::optional<archive::BackupEntry> horizon;
  if (total == 0) {
    r.msg = "Not deleting any data.";
    r.detail = "No existing base backups.";
  } else if (keep == 0) {
    // WAL-E indexes with N-1 = -1, i.e. the oldest backup, while announcing
    // that it deletes them all; say what really happens.
    horizon = backups.back();
    r.msg = total == 1 ? "Retaining existing base backup." : "Retaining all " + std::to_string(total) + " base backups.";
    r.detail = "retain 0 keeps the oldest base backup and deletes only older data, as WAL-E does; "
               "'wal-e delete everything' deletes all backups.";
  } else if (total <= keep) {
    horizon = backups.back();
    r.msg = total == 1 ? "Retaining existing base backup." : "Retaining all " + std::to_string(total) + " base backups.";
  } else {
    horizon = backups[static_cast<std::size_t>(keep - 1)];
    r.msg = "Deleting " + std::to_string(total - keep) + " oldest base backups.";
    r.detail = "Found " + std::to_string(total) + " total base backups.";
  }
  if (horizon) r.hint = "Deleting keys older than " + store.url().url_for(archive::sentinel_key(horizon->name)) + ".";
  ctx.log.write(r);
  return horizon;
}

void warn_if_not_a_backup(CommandContext& ctx, storage::BlobStore& store, const archive::BackupName& name) {
  for (const auto& b : archive::list_backups(store))
    if (b.name.str() == name.str()) return;
  ctx.log.warning(kLogger, "no complete base backup is named " + name.str(),
                  "Data older than its start segment " + name.start.str() + " is deleted anyway, as WAL-E does.",
                  "Check the name with 'wal-e backup-list'.");
}

int run_delete(CommandContext& ctx, storage::BlobStore& store) {
  if (ctx.cmd.positionals.empty()) usage("wal-e delete needs a target: before NAME, retain N, everything or old-versions");
  const std::string& target = ctx.cmd.positionals[0];
  // Check the whole command line before saying anything about deleting.
  std::optional<archive::BackupName> before;
  std::uint64_t keep = 0;
  if (target == "before") {
    before = horizon_backup(argument(ctx, target));
  } else if (target == "retain") {
    keep = retain_count(argument(ctx, target));
  } else if (target == "everything" || target == "old-versions") {
    no_argument(ctx, target);
  } else {
    usage("wal-e delete: unknown target '" + target + "'; use before NAME, retain N, everything or old-versions");
  }

  // Data goes only with --confirm, and --dry-run wins over it.
  const bool dry_run = !ctx.cmd.get_flag("confirm") || ctx.cmd.get_flag("dry_run");
  ctx.log.info("wal_e.main", dry_run ? "performing dry run of data deletion" : "deleting data in the store");
  Sweeper sweeper(ctx.log, store);
  Deleter deleter(ctx.log, store, dry_run);
  if (before) {
    warn_if_not_a_backup(ctx, store, *before);
    delete_before(sweeper, deleter, before->start.log_and_segment());
  } else if (target == "retain") {
    if (const auto horizon = retention_horizon(ctx, store, keep)) delete_before(sweeper, deleter, horizon->name.start.log_and_segment());
  } else {
    std::vector<std::string> versions{"005"};
    if (target == "old-versions") versions.assign(std::begin(kObsoleteVersions), std::end(kObsoleteVersions));
    for (const auto& v : versions) {
      for (const auto& c : sweeper.everything_under("basebackups_" + v + "/", "part of a base backup")) deleter.add(c);
      deleter.flush();
      for (const auto& c : sweeper.everything_under("wal_" + v + "/", "part of wal logs")) deleter.add(c);
      deleter.flush();
    }
  }
  return proto::kExitOk;
}

}  // namespace

int delete_command(CommandContext& ctx, storage::BlobStore& store) {
  try {
    return run_delete(ctx, store);
  } catch (const UsageProblem& p) {
    // A malformed command line, which WAL-E's argparse rejects with 2.
    log_failure(ctx.log, p.text + "; see 'wal-e delete --help'");
    return proto::kExitUsage;
  }
}

}  // namespace wale::command
