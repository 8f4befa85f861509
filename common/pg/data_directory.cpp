#include "common/pg/data_directory.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"

namespace wale::pg {
namespace {

// Directories recorded empty, never entered: at the top level only...
constexpr std::array<std::string_view, 4> kTopLevelEmptied{"pg_xlog", "pg_wal", "pg_log", "pg_replslot"};
// ...and at any level.
constexpr std::array<std::string_view, 3> kAnyLevelEmptied{"pgsql_tmp", "pg_stat_tmp", ".wal-e"};
// Top-level files a WAL-E backup never holds: configuration and run state.
constexpr std::array<std::string_view, 8> kTopLevelSkipped{"postmaster.pid", "postmaster.opts", "postgresql.conf",
                                                           "pg_hba.conf",    "recovery.conf",   "recovery.done",
                                                           "pg_ident.conf",  "promote"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

ScannedEntry entry_from(const struct stat& st, std::string name, std::string path) {
  ScannedEntry e;
  e.name = std::move(name);
  e.path = std::move(path);
  e.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  e.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
  if (S_ISDIR(st.st_mode)) e.kind = ScannedEntry::Kind::directory;
  else if (S_ISLNK(st.st_mode)) e.kind = ScannedEntry::Kind::symlink;
  else e.size = static_cast<std::uint64_t>(st.st_size);
  return e;
}

std::vector<std::string> sorted_names(const std::string& dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) {
    if (errno == ENOENT) return names;  // removed while we looked
    throw_system_error("cannot read the directory " + dir);
  }
  while (const dirent* e = ::readdir(d.get())) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_link(const std::string& path) {
  std::string target(4096, '\0');
  const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n < 0) throw_system_error("cannot read the symbolic link " + path);
  target.resize(static_cast<std::size_t>(n));
  return target;
}

class Scanner {
 public:
  explicit Scanner(DataDirectoryScan& scan) : scan_(scan) {}

  // Walks `path` (whose member name is `name`, "" for the root).
  void walk(const std::string& path, const std::string& name, bool top_level) {
    for (const auto& child : sorted_names(path)) {
      const std::string child_path = path + "/" + child;
      const std::string child_name = name.empty() ? child : name + "/" + child;
      struct stat st {};
      if (::lstat(child_path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // a file removed during the scan is normal on a live cluster
        throw_system_error("cannot examine " + child_path);
      }
      if (child == "lost+found") continue;
      if (S_ISDIR(st.st_mode)) {
        scan_.entries.push_back(entry_from(st, child_name, child_path));
        const bool emptied = (top_level && one_of(kTopLevelEmptied, child)) || one_of(kAnyLevelEmptied, child);
        if (!emptied) walk(child_path, child_name, false);
        continue;
      }
      if (top_level && one_of(kTopLevelSkipped, child)) continue;
      if (S_ISLNK(st.st_mode) && name == "pg_tblspc") {
        add_tablespace(child, child_path, child_name);
        continue;
      }
      if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;  // sockets, fifos
      auto e = entry_from(st, child_name, child_path);
      if (e.kind == ScannedEntry::Kind::symlink) e.link_target = read_link(child_path);
      scan_.total_bytes += e.size;
      scan_.entries.push_back(std::move(e));
    }
  }

 private:
  // A tablespace is archived through its link, under pg_tblspc/<oid>/...;
  // the link itself is recorded in the restore spec, not in the archive.
  void add_tablespace(const std::string& oid, const std::string& link_path, const std::string& link_name) {
    struct stat st {};
    if (::stat(link_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
    std::string location = read_link(link_path);
    if (!location.ends_with('/')) location += '/';
    scan_.tablespaces.push_back(Tablespace{oid, location});
    walk(link_path, link_name, false);
  }

  DataDirectoryScan& scan_;
};

}  // namespace

DataDirectoryScan scan_data_directory(const std::string& data_dir) {
  DataDirectoryScan scan;
  scan.root = data_dir;
  while (scan.root.size() > 1 && scan.root.back() == '/') scan.root.pop_back();
  struct stat st {};
  if (::stat((scan.root + "/PG_VERSION").c_str(), &st) != 0 || ::stat((scan.root + "/global/pg_control").c_str(), &st) != 0)
    throw Error(ErrorKind::usage, scan.root + " is not a PostgreSQL data directory (no PG_VERSION or global/pg_control); "
                                              "give the cluster's data directory");
  Scanner(scan).walk(scan.root, "", true);
  return scan;
}

std::vector<Partition> partition_scan(const DataDirectoryScan& scan, std::uint64_t max_bytes, std::size_t max_members) {
  std::vector<Partition> out;
  Partition current;
  for (std::size_t i = 0; i < scan.entries.size(); ++i) {
    const auto& e = scan.entries[i];
    if (e.size > max_bytes)
      throw Error(ErrorKind::permanent, e.path + " is " + std::to_string(e.size) + " bytes, more than a partition may hold (" +
                                            std::to_string(max_bytes) + ")");
    if (!current.members.empty() && (current.bytes + e.size >= max_bytes || current.members.size() >= max_members)) {
      out.push_back(std::move(current));
      current = Partition{};
    }
    current.members.push_back(i);
    current.bytes += e.size;
  }
  if (!current.members.empty()) out.push_back(std::move(current));
  return out;
}

bool directory_is_empty(const std::string& dir) {
  for (const auto& name : sorted_names(dir))
    if (name != "lost+found") return false;
  return true;
}

}  // namespace wale::pg
