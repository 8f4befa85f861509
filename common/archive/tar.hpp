// Tar streams for base-backup partitions (shared/spec/wal-e-format.md §3.5).
// The writer produces POSIX.1-2001 pax archives, which WAL-E's Python
// tarfile and GNU tar read; the reader accepts what WAL-E and tar have ever
// written: ustar, pax (local 'x' and global 'g' headers) and GNU ('L'/'K'
// long names, base-256 numbers). Both stream: nothing is buffered beyond
// one 512-byte block and a member's header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale::archive {

struct TarMember {
  enum class Type { file, directory, symlink, hardlink, other };
  Type type = Type::file;
  std::string name;         // relative, '/'-separated; no trailing '/' (the writer adds it for directories)
  std::string link_target;  // symlink target / hard-link source name
  std::uint32_t mode = 0600;  // permission bits (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string uname;
  std::string gname;
  std::uint64_t size = 0;   // regular files only
  std::int64_t mtime = 0;   // seconds since the epoch
  std::uint32_t mtime_nsec = 0;
  char typeflag = '0';      // as read (the writer derives its own from `type`): says what an `other` member is
};

// Writes members to `out`. For a regular file: add(), then exactly `size`
// bytes through write_data(), then end_member(). Other members are complete
// after add() (end_member() then does nothing). close() writes the end of
// archive (two zero blocks, padded to a 10240-byte record as Python's
// tarfile and GNU tar do) and closes `out`. Misuse (data beyond `size`, an
// early end_member()) throws std::logic_error; a member tar cannot hold (NUL
// in a name, Type::other) throws std::invalid_argument.
class TarWriter {
 public:
  explicit TarWriter(ByteSink& out);
  void add(const TarMember& member);
  void write_data(std::string_view data);
  void end_member();
  void close();
  std::uint64_t bytes_written() const { return written_; }

 private:
  void emit(std::string_view bytes);
  void pad_to_block();

  ByteSink& out_;
  std::uint64_t written_ = 0;
  std::uint64_t member_left_ = 0;  // data bytes the current member still expects
  bool in_member_ = false;
  bool closed_ = false;
};

// Receives a tar stream in pieces of any size (it is a ByteSink, so it can
// sit at the end of a download -> decrypt -> decompress chain) and calls the
// visitor for every member. Throws wale::Error(corrupt) on a damaged
// archive (bad header checksum, truncated member, malformed pax record);
// close() throws when the stream ends inside a header or a member, after an
// extended header without its member, or when it was empty. A stream that
// ends after complete members but without the zero blocks is accepted (GNU
// tar and Python's tarfile accept it too); bytes after the first zero block
// are ignored. Names are normalized: no leading "./", no trailing '/' on
// directories, and the data directory itself ("/", ".", "") is ""; any
// other name starting with "/" stays absolute (the restore refuses it).
// Only regular files receive member_data(); data of Type::other members is
// skipped.
class TarReader final : public ByteSink {
 public:
  class Visitor {
   public:
    virtual ~Visitor() = default;
    virtual void begin_member(const TarMember& member) = 0;
    // Data of the current regular file, in order, in pieces of any size.
    virtual void member_data(std::string_view data) = 0;
    virtual void end_member() = 0;
  };

  explicit TarReader(Visitor& visitor);
  ~TarReader() override;
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  struct State;
  Visitor& visitor_;
  std::unique_ptr<State> state_;
};

}  // namespace wale::archive
