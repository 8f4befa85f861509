#include "common/archive/restore_writer.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"

namespace wale::archive {
namespace {

std::vector<std::string_view> components(std::string_view name) {
  std::vector<std::string_view> parts;
  while (!name.empty()) {
    const auto slash = name.find('/');
    parts.push_back(name.substr(0, slash));
    name = slash == std::string_view::npos ? std::string_view{} : name.substr(slash + 1);
  }
  return parts;
}

// What a member of a type that has no place in a data directory is.
std::string kind_of_other(char typeflag) {
  switch (typeflag) {
    case '3': return "the character device";
    case '4': return "the block device";
    case '6': return "the FIFO";
    default: {
      const bool shown = typeflag >= 0x21 && typeflag < 0x7f;
      return std::string("the member of tar type '") + (shown ? typeflag : '?') + "'";
    }
  }
}

void set_times(int dirfd, const std::string& path, const TarMember& m, int flags) {
  const timespec times[2] = {{static_cast<time_t>(m.mtime), static_cast<long>(m.mtime_nsec)},
                             {static_cast<time_t>(m.mtime), static_cast<long>(m.mtime_nsec)}};
  ::utimensat(dirfd, path.c_str(), times, flags);
}

}  // namespace

RestoreTarget::RestoreTarget(RestoreLayout layout) : layout_(std::move(layout)), as_root_(::geteuid() == 0) {
  known_dirs_.insert(layout_.base);
  for (const auto& [oid, location] : layout_.tablespaces) known_dirs_.insert(location);
}

std::string RestoreTarget::path_for(const std::string& name) const {
  if (name.empty()) return layout_.base;
  if (name.front() == '/')
    throw Error(ErrorKind::corrupt, "the backup holds the absolute path '" + printable(name) + "'; refusing to restore it");
  const auto parts = components(name);
  for (const auto part : parts)
    if (part == ".." || part.empty())
      throw Error(ErrorKind::corrupt,
                  "the backup holds the path '" + printable(name) + "', which leaves the data directory; refusing it");
  if (parts.size() >= 2 && parts[0] == "pg_tblspc") {
    const auto it = layout_.tablespaces.find(std::string(parts[1]));
    if (it != layout_.tablespaces.end()) {
      std::string path = it->second;
      for (std::size_t i = 2; i < parts.size(); ++i) path += "/" + std::string(parts[i]);
      return path;
    }
  }
  return layout_.base + "/" + name;
}

void RestoreTarget::check_component(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    throw Error(ErrorKind::corrupt, "refusing to restore through " + printable(dir) + ": it is not a directory");
  }
  if (errno != ENOENT) throw_system_error("cannot examine " + dir);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_system_error("cannot create " + dir);
}

void RestoreTarget::make_parents(const std::string& path) {
  const std::string parent = dirname_of(path);
  std::lock_guard lock(mutex_);
  if (known_dirs_.count(parent)) return;
  // Walk down from the restore root this path lies under.
  std::string root = layout_.base;
  for (const auto& [oid, location] : layout_.tablespaces)
    if (parent == location || parent.starts_with(location + "/")) root = location;
  if (parent != root && !parent.starts_with(root + "/"))
    throw Error(ErrorKind::corrupt, "refusing to restore " + printable(path) + " outside " + root);
  std::string dir = root;
  for (const auto part : components(std::string_view(parent).substr(std::min(parent.size(), root.size() + 1)))) {
    dir += "/" + std::string(part);
    if (known_dirs_.count(dir)) continue;
    check_component(dir);
    known_dirs_.insert(dir);
  }
}

void RestoreTarget::check_link_source(const std::string& source, const std::string& name) {
  // The source must already be a regular file of this restore, reached
  // through real directories only: linking through a symbolic link (or to
  // one) could make a later member write into a file outside the target.
  make_parents(source);
  struct stat st {};
  if (::lstat(source.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(ErrorKind::corrupt,
                "the backup's hard link '" + printable(name) + "' does not name a file restored before it; refusing it");
}

void RestoreTarget::remember_directory(const std::string& path, const TarMember& member) {
  std::lock_guard lock(mutex_);
  directories_.emplace_back(path, member);
  known_dirs_.insert(path);
}

void RestoreTarget::finish() {
  // Deepest first, so that setting a parent's mtime is the last change to it.
  std::sort(directories_.begin(), directories_.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [path, m] : directories_) {
    if (as_root_) ::lchown(path.c_str(), m.uid, m.gid);
    // Permission bits only: set-user-ID, set-group-ID and sticky bits have
    // no use in a data directory and are not carried over.
    ::chmod(path.c_str(), m.mode & 0777 ? m.mode & 0777 : 0700);
    set_times(AT_FDCWD, path, m, AT_SYMLINK_NOFOLLOW);
  }
  fix_tablespace_map(layout_.base);
  // One sync per file system instead of one fsync per file.
  std::set<std::string> roots{layout_.base};
  for (const auto& [oid, location] : layout_.tablespaces) roots.insert(location);
  for (const auto& root : roots) {
    UniqueFd fd = open_file(root, O_RDONLY | O_DIRECTORY);
    if (::syncfs(fd.get()) != 0) throw_system_error("cannot sync the file system of " + root);
  }
}

void PartitionExtractor::begin_member(const TarMember& member) {
  current_ = member;
  if (member.type == TarMember::Type::other)
    throw Error(ErrorKind::corrupt, "the backup holds " + kind_of_other(member.typeflag) + " '" + printable(member.name) +
                                        "', which a PostgreSQL data directory never does; refusing to restore it");
  if (member.type == TarMember::Type::file && (member.mode & 06000) != 0)
    throw Error(ErrorKind::corrupt, "the backup holds '" + printable(member.name) +
                                        "' with the set-user-ID or set-group-ID bit, which PostgreSQL never sets; refusing to restore it");
  path_ = target_.path_for(member.name);
  if (path_ == target_.layout().base) {
    target_.remember_directory(path_, member);
    return;
  }
  target_.make_parents(path_);
  switch (member.type) {
    case TarMember::Type::directory: {
      struct stat st {};
      if (::lstat(path_.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
        throw Error(ErrorKind::corrupt, "refusing to restore the directory " + printable(path_) + " over something else");
      if (::mkdir(path_.c_str(), 0700) != 0 && errno != EEXIST) throw_system_error("cannot create " + path_);
      target_.remember_directory(path_, member);
      break;
    }
    case TarMember::Type::file:
    {
      // O_NOFOLLOW: a symbolic link restored at this name is never written through.
      const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno == ELOOP)
        throw Error(ErrorKind::corrupt, "the backup writes '" + printable(member.name) +
                                            "' through a symbolic link restored at that name; refusing it");
      if (fd < 0) throw_system_error("cannot create " + path_);
      file_ = UniqueFd(fd);
      break;
    }
    case TarMember::Type::symlink:
      if (::unlink(path_.c_str()) != 0 && errno != ENOENT) throw_system_error("cannot replace " + path_);
      if (::symlink(member.link_target.c_str(), path_.c_str()) != 0) throw_system_error("cannot create the link " + path_);
      if (target_.as_root()) ::lchown(path_.c_str(), member.uid, member.gid);
      break;
    case TarMember::Type::hardlink: {
      const std::string source = target_.path_for(member.link_target);
      target_.check_link_source(source, member.name);
      if (::unlink(path_.c_str()) != 0 && errno != ENOENT) throw_system_error("cannot replace " + path_);
      // linkat without AT_SYMLINK_FOLLOW links the name itself, never what it points to.
      if (::linkat(AT_FDCWD, source.c_str(), AT_FDCWD, path_.c_str(), 0) != 0)
        throw_system_error("cannot link " + path_ + " to " + source);
      break;
    }
    case TarMember::Type::other:
      break;  // refused above
  }
}

void PartitionExtractor::member_data(std::string_view data) {
  if (!file_) return;
  write_all(file_.get(), data, path_);
  bytes_ += data.size();
}

void PartitionExtractor::end_member() {
  if (!file_) return;
  if (target_.as_root()) ::fchown(file_.get(), current_.uid, current_.gid);
  ::fchmod(file_.get(), current_.mode & 0777);
  const timespec times[2] = {{static_cast<time_t>(current_.mtime), static_cast<long>(current_.mtime_nsec)},
                             {static_cast<time_t>(current_.mtime), static_cast<long>(current_.mtime_nsec)}};
  ::futimens(file_.get(), times);
  file_ = UniqueFd();
}

void fix_tablespace_map(const std::string& base) {
  const std::string map_path = base + "/tablespace_map";
  std::ifstream in(map_path);
  if (!in) return;
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string oid = line.substr(0, space);
    const std::string link = base + "/pg_tblspc/" + oid;
    char target[4096];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (n < 0) continue;  // restored inside pg_tblspc: no link to make
    out << oid << ' ' << std::string(target, static_cast<std::size_t>(n)) << '\n';
  }
  in.close();
  const std::string text = out.str();
  if (text.empty()) {
    ::unlink(map_path.c_str());
    return;
  }
  AtomicFileWriter writer(map_path, 0600, true);
  writer.write(text);
  writer.commit();
}

}  // namespace wale::archive
