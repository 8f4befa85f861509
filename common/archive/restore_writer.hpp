// Writes the members of backup partitions into a restore target
// (spec §6.6): the data directory, with the tablespaces either behind
// their pg_tblspc symlinks or, restored blind, inside pg_tblspc. Member
// names are checked: nothing absolute, no "..", and no symbolic link on the
// way except the tablespace links the restore itself set up; hard links
// only to files restored before them; no device nodes, FIFOs or
// set-user-ID/set-group-ID files. Files are not fsynced one by one;
// finish() syncs each file system once.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/archive/tar.hpp"
#include "common/core/file.hpp"

namespace wale::archive {

struct RestoreLayout {
  std::string base;  // the data directory, absolute, no trailing '/'
  // pg_tblspc/<oid>/... goes to these directories (through the links).
  std::map<std::string, std::string> tablespaces;
};

// Shared by the extractors of all partitions of one restore.
class RestoreTarget {
 public:
  explicit RestoreTarget(RestoreLayout layout);

  // Where a member goes; throws wale::Error(corrupt) for a name that would
  // leave the target.
  std::string path_for(const std::string& name) const;
  // Creates the parent directories of `path` as needed, refusing symlinks.
  void make_parents(const std::string& path);
  // Throws wale::Error(corrupt) unless `source`, the target of the hard
  // link member `name`, is a regular file reached through real directories.
  void check_link_source(const std::string& source, const std::string& name);
  // Directories get their mode, owner and mtime at the end, when nothing
  // more is added to them.
  void remember_directory(const std::string& path, const TarMember& member);
  // Applies directory metadata, fixes tablespace_map and syncs.
  void finish();

  const RestoreLayout& layout() const { return layout_; }
  bool as_root() const { return as_root_; }

 private:
  void check_component(const std::string& dir);

  RestoreLayout layout_;
  bool as_root_;
  std::mutex mutex_;
  std::set<std::string> known_dirs_;
  std::vector<std::pair<std::string, TarMember>> directories_;
};

// One partition's stream of members into the target.
class PartitionExtractor final : public TarReader::Visitor {
 public:
  explicit PartitionExtractor(RestoreTarget& target) : target_(target) {}
  void begin_member(const TarMember& member) override;
  void member_data(std::string_view data) override;
  void end_member() override;
  std::uint64_t bytes() const { return bytes_; }

 private:
  RestoreTarget& target_;
  TarMember current_;
  std::string path_;
  UniqueFd file_;
  std::uint64_t bytes_ = 0;
};

// Rewrites tablespace_map (which PostgreSQL uses to recreate the pg_tblspc
// links at the start of recovery) to the locations the restore used, and
// drops the entries of tablespaces restored inside pg_tblspc.
void fix_tablespace_map(const std::string& base);

}  // namespace wale::archive
