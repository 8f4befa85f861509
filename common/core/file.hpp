// Small POSIX file helpers with RAII descriptors and errors that name the path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// open(2) that throws wale::Error naming `path` on failure.
UniqueFd open_file(const std::string& path, int flags, unsigned mode = 0600);
void write_all(int fd, std::string_view data, const std::string& path_for_errors);
void fsync_fd(int fd, const std::string& path_for_errors);
// fsync of a directory, so that a rename or creation inside it is durable.
void fsync_directory(const std::string& dir);
// Creates `dir` and its missing parents; fsyncs each parent that gained an entry.
void make_directories(const std::string& dir, unsigned mode = 0700);

std::string dirname_of(std::string_view path);
std::string basename_of(std::string_view path);
// Joins `base` and `path` unless `path` is absolute, then removes "." and
// ".." components lexically (no symlink resolution).
std::string lexically_join(std::string_view base, std::string_view path);

// A random suffix for temporary names.
std::string random_token(std::size_t length = 12);

// Reads a regular file in chunks (for pump()); anything else (a FIFO, a
// device, a directory, a symbolic link) is refused with wale::Error(usage).
class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::string& path);
  std::size_t read(char* buffer, std::size_t size) override;
  int fd() const { return fd_.get(); }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Writes to a temporary file beside `final_path`; commit() fsyncs it (when
// durable) and renames it into place atomically. Without commit() the temporary file is
// removed. Used for wal-fetch destinations and restored files.
class AtomicFileWriter final : public ByteSink {
 public:
  explicit AtomicFileWriter(std::string final_path, unsigned mode = 0600, bool durable = true);
  ~AtomicFileWriter() override;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(std::string_view data) override;
  // The end of the stream is not yet a decision to publish the file: the
  // caller checks what it wrote, then calls commit().
  void close() override {}
  void commit();
  std::uint64_t bytes_written() const { return written_; }

 private:
  std::string final_path_;
  std::string temp_path_;
  UniqueFd fd_;
  bool durable_;
  bool committed_ = false;
  std::uint64_t written_ = 0;
};

}  // namespace wale
