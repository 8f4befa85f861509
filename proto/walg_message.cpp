#include "proto/walg_message.hpp"

#include "proto/frame.hpp"

namespace wale::proto::walg {
namespace {

std::size_t u16_at(std::string_view bytes, std::size_t at) {
  return (static_cast<std::size_t>(static_cast<unsigned char>(bytes[at])) << 8) | static_cast<unsigned char>(bytes[at + 1]);
}

}  // namespace

bool starts_message(std::uint8_t first_byte) {
  switch (static_cast<MessageType>(first_byte)) {
    case MessageType::check:
    case MessageType::wal_push:
    case MessageType::wal_fetch:
      return true;
  }
  return false;
}

std::optional<Message> MessageDecoder::next() {
  if (buffer_.empty()) return std::nullopt;
  const auto type = static_cast<std::uint8_t>(buffer_[0]);
  if (!starts_message(type)) {
    std::string shown = std::to_string(type);
    if (type >= 0x20 && type < 0x7F) shown += std::string(" ('") + static_cast<char>(type) + "')";
    throw ProtocolError("unknown WAL-G message type " + shown);
  }
  if (buffer_.size() < kHeaderSize) return std::nullopt;
  const std::size_t length = u16_at(buffer_, 1);
  if (length < kHeaderSize) throw ProtocolError("WAL-G message length " + std::to_string(length) + " is shorter than its header");
  if (buffer_.size() < length) return std::nullopt;
  Message m{static_cast<MessageType>(type), buffer_.substr(kHeaderSize, length - kHeaderSize)};
  buffer_.erase(0, length);
  return m;
}

std::vector<std::string> decode_args(std::string_view body) {
  if (body.empty()) throw ProtocolError("empty WAL-G argument list");
  const std::size_t count = static_cast<unsigned char>(body[0]);
  std::vector<std::string> args;
  args.reserve(count);
  std::size_t at = 1;
  for (std::size_t i = 0; i < count; ++i) {
    if (at + 2 > body.size()) throw ProtocolError("WAL-G argument list ends inside argument " + std::to_string(i + 1));
    const std::size_t length = u16_at(body, at);
    at += 2;
    if (at + length > body.size()) throw ProtocolError("WAL-G argument " + std::to_string(i + 1) + " is longer than its message");
    args.emplace_back(body.substr(at, length));
    at += length;
  }
  if (at != body.size()) throw ProtocolError("WAL-G argument list has " + std::to_string(body.size() - at) + " bytes after its last argument");
  return args;
}

}  // namespace wale::proto::walg
