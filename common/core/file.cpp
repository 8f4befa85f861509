#include "common/core/file.hpp"

#include <random>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/core/error.hpp"

namespace wale {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd open_file(const std::string& path, int flags, unsigned mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_system_error("cannot open " + path);
  return UniqueFd(fd);
}

void write_all(int fd, std::string_view data, const std::string& path_for_errors) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("cannot write " + path_for_errors);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void fsync_fd(int fd, const std::string& path_for_errors) {
  if (::fsync(fd) != 0) throw_system_error("cannot fsync " + path_for_errors);
}

void fsync_directory(const std::string& dir) {
  UniqueFd fd = open_file(dir.empty() ? "/" : dir, O_RDONLY | O_DIRECTORY);
  fsync_fd(fd.get(), dir);
}

std::string dirname_of(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

void make_directories(const std::string& dir, unsigned mode) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw Error(ErrorKind::permanent, dir + " exists and is not a directory");
    return;
  }
  const std::string parent = dirname_of(dir);
  if (parent != dir) make_directories(parent, mode);
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) throw_system_error("cannot create directory " + dir);
  fsync_directory(parent);
}

std::string lexically_join(std::string_view base, std::string_view path) {
  std::string joined = (!path.empty() && path.front() == '/') ? std::string(path) : std::string(base) + "/" + std::string(path);
  if (joined.empty()) return ".";
  std::vector<std::string_view> parts;
  std::string_view rest = joined;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  const bool absolute = joined.front() == '/';
  std::string out;
  for (auto p : parts) {
    if (absolute || !out.empty()) out += '/';
    out += p;
  }
  if (out.empty()) return absolute ? "/" : ".";
  return out;
}

std::string random_token(std::size_t length) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out(length, 'x');
  for (auto& c : out) c = kAlphabet[pick(rng)];
  return out;
}

// O_NONBLOCK: a FIFO put where a file was expected must not block the
// reader forever; regular files ignore the flag. O_NOFOLLOW: a file
// swapped for a symbolic link after it was checked is not followed.
FileSource::FileSource(const std::string& path) : path_(path), fd_(open_file(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW)) {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_system_error("cannot examine " + path);
  if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::usage, "refusing to read " + path + ": it is not a regular file");
}

std::size_t FileSource::read(char* buffer, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd_.get(), buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw_system_error("cannot read " + path_);
  }
}

AtomicFileWriter::AtomicFileWriter(std::string final_path, unsigned mode, bool durable)
    : final_path_(std::move(final_path)),
      temp_path_(dirname_of(final_path_) + "/." + basename_of(final_path_) + ".wal-e-tmp." + random_token(8)),
      fd_(open_file(temp_path_, O_WRONLY | O_CREAT | O_EXCL, mode)),
      durable_(durable) {}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::write(std::string_view data) {
  write_all(fd_.get(), data, temp_path_);
  written_ += data.size();
}

void AtomicFileWriter::commit() {
  if (committed_) return;
  if (durable_) fsync_fd(fd_.get(), temp_path_);
  if (::close(fd_.release()) != 0) throw_system_error("cannot close " + temp_path_);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) throw_system_error("cannot rename " + temp_path_ + " to " + final_path_);
  committed_ = true;
  if (durable_) fsync_directory(dirname_of(final_path_));
}

}  // namespace wale
