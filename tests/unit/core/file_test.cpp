// POSIX file helpers: lexical path joining, dirname/basename, the atomic
// writer used for wal-fetch destinations (nothing visible before commit,
// nothing left behind without it), FileSource and directory creation.
#include "common/core/file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"
#include "common/core/stream.hpp"
#include "tests/unit/support/temp_dir.hpp"

namespace fs = std::filesystem;
using wale::AtomicFileWriter;
using wale::basename_of;
using wale::dirname_of;
using wale::Error;
using wale::ErrorKind;
using wale::FileSource;
using wale::lexically_join;
using wale::test::TempDir;

namespace {

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

}  // namespace

TEST_CASE("lexically_join joins relative paths onto the base", "[core]") {
  CHECK(lexically_join("/var/lib/pg", "pg_wal/000000010000000000000001") ==
        "/var/lib/pg/pg_wal/000000010000000000000001");
  CHECK(lexically_join("/var/lib/pg", "x") == "/var/lib/pg/x");
  CHECK(lexically_join("/", "x") == "/x");
  CHECK(lexically_join("/var/lib/pg", "") == "/var/lib/pg");
}

TEST_CASE("lexically_join: an absolute second argument replaces the base", "[core]") {
  CHECK(lexically_join("/var/lib/pg", "/abs/p") == "/abs/p");
  CHECK(lexically_join("/var/lib/pg", "/") == "/");
  CHECK(lexically_join("/var/lib/pg", "/abs/../other") == "/other");
  CHECK(lexically_join("", "/abs") == "/abs");
}

TEST_CASE("lexically_join removes '.' and '..' without touching the file system", "[core]") {
  CHECK(lexically_join("/var/lib/pg", "../x") == "/var/lib/x");
  CHECK(lexically_join("/var/lib/pg", "../../..") == "/");
  CHECK(lexically_join("/var/lib/pg", "../../../../..") == "/");
  CHECK(lexically_join("/var/lib/pg", "./pg_wal/./x") == "/var/lib/pg/pg_wal/x");
  CHECK(lexically_join("/var/lib/pg", "pg_wal/../pg_wal/x") == "/var/lib/pg/pg_wal/x");
  CHECK(lexically_join("/var/./lib/../lib/pg", "x") == "/var/lib/pg/x");
  CHECK(lexically_join("/a/b", ".") == "/a/b");
  CHECK(lexically_join("/a/b", "..") == "/a");
  CHECK(lexically_join("/a/b", "...") == "/a/b/...");
  CHECK(lexically_join("/a/b", "..x") == "/a/b/..x");
  // symlinks are not resolved: the path stays lexical even when it exists
  CHECK(lexically_join("/proc/self", "..") == "/proc");
}

TEST_CASE("lexically_join: trailing and repeated slashes", "[core]") {
  CHECK(lexically_join("/a/b/", "c") == "/a/b/c");
  CHECK(lexically_join("/a/b//", "c") == "/a/b/c");
  CHECK(lexically_join("/a/b", "c/") == "/a/b/c");
  CHECK(lexically_join("/a/b", "c//d") == "/a/b/c/d");
  CHECK(lexically_join("//a//b", "c") == "/a/b/c");
  CHECK(lexically_join("/a/b/", "") == "/a/b");
}

TEST_CASE("lexically_join keeps a relative base relative", "[core]") {
  // The header promises a join followed by lexical clean-up; nothing says
  // the result becomes absolute. A relative (or empty) base currently gets a
  // leading '/' added: "data" + "pg_wal/x" => "/data/pg_wal/x".
  CHECK(lexically_join("data", "pg_wal/x") == "data/pg_wal/x");
  CHECK(lexically_join("data/./sub", "../x") == "data/x");
}

TEST_CASE("dirname_of and basename_of", "[core]") {
  CHECK(dirname_of("/a/b") == "/a");
  CHECK(dirname_of("/a/b/c.lzo") == "/a/b");
  CHECK(dirname_of("/a") == "/");
  CHECK(dirname_of("/") == "/");
  CHECK(dirname_of("a") == ".");
  CHECK(dirname_of("") == ".");
  CHECK(dirname_of("a/b") == "a");
  CHECK(dirname_of("a/b/") == "a/b");

  CHECK(basename_of("/a/b") == "b");
  CHECK(basename_of("/a/b/c.lzo") == "c.lzo");
  CHECK(basename_of("b") == "b");
  CHECK(basename_of("/b") == "b");
  CHECK(basename_of("a/") == "");
  CHECK(basename_of("") == "");

  // together they split a path back into its parts
  for (const char* p : {"/x/y/z", "/x/y", "rel/dir/f", "a/b"}) {
    INFO(p);
    CHECK(dirname_of(p) + "/" + basename_of(p) == p);
  }
}

TEST_CASE("AtomicFileWriter: nothing visible before commit", "[core]") {
  TempDir dir{"file-test"};
  const std::string target = dir.file("000000010000000000000001");
  {
    AtomicFileWriter w(target);
    w.write("hello ");
    w.write("world");
    w.close();  // end of stream is not publication
    CHECK(w.bytes_written() == 11u);
    CHECK_FALSE(fs::exists(target));
    // the temporary file lives beside the target, hidden
    const auto names = entries(dir.path());
    REQUIRE(names.size() == 1u);
    CHECK(names[0].starts_with(".000000010000000000000001"));
    CHECK(names[0].find(".wal-e-tmp.") != std::string::npos);

    w.commit();
    CHECK(read_file(target) == std::optional<std::string>{"hello world"});
    CHECK(entries(dir.path()) == std::vector<std::string>{"000000010000000000000001"});
    w.commit();  // a second commit does nothing
  }
  // destroying a committed writer leaves the file
  CHECK(read_file(target) == std::optional<std::string>{"hello world"});
  CHECK(entries(dir.path()) == std::vector<std::string>{"000000010000000000000001"});
}

TEST_CASE("AtomicFileWriter: the temporary file is removed when destroyed without commit", "[core]") {
  TempDir dir{"file-test"};
  const std::string target = dir.file("RECOVERYXLOG");
  {
    AtomicFileWriter w(target);
    w.write(std::string(100000, 'x'));
    CHECK(entries(dir.path()).size() == 1u);
  }
  CHECK_FALSE(fs::exists(target));
  CHECK(entries(dir.path()).empty());

  // an existing file is left alone when the new one is abandoned
  write_file(target, "old");
  {
    AtomicFileWriter w(target);
    w.write("new");
  }
  CHECK(read_file(target) == std::optional<std::string>{"old"});
  CHECK(entries(dir.path()) == std::vector<std::string>{"RECOVERYXLOG"});
}

TEST_CASE("AtomicFileWriter: commit replaces an existing file", "[core]") {
  TempDir dir{"file-test"};
  const std::string target = dir.file("f");
  write_file(target, "old content that is longer");
  AtomicFileWriter w(target, 0600, false);
  w.write("new");
  CHECK(read_file(target) == std::optional<std::string>{"old content that is longer"});
  w.commit();
  CHECK(read_file(target) == std::optional<std::string>{"new"});
  CHECK(entries(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("AtomicFileWriter: empty files and file mode", "[core]") {
  TempDir dir{"file-test"};
  const std::string target = dir.file("empty");
  AtomicFileWriter w(target);
  w.commit();
  CHECK(read_file(target) == std::optional<std::string>{""});
  CHECK(w.bytes_written() == 0u);
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0u);  // default 0600: nobody else reads WAL
}

TEST_CASE("AtomicFileWriter in a missing directory fails with an error naming the path", "[core]") {
  TempDir dir{"file-test"};
  const std::string target = dir.file("missing/sub/f");
  try {
    AtomicFileWriter w(target);
    FAIL("no error for a missing directory");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK_THAT(std::string(e.what()), Catch::Contains(dir.path() + "/missing/sub/"));
  }
}

TEST_CASE("FileSource reads a file in chunks", "[core]") {
  TempDir dir{"file-test"};
  std::string content(300000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 7 + i / 251) & 0xFF);
  write_file(dir.file("src"), content);

  FileSource src(dir.file("src"));
  CHECK(src.fd() >= 0);
  std::string got;
  char buf[4096];
  for (;;) {
    const std::size_t n = src.read(buf, sizeof(buf));
    if (n == 0) break;
    CHECK(n <= sizeof(buf));
    got.append(buf, n);
  }
  CHECK(got == content);
  CHECK(src.read(buf, sizeof(buf)) == 0u);  // stays at end

  FileSource again(dir.file("src"));
  wale::StringSink sink;
  wale::pump(again, sink, 1000);
  CHECK(sink.data() == content);
}

TEST_CASE("FileSource of a missing file is not_found", "[core]") {
  TempDir dir{"file-test"};
  try {
    FileSource src(dir.file("absent"));
    FAIL("no error for a missing file");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK_THAT(std::string(e.what()), Catch::Contains(dir.file("absent")));
  }
}

TEST_CASE("FileSource refuses anything but a regular file, at once", "[core]") {
  TempDir dir{"file-test"};
  // A FIFO with no writer would block an ordinary open forever.
  REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
  fs::create_directory(dir.file("dir"));
  write_file(dir.file("target"), "x");
  fs::create_symlink(dir.file("target"), dir.file("link"));
  for (const char* name : {"fifo", "dir", "link"}) {
    INFO(name);
    try {
      FileSource src(dir.file(name));
      FAIL("opened");
    } catch (const Error& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains(dir.file(name)));
    }
  }
}

TEST_CASE("make_directories creates missing parents and refuses files", "[core]") {
  TempDir dir{"file-test"};
  const std::string deep = dir.file("a/b/c");
  wale::make_directories(deep, 0700);
  CHECK(fs::is_directory(deep));
  wale::make_directories(deep, 0700);  // again: nothing to do
  CHECK(fs::is_directory(deep));

  write_file(dir.file("file"), "x");
  try {
    wale::make_directories(dir.file("file"), 0700);
    FAIL("no error for a file in the way");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::permanent);
    CHECK_THAT(std::string(e.what()), Catch::Contains(dir.file("file")));
  }
}

TEST_CASE("open_file errors name the path and are classified", "[core]") {
  TempDir dir{"file-test"};
  try {
    (void)wale::open_file(dir.file("nope"), O_RDONLY);
    FAIL("opened a missing file");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK_THAT(std::string(e.what()), Catch::Contains(dir.file("nope")));
  }
  auto fd = wale::open_file(dir.file("new"), O_WRONLY | O_CREAT | O_EXCL, 0600);
  CHECK(static_cast<bool>(fd));
  wale::write_all(fd.get(), "abc", dir.file("new"));
  wale::fsync_fd(fd.get(), dir.file("new"));
  wale::fsync_directory(dir.path());
  CHECK(read_file(dir.file("new")) == std::optional<std::string>{"abc"});
  CHECK_THROWS_AS(wale::open_file(dir.file("new"), O_WRONLY | O_CREAT | O_EXCL, 0600), Error);
}

TEST_CASE("UniqueFd owns its descriptor", "[core]") {
  TempDir dir{"file-test"};
  write_file(dir.file("f"), "x");
  int raw = -1;
  {
    wale::UniqueFd a = wale::open_file(dir.file("f"), O_RDONLY);
    raw = a.get();
    wale::UniqueFd b(std::move(a));
    CHECK_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): moved-from state is specified
    CHECK(b.get() == raw);
    wale::UniqueFd c;
    CHECK_FALSE(static_cast<bool>(c));
    c = std::move(b);
    CHECK(c.get() == raw);
    CHECK(::fcntl(raw, F_GETFD) != -1);
  }
  CHECK(::fcntl(raw, F_GETFD) == -1);  // closed at the end of the scope
}

TEST_CASE("random_token", "[core]") {
  CHECK(wale::random_token().size() == 12u);
  CHECK(wale::random_token(8).size() == 8u);
  CHECK(wale::random_token(0).empty());
  const std::string t = wale::random_token(1000);
  const bool alphabet_ok =
      std::all_of(t.begin(), t.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
  CHECK(alphabet_ok);
  CHECK(wale::random_token(16) != wale::random_token(16));
}
