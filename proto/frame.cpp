#include "proto/frame.hpp"

#include <array>
#include <cstring>

namespace wale::proto {
namespace {

constexpr std::array<char, 4> kMagic{'W', 'A', 'L', 'E'};

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

std::uint32_t get_be(std::string_view bytes) {
  std::uint32_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

bool known_type(std::uint8_t t) {
  switch (static_cast<FrameType>(t)) {
    case FrameType::request:
    case FrameType::stdout_data:
    case FrameType::stderr_data:
    case FrameType::heartbeat:
    case FrameType::exit_status:
    case FrameType::refusal:
      return true;
  }
  return false;
}

}  // namespace

std::string encode_frame(FrameType type, std::string_view payload) {
  if (payload.size() > kMaxPayload) throw ProtocolError("frame payload of " + std::to_string(payload.size()) + " bytes exceeds the protocol limit");
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  out.append(kMagic.data(), kMagic.size());
  put_u16(out, kProtocolVersion);
  out.push_back(static_cast<char>(type));
  out.push_back('\0');
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

void FrameDecoder::feed(std::string_view bytes) { buffer_.append(bytes); }

std::optional<Frame> FrameDecoder::next() {
  if (buffer_.size() < kHeaderSize) {
    if (!buffer_.empty() && std::memcmp(buffer_.data(), kMagic.data(), std::min(buffer_.size(), kMagic.size())) != 0)
      throw ProtocolError("the peer does not speak the wal-e protocol (bad frame magic)");
    return std::nullopt;
  }
  if (std::memcmp(buffer_.data(), kMagic.data(), kMagic.size()) != 0)
    throw ProtocolError("the peer does not speak the wal-e protocol (bad frame magic)");
  const std::uint32_t length = get_be(std::string_view(buffer_).substr(8, 4));
  if (length > max_payload_)
    throw ProtocolError("frame of " + std::to_string(length) + " bytes exceeds the limit of " + std::to_string(max_payload_) +
                        " bytes");
  if (buffer_.size() < kHeaderSize + length) return std::nullopt;

  Frame frame;
  frame.version = static_cast<std::uint16_t>(get_be(std::string_view(buffer_).substr(4, 2)));
  const auto type = static_cast<std::uint8_t>(buffer_[6]);
  // Only frames of our own version must carry a type we know; a newer peer's
  // frame is handed up so that the caller can report the version mismatch.
  if (frame.version == kProtocolVersion && !known_type(type))
    throw ProtocolError("unknown frame type " + std::to_string(type));
  frame.type = static_cast<FrameType>(type);
  frame.payload = buffer_.substr(kHeaderSize, length);
  buffer_.erase(0, kHeaderSize + length);
  return frame;
}

std::string version_mismatch_message(std::uint16_t client_version, std::uint16_t daemon_version) {
  return "protocol version mismatch: wal-e speaks version " + std::to_string(client_version) +
         ", the wal-ed daemon speaks version " + std::to_string(daemon_version) +
         "; restart wal-ed so that both come from the same release";
}

}  // namespace wale::proto
