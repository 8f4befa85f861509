// WAL-G's daemon socket protocol, as WAL-G's own clients speak it
// (walg-daemon-client, the walg_archive module), so that they can use
// wal-ed unchanged. A message is
//
//   0 type    u8: 'C' check, 'F' wal-push, 'f' wal-fetch
//   1 length  u16 big-endian: the whole message, these 3 bytes included
//   3 body    length - 3 bytes
//
// An 'F' body is the WAL file name (%f); an 'f' body is an argument list:
// u8 count, then per argument a u16 big-endian length and its bytes (the
// WAL file name and the destination, relative to the data directory). The
// daemon answers each message with one byte: 'O' done, 'E' failed, 'N' the
// archive has no such file. A check may precede a push or fetch on the same
// connection; the daemon closes the connection after a push or fetch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wale::proto::walg {

enum class MessageType : std::uint8_t {
  check = 'C',
  wal_push = 'F',
  wal_fetch = 'f',
};

enum class Reply : char {
  ok = 'O',
  error = 'E',
  not_found = 'N',
};

inline constexpr std::size_t kHeaderSize = 3;

// True when a connection's first byte starts a WAL-G message.
bool starts_message(std::uint8_t first_byte);

struct Message {
  MessageType type = MessageType::check;
  std::string body;
};

// Incremental decoder: feed bytes as they arrive, take messages as they
// complete. Throws ProtocolError (frame.hpp) on an unknown type or a
// length shorter than the header.
class MessageDecoder {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  std::optional<Message> next();
  bool idle() const { return buffer_.empty(); }

 private:
  std::string buffer_;
};

// The arguments of an 'f' body. Throws ProtocolError unless the body is
// exactly a count and that many length-prefixed arguments.
std::vector<std::string> decode_args(std::string_view body);

}  // namespace wale::proto::walg
