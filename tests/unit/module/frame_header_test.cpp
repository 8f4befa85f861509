// The archive module's C frame header code (module/wire.c) against
// proto/'s encoder and decoder: both sides of the socket must agree byte
// for byte.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "module/wire.h"
#include "proto/frame.hpp"
#include "proto/request.hpp"

namespace proto = wale::proto;

TEST_CASE("the module's constants are proto's", "[module]") {
  CHECK(WALE_FRAME_HEADER_SIZE == proto::kHeaderSize);
  CHECK(WALE_PROTOCOL_VERSION == proto::kProtocolVersion);
  CHECK(WALE_FRAME_REQUEST == static_cast<int>(proto::FrameType::request));
  CHECK(WALE_FRAME_STDOUT == static_cast<int>(proto::FrameType::stdout_data));
  CHECK(WALE_FRAME_STDERR == static_cast<int>(proto::FrameType::stderr_data));
  CHECK(WALE_FRAME_HEARTBEAT == static_cast<int>(proto::FrameType::heartbeat));
  CHECK(WALE_FRAME_EXIT == static_cast<int>(proto::FrameType::exit_status));
  CHECK(WALE_FRAME_REFUSAL == static_cast<int>(proto::FrameType::refusal));
  CHECK(std::string(WALE_ARCHIVE_MODULE_CLIENT) == proto::kArchiveModuleClient);
}

TEST_CASE("a request framed by the module decodes in the daemon", "[module]") {
  const std::string payload = R"({"argv":["--terse","wal-push","pg_wal/000000010000000000000001"],"cwd":"/d","env":{},"tty":false})";
  std::array<std::uint8_t, WALE_FRAME_HEADER_SIZE> header{};
  wale_encode_frame_header(header.data(), WALE_FRAME_REQUEST, static_cast<std::uint32_t>(payload.size()));
  const std::string bytes = std::string(header.begin(), header.end()) + payload;
  CHECK(bytes == proto::encode_frame(proto::FrameType::request, payload));

  proto::FrameDecoder decoder;
  decoder.feed(bytes);
  auto frame = decoder.next();
  REQUIRE(frame);
  CHECK(frame->version == proto::kProtocolVersion);
  CHECK(frame->type == proto::FrameType::request);
  CHECK(frame->payload == payload);
}

TEST_CASE("the daemon's frames decode in the module", "[module]") {
  for (const auto& [type, payload] : {std::pair{proto::FrameType::exit_status, std::string(1, '\0')},
                                      std::pair{proto::FrameType::stderr_data, std::string(70000, 'x')},
                                      std::pair{proto::FrameType::heartbeat, std::string()}}) {
    const std::string bytes = proto::encode_frame(type, payload);
    WaleFrameHeader header{};
    REQUIRE(wale_decode_frame_header(reinterpret_cast<const std::uint8_t*>(bytes.data()), &header) == 1);
    CHECK(header.version == proto::kProtocolVersion);
    CHECK(header.type == static_cast<std::uint8_t>(type));
    CHECK(header.length == payload.size());
  }
}

TEST_CASE("the module recognises what is not a wal-e frame", "[module]") {
  const std::string refusal_of_v2 = std::string("WALE\x00\x02R\x00\x00\x00\x00\x05", 12);
  WaleFrameHeader header{};
  REQUIRE(wale_decode_frame_header(reinterpret_cast<const std::uint8_t*>(refusal_of_v2.data()), &header) == 1);
  CHECK(header.version == 2u);
  CHECK(header.type == 'R');
  CHECK(header.length == 5u);

  const std::string http = "HTTP/1.1 200";
  CHECK(wale_decode_frame_header(reinterpret_cast<const std::uint8_t*>(http.data()), &header) == 0);
}
