// Hostile partition members against the restore writer: nothing is written
// outside the target (no "..", no absolute names, no writes through a
// symbolic link, no hard link to a file outside), no device node or FIFO
// is created, and no set-user-ID or set-group-ID bit is restored. Each is
// refused with a one-line error naming the member.
#include "common/archive/restore_writer.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"
#include "tests/unit/support/temp_dir.hpp"

namespace fs = std::filesystem;
using wale::Error;
using wale::ErrorKind;
using wale::archive::PartitionExtractor;
using wale::archive::RestoreLayout;
using wale::archive::RestoreTarget;
using wale::archive::TarMember;
using wale::test::read_file;
using wale::test::TempDir;
using wale::test::write_file;
using Type = TarMember::Type;

namespace {

TarMember member(Type type, std::string name, std::uint32_t mode = 0600, std::string link = {}) {
  TarMember m;
  m.type = type;
  m.name = std::move(name);
  m.mode = mode;
  m.link_target = std::move(link);
  m.typeflag = type == Type::file ? '0' : type == Type::directory ? '5' : type == Type::symlink ? '2' : '1';
  return m;
}

// A target directory with a canary directory beside it that must stay as it is.
struct Scene {
  TempDir dir{"restore"};
  std::string base = dir.file("target");
  std::string canary = dir.file("canary");
  Scene() {
    fs::create_directories(base);
    fs::create_directories(canary);
    write_file(canary + "/victim", "untouched");
  }
  void check_canary() const {
    CHECK(read_file(canary + "/victim") == "untouched");
    CHECK(fs::hard_link_count(canary + "/victim") == 1);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(canary)) ++entries;
    CHECK(entries == 1);
    for (const auto& e : fs::directory_iterator(dir.path()))
      CHECK((e.path().filename() == "target" || e.path().filename() == "canary"));
  }
};

void add_file(PartitionExtractor& x, const std::string& name, const std::string& data, std::uint32_t mode = 0600) {
  TarMember m = member(Type::file, name, mode);
  m.size = data.size();
  x.begin_member(m);
  x.member_data(data);
  x.end_member();
}

// The error a member causes, which must be kind corrupt and one line.
std::string refusal(PartitionExtractor& x, const TarMember& m) {
  try {
    x.begin_member(m);
    if (m.type == Type::file) x.member_data("pwned");
    x.end_member();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::corrupt);
    const std::string what = e.what();
    CHECK(what.find('\n') == std::string::npos);
    return what;
  }
  FAIL("member '" << m.name << "' was restored");
  return {};
}

}  // namespace

TEST_CASE("restore: names that leave the target are refused", "[archive][restore]") {
  Scene s;
  RestoreTarget target(RestoreLayout{s.base, {}});
  PartitionExtractor x(target);
  CHECK(refusal(x, member(Type::file, "../canary/victim")).find("leaves the data directory") != std::string::npos);
  CHECK(refusal(x, member(Type::file, "base/../../canary/new")).find("leaves the data directory") != std::string::npos);
  CHECK(refusal(x, member(Type::file, s.canary + "/victim")).find("absolute path") != std::string::npos);
  CHECK(refusal(x, member(Type::directory, "a//b")).find("leaves the data directory") != std::string::npos);
  CHECK(refusal(x, member(Type::file, "x\n/../../canary/y")).find("x?/../../canary/y") != std::string::npos);
  s.check_canary();
}

TEST_CASE("restore: nothing is written through a symbolic link", "[archive][restore]") {
  Scene s;
  RestoreTarget target(RestoreLayout{s.base, {}});
  PartitionExtractor x(target);
  x.begin_member(member(Type::symlink, "dir_link", 0777, s.canary));
  x.end_member();
  x.begin_member(member(Type::symlink, "file_link", 0777, s.canary + "/victim"));
  x.end_member();
  CHECK(refusal(x, member(Type::file, "dir_link/pwned")).find("is not a directory") != std::string::npos);
  CHECK(refusal(x, member(Type::directory, "dir_link/sub")).find("is not a directory") != std::string::npos);
  CHECK(refusal(x, member(Type::file, "file_link")).find("through a symbolic link") != std::string::npos);
  CHECK(refusal(x, member(Type::symlink, "dir_link/l", 0777, "/")).find("is not a directory") != std::string::npos);
  s.check_canary();
  CHECK(fs::is_symlink(s.base + "/dir_link"));  // links themselves are restored: tablespaces need them
}

TEST_CASE("restore: hard links only to files restored before them", "[archive][restore]") {
  Scene s;
  RestoreTarget target(RestoreLayout{s.base, {}});
  PartitionExtractor x(target);
  add_file(x, "global/1262", "data");
  x.begin_member(member(Type::hardlink, "global/1262_link", 0600, "global/1262"));
  x.end_member();
  CHECK(fs::equivalent(s.base + "/global/1262", s.base + "/global/1262_link"));

  x.begin_member(member(Type::symlink, "out", 0777, s.canary));
  x.end_member();
  x.begin_member(member(Type::symlink, "out_file", 0777, s.canary + "/victim"));
  x.end_member();
  CHECK(refusal(x, member(Type::hardlink, "h1", 0600, "../canary/victim")).find("leaves the data directory") != std::string::npos);
  CHECK(refusal(x, member(Type::hardlink, "h2", 0600, "out/victim")).find("is not a directory") != std::string::npos);
  CHECK(refusal(x, member(Type::hardlink, "h3", 0600, "out_file")).find("does not name a file restored before it") !=
        std::string::npos);
  CHECK(refusal(x, member(Type::hardlink, "h4", 0600, "missing")).find("does not name a file restored before it") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(s.base + "/h2"));
  // A file member at a refused link's name would have written into the victim.
  add_file(x, "h2", "harmless");
  s.check_canary();
}

TEST_CASE("restore: device nodes and FIFOs are refused, never created", "[archive][restore]") {
  Scene s;
  RestoreTarget target(RestoreLayout{s.base, {}});
  PartitionExtractor x(target);
  for (const auto& [flag, kind] : {std::pair{'3', "character device"}, std::pair{'4', "block device"}, std::pair{'6', "FIFO"},
                                   std::pair{'V', "tar type 'V'"}}) {
    TarMember m = member(Type::other, std::string("node_") + flag);
    m.typeflag = flag;
    const std::string what = refusal(x, m);
    CHECK(what.find(kind) != std::string::npos);
    CHECK(what.find("node_") != std::string::npos);
    CHECK_FALSE(fs::exists(fs::symlink_status(s.base + "/node_" + flag)));
  }
  s.check_canary();
}

TEST_CASE("restore: set-user-ID and set-group-ID files are refused; directories keep permission bits only",
          "[archive][restore]") {
  Scene s;
  RestoreTarget target(RestoreLayout{s.base, {}});
  PartitionExtractor x(target);
  CHECK(refusal(x, member(Type::file, "suid", 04755)).find("set-user-ID") != std::string::npos);
  CHECK(refusal(x, member(Type::file, "sgid", 02755)).find("set-group-ID") != std::string::npos);
  x.begin_member(member(Type::directory, "dir", 07755));
  x.end_member();
  add_file(x, "sticky", "x", 01644);
  target.finish();
  struct stat st {};
  REQUIRE(::stat((s.base + "/dir").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  REQUIRE(::stat((s.base + "/sticky").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  for (const auto& e : fs::recursive_directory_iterator(s.base)) {
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    CHECK((st.st_mode & (S_ISUID | S_ISGID)) == 0);
  }
}
