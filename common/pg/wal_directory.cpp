#include "common/pg/wal_directory.hpp"

#include <algorithm>
#include <memory>

#include <dirent.h>
#include <sys/stat.h>

#include "common/core/error.hpp"
#include "common/core/file.hpp"

namespace wale::pg {

FileIdentity identity_of(const struct stat& st) {
  return FileIdentity{static_cast<std::uint64_t>(st.st_size),
                      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                      static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_dev)};
}

WalSource resolve_wal_source(const std::string& cwd, const std::string& given) {
  if (given.empty()) throw Error(ErrorKind::usage, "wal-push needs the path of a WAL file; use archive_command = 'wal-e wal-push %p'");
  WalSource src;
  src.path = lexically_join(cwd, given);
  src.wal_dir = dirname_of(src.path);
  const std::string dir_name = basename_of(src.wal_dir);
  const std::string file_name = basename_of(src.path);
  if (dir_name != "pg_wal" && dir_name != "pg_xlog")
    throw Error(ErrorKind::usage, "refusing to archive " + src.path +
                                      ": it is not in a pg_wal directory; archive_command must pass %p as PostgreSQL gives it");
  struct stat st {};
  if (::stat((src.wal_dir + "/archive_status").c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(ErrorKind::usage, "refusing to archive " + src.path + ": " + src.wal_dir +
                                      " has no archive_status directory, so it is not a PostgreSQL pg_wal directory");
  auto name = parse_wal_file_name(file_name);
  if (!name)
    throw Error(ErrorKind::usage, "refusing to archive " + src.path +
                                      ": the name is not that of a WAL segment, .partial, .history or .backup file");
  src.name = *name;
  if (::lstat(src.path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw Error(ErrorKind::not_found, "could not find file for wal-push: " + src.path + " does not exist");
    throw_system_error("cannot examine " + src.path);
  }
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::usage, "refusing to archive " + src.path + ": not a regular file");
  src.identity = identity_of(st);
  return src;
}

FileIdentity identify(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw Error(ErrorKind::not_found, path + " no longer exists");
    throw_system_error("cannot examine " + path);
  }
  return identity_of(st);
}

std::vector<std::string> ready_segments(const std::string& wal_dir, const std::string& exclude, std::size_t limit) {
  std::vector<std::string> out;
  const std::string status_dir = wal_dir + "/archive_status";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(status_dir.c_str()), ::closedir);
  if (!d) return out;
  constexpr std::string_view kReady = ".ready";
  while (const dirent* e = ::readdir(d.get())) {
    const std::string_view name = e->d_name;
    if (name.size() != 24 + kReady.size() || !name.ends_with(kReady)) continue;
    const std::string_view segment = name.substr(0, 24);
    if (!parse_segment_name(segment) || segment == exclude) continue;
    out.emplace_back(segment);
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace wale::pg
