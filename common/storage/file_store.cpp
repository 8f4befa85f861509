#include "common/storage/file_store.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/core/error.hpp"
#include "common/core/file.hpp"

namespace wale::storage {
namespace {

constexpr std::string_view kTempMarker = ".wal-e-tmp.";
constexpr std::string_view kXattrPrefix = "user.";
// O_DIRECT wants memory, offsets and lengths in multiples of the logical
// block size: a page covers every common device.
constexpr std::size_t kDirectAlign = 4096;
// Below this the page cache costs little and O_DIRECT's set-up is not worth it.
constexpr std::size_t kDirectMinimum = 64 * 1024;

bool is_aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % kDirectAlign == 0; }

bool is_temporary(std::string_view name) { return name.find(kTempMarker) != std::string_view::npos; }

void set_metadata(int fd, const std::string& path, const std::map<std::string, std::string>& metadata) {
  for (const auto& [name, value] : metadata) {
    const std::string attr = std::string(kXattrPrefix) + name;
    if (::fsetxattr(fd, attr.c_str(), value.data(), value.size(), 0) != 0) {
      // Without xattrs the object is still complete; only the fast
      // duplicate check is lost.
      if (errno == ENOTSUP) return;
      throw_system_error("cannot record metadata on " + path);
    }
  }
}

std::map<std::string, std::string> read_metadata(const std::string& path) {
  std::map<std::string, std::string> out;
  char names[4096];
  const ssize_t len = ::listxattr(path.c_str(), names, sizeof(names));
  if (len <= 0) return out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(len);) {
    const std::string attr(names + i);
    i += attr.size() + 1;
    if (!attr.starts_with(kXattrPrefix)) continue;
    char value[1024];
    const ssize_t vlen = ::getxattr(path.c_str(), attr.c_str(), value, sizeof(value));
    if (vlen >= 0) out[attr.substr(kXattrPrefix.size())] = std::string(value, static_cast<std::size_t>(vlen));
  }
  return out;
}

std::int64_t mtime_ns_of(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// Makes the object's directories, then writes the data to a temporary file
// in the final directory and links it into place; shared by put() and the
// streaming writer.
class FileObjectWriter final : public ByteSink {
 public:
  FileObjectWriter(std::string path, PutOptions options)
      : path_(std::move(path)), options_(std::move(options)) {
    temp_ = dirname_of(path_) + "/." + basename_of(path_) + std::string(kTempMarker) + random_token(8);
    // A concurrent delete removes directories it empties; if it took this
    // one between our mkdir and our open, make it again.
    for (int attempt = 0;; ++attempt) {
      make_directories(dirname_of(path_), 0700);
      const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) {
        fd_ = UniqueFd(fd);
        break;
      }
      if (errno != ENOENT || attempt >= 3) throw_system_error("cannot create " + temp_);
    }
  }
  ~FileObjectWriter() override {
    if (!done_) ::unlink(temp_.c_str());
  }
  FileObjectWriter(const FileObjectWriter&) = delete;
  FileObjectWriter& operator=(const FileObjectWriter&) = delete;

  void write(std::string_view data) override {
    write_all(fd_.get(), data, temp_);
    written_ += data.size();
  }
  void close() override { commit(); }

  // A whole object in page-aligned memory (the daemon's object buffers)
  // goes to disk with O_DIRECT: nothing is copied into the page cache and
  // the fsync finds no dirty pages to write back, which takes most of the
  // CPU a buffered write and its fsync cost (bench/README.md). The object
  // is rarely read again. A file system that refuses O_DIRECT gets the
  // ordinary write. Only on a file nothing has been written to yet.
  void write_whole(std::string_view body) {
    if (written_ != 0 || !is_aligned(body.data()) || body.size() < kDirectMinimum || !write_direct(body)) {
      write(body.substr(written_));
      return;
    }
    if (written_ == body.size()) return;
    // A short direct write: the rest through the page cache, from where it stopped.
    if (::lseek(fd_.get(), static_cast<off_t>(written_), SEEK_SET) < 0) throw_system_error("cannot seek in " + temp_);
    write(body.substr(written_));
    if (::ftruncate(fd_.get(), static_cast<off_t>(body.size())) != 0) throw_system_error("cannot truncate " + temp_);
  }

  PutOutcome commit() {
    set_metadata(fd_.get(), path_, options_.metadata);
    fsync_fd(fd_.get(), temp_);
    // What a buffered write left in the page cache is durable now and will
    // not be read soon: dropping it spares the kernel the work of aging it out.
    ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_DONTNEED);
    if (::close(fd_.release()) != 0) throw_system_error("cannot close " + temp_);
    if (options_.if_absent) {
      if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST) return PutOutcome::already_exists;  // the destructor removes the temporary file
        if (errno != EINVAL && errno != ENOSYS) throw_system_error("cannot move " + temp_ + " into place");
        // No RENAME_NOREPLACE on this file system: link() never replaces either.
        if (::link(temp_.c_str(), path_.c_str()) != 0) {
          if (errno == EEXIST) return PutOutcome::already_exists;
          throw_system_error("cannot link " + temp_ + " into place");
        }
        ::unlink(temp_.c_str());
      }
    } else if (::rename(temp_.c_str(), path_.c_str()) != 0) {
      throw_system_error("cannot move " + temp_ + " into place");
    }
    done_ = true;
    fsync_directory(dirname_of(path_));
    return PutOutcome::stored;
  }

 private:
  std::string path_;
  PutOptions options_;
  // Writes the block-aligned part of `body` with O_DIRECT, then the last
  // partial block from a zero-padded copy, and cuts the file to its size.
  // False, with nothing written, when the file system refuses O_DIRECT;
  // after a short direct write written_ says how far it got.
  bool write_direct(std::string_view body) {
    const int fd = fd_.get();
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_DIRECT) != 0) return false;
    struct Restore {
      int fd, flags;
      ~Restore() { ::fcntl(fd, F_SETFL, flags); }
    } restore{fd, flags};
    const std::size_t whole_blocks = body.size() / kDirectAlign * kDirectAlign;
    while (written_ < whole_blocks) {
      const ssize_t n = ::pwrite(fd, body.data() + written_, whole_blocks - written_, static_cast<off_t>(written_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL && written_ == 0) return false;
      if (n < 0) throw_system_error("cannot write " + temp_);
      written_ += static_cast<std::size_t>(n);
      if (written_ % kDirectAlign != 0) return true;
    }
    const std::size_t tail = body.size() - whole_blocks;
    if (tail == 0) return true;
    alignas(kDirectAlign) char block[kDirectAlign];
    std::memcpy(block, body.data() + whole_blocks, tail);
    std::memset(block + tail, 0, kDirectAlign - tail);
    for (;;) {
      const ssize_t n = ::pwrite(fd, block, kDirectAlign, static_cast<off_t>(whole_blocks));
      if (n < 0 && errno == EINTR) continue;
      if (n != static_cast<ssize_t>(kDirectAlign)) return true;
      break;
    }
    if (::ftruncate(fd, static_cast<off_t>(body.size())) != 0) throw_system_error("cannot truncate " + temp_);
    written_ = body.size();
    return true;
  }

  std::string temp_;
  UniqueFd fd_;
  std::size_t written_ = 0;
  bool done_ = false;
};

void walk(const std::string& root, const std::string& dir, const std::string& prefix,
          const std::function<void(ObjectInfo&&)>& each) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    throw_system_error("cannot list " + dir);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == ".." || is_temporary(name)) continue;
    names.emplace_back(name);
  }
  // Sorted, like the listing order of the object stores.
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const std::string path = dir + "/" + name;
    const std::string key = path.substr(root.size() + 1);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;  // removed meanwhile
    if (S_ISDIR(st.st_mode)) {
      if ((key + "/").starts_with(prefix) || prefix.starts_with(key + "/")) walk(root, path, prefix, each);
      continue;
    }
    if (!S_ISREG(st.st_mode) || !key.starts_with(prefix)) continue;
    ObjectInfo info;
    info.key = key;
    info.size = static_cast<std::uint64_t>(st.st_size);
    info.mtime_ns = mtime_ns_of(st);
    info.last_modified = file_timestamp(info.mtime_ns);
    each(std::move(info));
  }
}

}  // namespace

std::string file_timestamp(std::int64_t mtime_ns) {
  // Python's utcfromtimestamp rounds to the microsecond, half to even.
  std::int64_t micros_total = mtime_ns / 1000;
  const std::int64_t rest = mtime_ns % 1000;
  if (rest > 500 || (rest == 500 && micros_total % 2 != 0)) ++micros_total;
  const std::time_t secs = static_cast<std::time_t>(micros_total / 1'000'000);
  const long micros = static_cast<long>(micros_total % 1'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (micros != 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%06ld", micros);
    out += frac;
  }
  return out;
}

FileStore::FileStore(StoreUrl url) : BlobStore(std::move(url)) {
  root_ = "/" + this->url().path_prefix;
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string FileStore::path_of(const std::string& key) const { return root_ + "/" + key; }

PutOutcome FileStore::put(const std::string& key, std::string_view body, const PutOptions& options) {
  FileObjectWriter writer(path_of(key), options);
  writer.write_whole(body);
  return writer.commit();
}

std::unique_ptr<ByteSink> FileStore::open_writer(const std::string& key, const PutOptions& options) {
  return std::make_unique<FileObjectWriter>(path_of(key), options);
}

std::optional<ObjectInfo> FileStore::head(const std::string& key) {
  const std::string path = path_of(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_system_error("cannot examine " + url().url_for(key));
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;  // directories are not objects
  ObjectInfo info;
  info.key = key;
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.mtime_ns = mtime_ns_of(st);
  info.last_modified = file_timestamp(info.mtime_ns);
  info.metadata = read_metadata(path);
  return info;
}

void FileStore::get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) {
  const std::string path = path_of(key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw Error(ErrorKind::not_found, "no object " + url().url_for(key));
    throw_system_error("cannot read " + url().url_for(key));
  }
  UniqueFd guard(fd);
  std::uint64_t offset = range ? range->offset : 0;
  std::uint64_t left = range && range->length ? *range->length : UINT64_MAX;
  std::string buffer(1 << 20, '\0');
  while (left > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("cannot read " + url().url_for(key));
    }
    if (n == 0) break;
    sink.write(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    offset += static_cast<std::uint64_t>(n);
    left -= static_cast<std::uint64_t>(n);
  }
}

void FileStore::list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) {
  // In key order across directories ("a-y" < "a.x" < "a/b"), as object
  // stores list.
  std::vector<ObjectInfo> found;
  walk(root_, root_, prefix, [&](ObjectInfo&& info) { found.push_back(std::move(info)); });
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  for (auto& info : found) each(std::move(info));
}

void FileStore::remove(const std::vector<std::string>& keys) {
  std::vector<std::string> dirs;
  for (const auto& key : keys) {
    const std::string path = path_of(key);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR)
      throw_system_error("cannot delete " + url().url_for(key));
    dirs.push_back(dirname_of(path));
  }
  // Remove directories left empty, deepest first, never the root itself.
  std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  for (auto dir : dirs) {
    while (dir.size() > root_.size() && dir.starts_with(root_ + "/") && ::rmdir(dir.c_str()) == 0) dir = dirname_of(dir);
  }
}

}  // namespace wale::storage
