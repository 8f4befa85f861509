// The shim <-> daemon wire format: length-framed messages on a Unix stream
// socket. Every frame starts with the same 12-byte header in every protocol
// version, so that two releases can always tell each other apart:
//
//   0  magic    "WALE"
//   4  version  u16 big-endian (kProtocolVersion)
//   6  type     u8  (FrameType)
//   7  zero     u8
//   8  length   u32 big-endian, at most kMaxPayload
//   12 payload
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wale::proto {

inline constexpr std::uint16_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::uint32_t kMaxPayload = 16u << 20;

enum class FrameType : std::uint8_t {
  request = 'Q',    // client -> daemon: JSON, see request.hpp
  stdout_data = 'O',// daemon -> client: bytes for the client's stdout
  stderr_data = 'E',// daemon -> client: bytes for the client's stderr (log lines)
  heartbeat = 'H',  // daemon -> client: still working, no payload
  exit_status = 'X',// daemon -> client: one byte, the command's exit status; last frame
  refusal = 'R',    // daemon -> client: text; the request was not run (version, uid)
};

struct Frame {
  std::uint16_t version = kProtocolVersion;
  FrameType type = FrameType::heartbeat;
  std::string payload;
};

class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Serialises one frame of the current protocol version.
std::string encode_frame(FrameType type, std::string_view payload);

// Incremental decoder: feed bytes as they arrive, take frames as they
// complete. A frame of another protocol version is returned as is (its
// `version` differs); the caller decides what to say about it.
class FrameDecoder {
 public:
  // Frames whose header announces more than `max_payload` bytes are refused
  // before any of it is buffered.
  explicit FrameDecoder(std::uint32_t max_payload = kMaxPayload) : max_payload_(max_payload) {}
  void feed(std::string_view bytes);
  // Throws ProtocolError on a malformed header (bad magic, oversized payload).
  std::optional<Frame> next();
  bool idle() const { return buffer_.empty(); }

 private:
  std::uint32_t max_payload_;
  std::string buffer_;
};

// The one-line explanation printed when the two sides speak different versions.
std::string version_mismatch_message(std::uint16_t client_version, std::uint16_t daemon_version);

}  // namespace wale::proto
