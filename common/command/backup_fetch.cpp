// backup-fetch DIR NAME|LATEST: restores a base backup (spec §6.6) into an
// empty directory, partitions downloaded and extracted in parallel, each
// streamed through lzop and tar straight into place. Tablespaces go through
// existing pg_tblspc links, the links a --restore-spec describes, or
// (--blind-restore) inside pg_tblspc. The result is ready for recovery with
// restore_command = 'wal-e wal-fetch %f %p'.
#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/archive/backup_catalog.hpp"
#include "common/archive/restore_writer.hpp"
#include "common/archive/sentinel.hpp"
#include "common/archive/tar.hpp"
#include "common/codec/object_codec.hpp"
#include "common/command/commands.hpp"
#include "common/command/progress.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "common/core/retry.hpp"
#include "common/pg/data_directory.hpp"

namespace wale::command {
namespace {

std::string without_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

std::string link_target(const std::string& link) {
  char buf[4096];
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) throw_system_error("cannot read the link " + link);
  std::string target(buf, static_cast<std::size_t>(n));
  if (!target.starts_with('/')) target = dirname_of(link) + "/" + target;
  return without_slash(lexically_join("/", target));
}

// A restore goes into an empty directory (a deliberate deviation from
// WAL-E, which extracts over whatever is there). Prepared tablespace links
// in pg_tblspc, pointing at empty directories, and lost+found are allowed.
void require_empty_target(const std::string& base) {
  struct stat st {};
  if (::stat(base.c_str(), &st) != 0) return;  // created below
  if (!S_ISDIR(st.st_mode)) throw Error(ErrorKind::usage, base + " exists and is not a directory; give an empty directory");
  if (::stat((base + "/postmaster.pid").c_str(), &st) == 0)
    throw Error(ErrorKind::usage, "attempting to overwrite a live data directory: " + base + " has a postmaster.pid");
  const bool only_links = [&] {
    if (pg::directory_is_empty(base)) return true;
    // Anything but lost+found and pg_tblspc holding links to empty directories?
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(base.c_str()), ::closedir);
    if (!d) return false;
    while (const dirent* e = ::readdir(d.get())) {
      const std::string_view n = e->d_name;
      if (n == "." || n == ".." || n == "lost+found") continue;
      if (n != "pg_tblspc") return false;
    }
    std::unique_ptr<DIR, int (*)(DIR*)> t(::opendir((base + "/pg_tblspc").c_str()), ::closedir);
    if (!t) return false;
    while (const dirent* e = ::readdir(t.get())) {
      const std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      const std::string link = base + "/pg_tblspc/" + std::string(n);
      if (!is_symlink(link) || !is_directory(link) || !pg::directory_is_empty(link)) return false;
    }
    return true;
  }();
  if (!only_links)
    throw Error(ErrorKind::usage, base + " is not empty; backup-fetch restores into an empty directory only (lost+found and "
                                         "prepared pg_tblspc links to empty directories aside)");
}

archive::RestoreLayout plan_layout(const CommandContext& ctx, const std::string& target, const archive::Sentinel& sentinel) {
  const archive::RestoreSpec recorded = sentinel.spec.value_or(archive::RestoreSpec{});
  archive::RestoreLayout layout;
  const bool blind = ctx.cmd.get_flag("blind_restore");
  if (ctx.cmd.has("restore_spec")) {
    const std::string source = ctx.cmd.get("restore_spec");
    archive::RestoreSpec spec = recorded;
    if (source != "SOURCE") {
      std::ifstream in(lexically_join(ctx.cwd, source));
      if (!in) throw Error(ErrorKind::usage, "cannot read the restore specification " + source);
      std::stringstream text;
      text << in.rdbuf();
      spec = archive::merge_restore_spec(recorded, text.str());
    } else if (!sentinel.spec) {
      throw Error(ErrorKind::usage, "--restore-spec SOURCE: this backup's sentinel records no restore specification");
    }
    // As in WAL-E, a recorded or given base_prefix wins over the command line.
    layout.base = spec.base_prefix.empty() ? target : without_slash(spec.base_prefix);
    require_empty_target(layout.base);
    make_directories(layout.base + "/pg_tblspc", 0700);
    for (const auto& t : spec.tablespaces) {
      if (t.location.empty()) throw Error(ErrorKind::usage, "the restore specification gives no location for tablespace " + t.oid);
      const std::string location = without_slash(t.location);
      make_directories(location, 0700);
      if (!pg::directory_is_empty(location))
        throw Error(ErrorKind::usage, "the location " + location + " of tablespace " + t.oid + " is not empty");
      const std::string link = layout.base + "/" + t.link;
      if (!is_symlink(link) && ::symlink(location.c_str(), link.c_str()) != 0) throw_system_error("cannot create the link " + link);
      layout.tablespaces[t.oid] = location;
    }
    return layout;
  }
  layout.base = target;
  require_empty_target(layout.base);
  make_directories(layout.base, 0700);
  if (blind) return layout;  // tablespaces land in pg_tblspc/<oid> as directories
  std::string missing;
  for (const auto& t : recorded.tablespaces) {
    const std::string link = layout.base + "/pg_tblspc/" + t.oid;
    if (!is_symlink(link) || !is_directory(link)) {
      missing += (missing.empty() ? "" : ", ") + link;
      continue;
    }
    layout.tablespaces[t.oid] = link_target(link);
  }
  if (!missing.empty())
    throw Error(ErrorKind::usage, "Symlinks for some tablespaces not found or created: " + missing +
                                      "; create them (pointing at empty directories), or use --restore-spec or --blind-restore");
  return layout;
}

// Tablespaces restored blind are directories inside pg_tblspc, which
// PostgreSQL 15 accepts only with allow_in_place_tablespaces (otherwise
// recovery PANICs on "unexpected directory entry").
void allow_tablespaces_in_place(const CommandContext& ctx, const std::string& base) {
  const std::string dir = base + "/pg_tblspc";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  bool any = false;
  while (d && !any) {
    const dirent* e = ::readdir(d.get());
    if (e == nullptr) break;
    const std::string_view n = e->d_name;
    any = n != "." && n != ".." && is_directory(dir + "/" + std::string(n)) && !is_symlink(dir + "/" + std::string(n));
  }
  if (!any) return;
  std::ifstream version_file(base + "/PG_VERSION");
  int major = 0;
  version_file >> major;
  if (major < 15) {
    ctx.log.warning("wal_e.operator.backup", "tablespaces were restored inside pg_tblspc",
                    "Set allow_in_place_tablespaces = on if this PostgreSQL release has it.");
    return;
  }
  const std::string conf = base + "/postgresql.auto.conf";
  UniqueFd fd = open_file(conf, O_WRONLY | O_APPEND | O_CREAT, 0600);
  write_all(fd.get(), "# added by wal-e backup-fetch --blind-restore: tablespaces are restored inside pg_tblspc\n"
                      "allow_in_place_tablespaces = on\n", conf);
  fsync_fd(fd.get(), conf);
  ctx.log.info("wal_e.operator.backup", "tablespaces were restored inside pg_tblspc",
               "Added allow_in_place_tablespaces = on to postgresql.auto.conf so that PostgreSQL accepts them.");
}

}  // namespace

int backup_fetch(CommandContext& ctx, storage::BlobStore& store) {
  const std::string target = without_slash(lexically_join(ctx.cwd, ctx.cmd.positionals.at(0)));
  const std::string& query = ctx.cmd.positionals.at(1);
  const codec::ObjectEncoding encoding = encoding_of(ctx.cmd);
  const auto backups = archive::list_backups(store);
  std::optional<archive::BackupEntry> backup;
  try {
    backup = archive::select_backup(backups, query);
  } catch (const Error& e) {
    throw Error(ErrorKind::permanent, e.what());
  }
  if (!backup) {
    if (query == "LATEST") throw Error(ErrorKind::permanent, "no backups found for fetching in " + store.url().url_for(""));
    throw Error(ErrorKind::permanent, "backup " + query + " does not exist in " + store.url().url_for("") +
                                          "; 'wal-e backup-list' shows the backups there");
  }
  const archive::BackupName name = backup->name;
  const auto sentinel = archive::fetch_sentinel(store, name);
  const auto partitions = archive::list_partitions(store, name);
  if (partitions.empty()) throw Error(ErrorKind::corrupt, "backup " + name.str() + " has a sentinel but no partitions");

  archive::RestoreTarget restore(plan_layout(ctx, target, sentinel));
  ctx.log.info("wal_e.operator.backup", "restoring base backup",
               "Restoring " + name.str() + " (" + std::to_string(partitions.size()) + " partitions) into " +
                   restore.layout().base + ".",
               {{"backup", name.str()}});
  Progress progress(ctx.log, "restore of " + name.str(), sentinel.expanded_size_bytes, ctx.progress_bar);
  RetryPolicy policy;
  policy.max_attempts = static_cast<int>(ctx.cmd.get_number("retries"));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex failure_mutex;
  std::string failure;
  auto worker = [&] {
    for (std::size_t i; !failed.load() && (i = next.fetch_add(1)) < partitions.size();) {
      try {
        // A retried partition is extracted again from its start; files are
        // rewritten, so the result is the same.
        retry_transient(policy, ctx.log, "download of " + partitions[i], [&] {
          archive::PartitionExtractor extractor(restore);
          archive::TarReader tar(extractor);
          // list_partitions only returns keys with a compression suffix.
          const auto limit = archive::decode_limit(partitions[i]);
          codec::ObjectDecoder decoder(tar, encoding, *archive::compression_of_key(partitions[i]), limit.bytes, limit.reason);
          store.get(partitions[i], decoder.input());
          decoder.input().close();
          progress.add(extractor.bytes());
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(failure_mutex);
        if (!failed.exchange(true)) failure = partitions[i] + ": " + e.what();
      }
    }
  };
  const auto pool = static_cast<std::size_t>(ctx.cmd.get_number("pool_size"));
  std::vector<std::jthread> workers;
  for (std::size_t i = 1; i < std::min(pool, partitions.size()); ++i) workers.emplace_back(worker);
  worker();
  workers.clear();
  progress.finish();
  if (failed) throw Error(ErrorKind::permanent, "restore of " + name.str() + " failed: " + failure);
  restore.finish();
  if (ctx.cmd.get_flag("blind_restore") && !ctx.cmd.has("restore_spec")) allow_tablespaces_in_place(ctx, restore.layout().base);
  ctx.log.info("wal_e.operator.backup", "base backup restored",
               restore.layout().base + " holds " + name.str() + "; add postgresql.conf, pg_hba.conf and pg_ident.conf, " +
                   "restore_command = 'wal-e wal-fetch %f %p' and recovery.signal, then start PostgreSQL.",
               {{"backup", name.str()}});
  return 0;
}

}  // namespace wale::command
