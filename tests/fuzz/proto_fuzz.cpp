// libFuzzer target for what wal-ed reads from its socket: frames (fed
// whole and in two pieces, as they may arrive) and the request JSON inside
// them, and WAL-G's messages and wal-fetch argument lists (the same bytes
// read as WAL-G's wire format). Hostile bytes end in ProtocolError or in a
// request, never in a crash or an unbounded allocation; a decoded request
// encodes and decodes back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/frame.hpp"
#include "proto/request.hpp"
#include "proto/walg_message.hpp"

namespace {

using wale::proto::ProtocolError;

void check_request(std::string_view payload) {
  wale::proto::Request request;
  try {
    request = wale::proto::decode_request(payload);
  } catch (const ProtocolError&) {
    return;
  }
  const auto again = wale::proto::decode_request(wale::proto::encode_request(request));
  if (again.argv != request.argv || again.cwd != request.cwd || again.env != request.env ||
      again.stderr_is_tty != request.stderr_is_tty)
    __builtin_trap();
}

// Frames decoded from the input fed in two pieces; what they carried.
std::string frames(std::string_view first, std::string_view second) {
  wale::proto::FrameDecoder decoder(wale::proto::kMaxRequestPayload);
  std::string seen;
  try {
    for (const std::string_view piece : {first, second}) {
      decoder.feed(piece);
      while (auto frame = decoder.next()) {
        if (frame->payload.size() > wale::proto::kMaxRequestPayload) __builtin_trap();
        if (frame->type == wale::proto::FrameType::request) check_request(frame->payload);
        seen += std::to_string(frame->version) + ":" + static_cast<char>(frame->type) + frame->payload + "|";
      }
    }
  } catch (const ProtocolError& e) {
    seen += std::string("error:") + e.what();
  }
  return seen;
}

// WAL-G messages decoded from the input fed in two pieces; what they carried.
std::string walg_messages(std::string_view first, std::string_view second) {
  namespace walg = wale::proto::walg;
  walg::MessageDecoder decoder;
  std::string seen;
  try {
    for (const std::string_view piece : {first, second}) {
      decoder.feed(piece);
      while (auto m = decoder.next()) {
        if (!walg::starts_message(static_cast<std::uint8_t>(m->type)) || m->body.size() > 0xFFFF) __builtin_trap();
        seen += static_cast<char>(m->type) + m->body + "|";
        if (m->type != walg::MessageType::wal_fetch) continue;
        try {
          for (const auto& arg : walg::decode_args(m->body)) {
            if (arg.size() > m->body.size()) __builtin_trap();
            seen += arg + ",";
          }
        } catch (const ProtocolError&) {
          seen += "bad arguments";
        }
      }
    }
  } catch (const ProtocolError& e) {
    seen += std::string("error:") + e.what();
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_request(input);
  const std::string whole = frames(input, {});
  const std::string walg_whole = walg_messages(input, {});
  if (size > 0) {
    const std::size_t split = static_cast<std::uint8_t>(input[0]) * size / 256;
    if (frames(input.substr(0, split), input.substr(split)) != whole) __builtin_trap();
    if (walg_messages(input.substr(0, split), input.substr(split)) != walg_whole) __builtin_trap();
  }
  return 0;
}
