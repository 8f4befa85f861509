// backup-push DATADIR: a base backup in WAL-E's format (spec §2.2-2.7,
// §3, §6.5). The data directory is read once, streamed through tar and
// lzop straight into the store (no temporary files), partitions in
// parallel; the sentinel is written last, after PostgreSQL confirmed the
// end of the backup, so an interrupted backup is never listed.
#include <atomic>
#include <ctime>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/archive/layout.hpp"
#include "common/archive/sentinel.hpp"
#include "common/archive/tar.hpp"
#include "common/codec/object_codec.hpp"
#include "common/command/commands.hpp"
#include "common/command/progress.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "common/core/rate_limiter.hpp"
#include "common/pg/backup_session.hpp"
#include "common/pg/control_data.hpp"
#include "common/pg/data_directory.hpp"

namespace wale::command {
namespace {

constexpr std::size_t kReadChunk = 1 << 20;

std::string utc_label() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "freeze_start_%Y-%m-%dT%H:%M:%S.000000+00:00", &tm);
  return buf;
}

archive::TarMember member_of(const pg::ScannedEntry& e) {
  archive::TarMember m;
  m.name = e.name;
  m.mode = e.mode;
  m.uid = e.uid;
  m.gid = e.gid;
  m.mtime = e.mtime;
  m.mtime_nsec = e.mtime_nsec;
  switch (e.kind) {
    case pg::ScannedEntry::Kind::directory: m.type = archive::TarMember::Type::directory; break;
    case pg::ScannedEntry::Kind::symlink:
      m.type = archive::TarMember::Type::symlink;
      m.link_target = e.link_target;
      break;
    case pg::ScannedEntry::Kind::file:
      m.type = archive::TarMember::Type::file;
      m.size = e.size;
      break;
  }
  return m;
}

// Copies exactly the scan-time size of a file into the tar stream: a file
// that grew is cut, one that shrank is padded with zeros; WAL replay from
// the backup's start repairs both, as PostgreSQL expects of a base backup.
// A file that vanished is left out (false).
bool archive_file(archive::TarWriter& tar, const pg::ScannedEntry& entry, RateLimiter& limiter, Progress& progress,
                  std::string& buffer) {
  const int fd = ::open(entry.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw_system_error("cannot read " + entry.path);
  }
  UniqueFd guard(fd);
  tar.add(member_of(entry));
  std::uint64_t left = entry.size;
  while (left > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
    limiter.acquire(want);
    const ssize_t n = ::read(fd, buffer.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("cannot read " + entry.path);
    }
    if (n == 0) {
      std::fill(buffer.begin(), buffer.end(), '\0');
      while (left > 0) {
        const std::size_t pad = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
        tar.write_data(std::string_view(buffer.data(), pad));
        left -= pad;
      }
      break;
    }
    tar.write_data(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    left -= static_cast<std::uint64_t>(n);
    progress.add(static_cast<std::uint64_t>(n));
  }
  tar.end_member();
  return true;
}

void upload_partition(storage::BlobStore& store, const std::string& key, const codec::ObjectEncoding& encoding,
                      const pg::DataDirectoryScan& scan, const pg::Partition& partition, RateLimiter& limiter,
                      Progress& progress, const std::atomic<bool>& cancelled) {
  auto writer = store.open_writer(key, {});
  codec::ObjectEncoder encoder(*writer, encoding);
  archive::TarWriter tar(encoder.input());
  std::string buffer(kReadChunk, '\0');
  for (const std::size_t index : partition.members) {
    if (cancelled.load()) throw Error(ErrorKind::permanent, "cancelled after another partition failed");
    const auto& entry = scan.entries[index];
    if (entry.kind == pg::ScannedEntry::Kind::file) {
      archive_file(tar, entry, limiter, progress, buffer);
      continue;
    }
    tar.add(member_of(entry));
    tar.end_member();
  }
  tar.close();  // closes the compressor, which closes (commits) the store writer
}

// The extra last partition holding backup_label (and tablespace_map): on
// PostgreSQL 15 they are not in the data directory, but a restore needs
// them at its root, as WAL-E's PostgreSQL 15 fixtures have them.
void upload_label_partition(storage::BlobStore& store, const std::string& key, const codec::ObjectEncoding& encoding,
                            const pg::BackupStop& stop) {
  auto writer = store.open_writer(key, {});
  codec::ObjectEncoder encoder(*writer, encoding);
  archive::TarWriter tar(encoder.input());
  auto add = [&](const std::string& name, const std::string& text) {
    archive::TarMember m;
    m.name = name;
    m.mode = 0600;
    m.uid = ::geteuid();
    m.gid = ::getegid();
    m.mtime = std::time(nullptr);
    m.size = text.size();
    tar.add(m);
    tar.write_data(text);
    tar.end_member();
  };
  add("backup_label", stop.label_file);
  if (!stop.tablespace_map.empty()) add("tablespace_map", stop.tablespace_map);
  tar.close();
}

std::string absolute_data_dir(const CommandContext& ctx) {
  std::string dir = lexically_join(ctx.cwd, ctx.cmd.positionals.at(0));
  char resolved[4096];
  if (::realpath(dir.c_str(), resolved) != nullptr) dir = resolved;
  return dir;
}

void put_text(storage::BlobStore& store, const std::string& key, const std::string& text, const std::string& type) {
  storage::PutOptions options;
  options.content_type = type;
  store.put(key, text, options);
}

}  // namespace

int backup_push(CommandContext& ctx, storage::BlobStore& store) {
  const std::string data_dir = absolute_data_dir(ctx);
  const bool offline = ctx.cmd.get_flag("while_offline");
  const codec::ObjectEncoding encoding = encoding_of(ctx.cmd);
  const auto pool = static_cast<std::size_t>(ctx.cmd.get_number("pool_size"));
  RateLimiter limiter(ctx.cmd.has("cluster_read_rate_limit") ? static_cast<std::uint64_t>(ctx.cmd.get_number("cluster_read_rate_limit")) : 0);

  // Refuse what is not a cluster before touching the server or the store.
  pg::scan_data_directory(data_dir).entries.clear();
  struct stat st {};
  const bool running = ::stat((data_dir + "/postmaster.pid").c_str(), &st) == 0;
  if (offline && running)
    throw Error(ErrorKind::usage, data_dir + " has a postmaster.pid: the cluster is running; --while-offline backs up stopped clusters only");

  std::unique_ptr<pg::BackupSession> session;
  archive::BackupName name;
  std::string version_text;
  if (offline) {
    const auto control = pg::read_control_data(data_dir);
    if (control.state != "shut down" && control.state != "shut down in recovery")
      throw Error(ErrorKind::usage, data_dir + " was not shut down cleanly (state: " + control.state +
                                        "); start and stop it cleanly, or back it up while running");
    const auto segment = pg::parse_segment_name(control.redo_wal_file);
    const auto lsn = pg::parse_lsn(control.redo_lsn);
    if (!segment || !lsn) throw Error(ErrorKind::permanent, "pg_controldata printed an unreadable REDO position for " + data_dir);
    name = archive::make_backup_name(*segment, *lsn % control.segment_size);
    version_text = control.version;
  } else {
    session = std::make_unique<pg::BackupSession>(pg::connection_params_for(
        data_dir, ctx.cmd.get("pg_host"), ctx.cmd.get("pg_port"), ctx.cmd.get("pg_user"), ctx.cmd.get("pg_database"),
        ctx.cmd.get("pg_sslmode")));
    char served[4096];
    const std::string server_dir = session->data_directory();
    if (::realpath(server_dir.c_str(), served) != nullptr && std::string(served) != data_dir)
      throw Error(ErrorKind::usage, "the server reached (" + server_dir + ") does not run " + data_dir +
                                        "; point PGHOST/PGPORT at the server of that data directory");
    version_text = session->version_text();
    const auto start = session->start(utc_label(), ctx.cmd.get_flag("fast_checkpoint"));
    name = archive::BackupName{*pg::parse_segment_name(start.file_name), start.file_offset};
  }
  ctx.log.info("wal_e.operator.backup", "starting base backup", "Backing up " + data_dir + " as " + name.str() + ".",
               {{"backup", name.str()}});

  // From here on, PostgreSQL must hear that the backup ended, whatever happens.
  std::string failure;
  std::uint64_t expanded = 0;
  pg::DataDirectoryScan scan;
  std::size_t partition_count = 0;
  try {
    put_text(store, archive::extended_version_key(name), version_text, "text/plain");
    scan = pg::scan_data_directory(data_dir);
    const auto partitions = pg::partition_scan(scan);
    partition_count = partitions.size();
    expanded = scan.total_bytes;
    Progress progress(ctx.log, "base backup " + name.str(), scan.total_bytes, ctx.progress_bar);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> cancelled{false};
    std::mutex failure_mutex;
    auto worker = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < partitions.size();) {
        try {
          upload_partition(store, archive::partition_key(name, i, encoding.compression), encoding, scan, partitions[i], limiter, progress, cancelled);
        } catch (const std::exception& e) {
          std::lock_guard lock(failure_mutex);
          if (!cancelled.exchange(true)) failure = "partition " + std::to_string(i) + ": " + e.what();
          return;
        }
      }
    };
    std::vector<std::jthread> workers;
    for (std::size_t i = 1; i < std::min(pool, partitions.size()); ++i) workers.emplace_back(worker);
    worker();
    workers.clear();
    progress.finish();
  } catch (const std::exception& e) {
    failure = e.what();
  }

  pg::BackupStop stop;
  if (session) {
    if (!failure.empty()) ctx.log.warning("wal_e.operator.backup", "blocking on sending WAL segments", "ending the failed backup in PostgreSQL");
    try {
      stop = session->stop();
    } catch (const std::exception& e) {
      if (failure.empty()) failure = e.what();
    }
  } else {
    stop.position = pg::WalPosition{"", name.start.str(), name.offset};
  }
  if (!failure.empty()) throw Error(ErrorKind::permanent, "backup " + name.str() + " failed: " + failure);

  if (session) upload_label_partition(store, archive::partition_key(name, partition_count, encoding.compression), encoding, stop);

  archive::Sentinel sentinel;
  sentinel.stop_segment = stop.position.file_name;
  sentinel.stop_offset = stop.position.file_offset;
  sentinel.expanded_size_bytes = expanded;
  sentinel.partitions = partition_count + (session ? 1 : 0);  // the backup_label partition counts
  archive::RestoreSpec spec;
  spec.base_prefix = data_dir + "/";
  for (const auto& t : scan.tablespaces) spec.tablespaces.push_back({t.oid, t.location, "pg_tblspc/" + t.oid});
  sentinel.spec = spec;
  put_text(store, archive::sentinel_key(name), archive::sentinel_json(sentinel), "application/json");
  ctx.log.info("wal_e.operator.backup", "base backup complete",
               name.str() + ": " + human_bytes(static_cast<double>(expanded)) + " in " + std::to_string(partition_count) +
                   " partitions, consistent at " + stop.position.file_name + " offset " + stop.position.file_offset + ".",
               {{"backup", name.str()}, {"expanded_size_bytes", std::to_string(expanded)}});
  return 0;
}

}  // namespace wale::command
