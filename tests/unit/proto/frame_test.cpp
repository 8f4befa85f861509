// The shim <-> daemon framing: exact header layout, incremental decoding
// byte by byte, damaged and oversized headers, frames of another protocol
// version and unknown frame types.
#include "proto/frame.hpp"
#include "proto/request.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using wale::proto::encode_frame;
using wale::proto::Frame;
using wale::proto::FrameDecoder;
using wale::proto::FrameType;
using wale::proto::kHeaderSize;
using wale::proto::kMaxPayload;
using wale::proto::kProtocolVersion;
using wale::proto::ProtocolError;
using wale::proto::version_mismatch_message;

namespace {

unsigned byte_at(const std::string& s, std::size_t i) { return static_cast<unsigned char>(s.at(i)); }

// A header written by hand, so that the decoder is tested against the
// documented layout rather than against encode_frame.
std::string header(std::uint16_t version, std::uint8_t type, std::uint32_t length, std::uint8_t zero = 0) {
  std::string h = "WALE";
  h.push_back(static_cast<char>(version >> 8));
  h.push_back(static_cast<char>(version & 0xFF));
  h.push_back(static_cast<char>(type));
  h.push_back(static_cast<char>(zero));
  for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>((length >> shift) & 0xFF));
  return h;
}

std::string frame_bytes(std::uint16_t version, std::uint8_t type, const std::string& payload) {
  return header(version, type, static_cast<std::uint32_t>(payload.size())) + payload;
}

std::string binary_payload(std::size_t size) {
  std::string p(size, '\0');
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  return p;
}

}  // namespace

TEST_CASE("frame header layout", "[proto]") {
  CHECK(kHeaderSize == 12u);
  CHECK(kProtocolVersion == 1u);
  CHECK(kMaxPayload == 16u * 1024u * 1024u);

  const std::string f = encode_frame(FrameType::request, "abc");
  REQUIRE(f.size() == kHeaderSize + 3);
  CHECK(f.substr(0, 4) == "WALE");
  CHECK(byte_at(f, 4) == 0u);  // version, big-endian
  CHECK(byte_at(f, 5) == 1u);
  CHECK(byte_at(f, 6) == static_cast<unsigned>('Q'));
  CHECK(byte_at(f, 7) == 0u);
  CHECK(byte_at(f, 8) == 0u);  // length, big-endian
  CHECK(byte_at(f, 9) == 0u);
  CHECK(byte_at(f, 10) == 0u);
  CHECK(byte_at(f, 11) == 3u);
  CHECK(f.substr(12) == "abc");
  CHECK(f == frame_bytes(1, 'Q', "abc"));
}

TEST_CASE("frame length is big-endian", "[proto]") {
  const std::string payload = binary_payload(0x010203);
  const std::string f = encode_frame(FrameType::stdout_data, payload);
  REQUIRE(f.size() == kHeaderSize + 0x010203u);
  CHECK(byte_at(f, 6) == static_cast<unsigned>('O'));
  CHECK(byte_at(f, 8) == 0x00u);
  CHECK(byte_at(f, 9) == 0x01u);
  CHECK(byte_at(f, 10) == 0x02u);
  CHECK(byte_at(f, 11) == 0x03u);
  CHECK(f.compare(kHeaderSize, std::string::npos, payload) == 0);
}

TEST_CASE("frame type bytes", "[proto]") {
  CHECK(static_cast<char>(FrameType::request) == 'Q');
  CHECK(static_cast<char>(FrameType::stdout_data) == 'O');
  CHECK(static_cast<char>(FrameType::stderr_data) == 'E');
  CHECK(static_cast<char>(FrameType::heartbeat) == 'H');
  CHECK(static_cast<char>(FrameType::exit_status) == 'X');
  CHECK(static_cast<char>(FrameType::refusal) == 'R');
}

TEST_CASE("every frame type round-trips", "[proto]") {
  const std::vector<std::pair<FrameType, std::string>> frames{
      {FrameType::request, R"({"argv":["wal-push","pg_wal/000000010000000000000001"]})"},
      {FrameType::stdout_data, std::string("out\0put", 7)},
      {FrameType::stderr_data, "wal_e.main   INFO     MSG: hello\n"},
      {FrameType::heartbeat, ""},
      {FrameType::exit_status, std::string(1, '\0')},
      {FrameType::refusal, "uid 1234 is not allowed"},
  };
  FrameDecoder d;
  CHECK(d.idle());
  for (const auto& [type, payload] : frames) d.feed(encode_frame(type, payload));
  CHECK_FALSE(d.idle());
  for (const auto& [type, payload] : frames) {
    const auto got = d.next();
    REQUIRE(got.has_value());
    CHECK(got->version == kProtocolVersion);
    CHECK(got->type == type);
    CHECK(got->payload == payload);
  }
  CHECK_FALSE(d.next().has_value());
  CHECK(d.idle());
}

TEST_CASE("incremental decoding, one byte at a time", "[proto]") {
  const std::string first = encode_frame(FrameType::stderr_data, "line one\n");
  const std::string second = encode_frame(FrameType::exit_status, std::string(1, '\x01'));
  const std::string third = encode_frame(FrameType::heartbeat, "");
  const std::string stream = first + second + third;

  FrameDecoder d;
  std::vector<Frame> got;
  std::vector<std::size_t> completed_at;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    d.feed(std::string_view(stream).substr(i, 1));
    while (auto f = d.next()) {
      got.push_back(std::move(*f));
      completed_at.push_back(i + 1);
    }
  }
  REQUIRE(got.size() == 3u);
  // each frame is returned exactly when its last byte has arrived
  CHECK(completed_at[0] == first.size());
  CHECK(completed_at[1] == first.size() + second.size());
  CHECK(completed_at[2] == stream.size());
  CHECK(got[0].type == FrameType::stderr_data);
  CHECK(got[0].payload == "line one\n");
  CHECK(got[1].type == FrameType::exit_status);
  CHECK(got[1].payload == std::string(1, '\x01'));
  CHECK(got[2].type == FrameType::heartbeat);
  CHECK(got[2].payload.empty());
  CHECK(d.idle());
}

TEST_CASE("a frame split at every possible point", "[proto]") {
  const std::string f = encode_frame(FrameType::request, binary_payload(300));
  for (std::size_t cut = 0; cut <= f.size(); ++cut) {
    INFO("cut at " << cut);
    FrameDecoder d;
    d.feed(std::string_view(f).substr(0, cut));
    if (cut < f.size()) {
      CHECK_FALSE(d.next().has_value());
      d.feed(std::string_view(f).substr(cut));
    }
    const auto got = d.next();
    REQUIRE(got.has_value());
    CHECK(got->payload == binary_payload(300));
    CHECK_FALSE(d.next().has_value());
  }
}

TEST_CASE("empty input is idle and yields nothing", "[proto]") {
  FrameDecoder d;
  CHECK_FALSE(d.next().has_value());
  d.feed("");
  CHECK_FALSE(d.next().has_value());
  CHECK(d.idle());
}

TEST_CASE("bad magic is a protocol error", "[proto]") {
  SECTION("a whole header") {
    FrameDecoder d;
    std::string bad = encode_frame(FrameType::request, "x");
    bad[0] = 'X';
    d.feed(bad);
    CHECK_THROWS_AS(d.next(), ProtocolError);
  }
  SECTION("detected from the first wrong byte, before a header is complete") {
    FrameDecoder d;
    d.feed("W");
    CHECK_FALSE(d.next().has_value());
    d.feed("A");
    CHECK_FALSE(d.next().has_value());
    d.feed("X");
    CHECK_THROWS_AS(d.next(), ProtocolError);
  }
  SECTION("an HTTP peer") {
    FrameDecoder d;
    d.feed("HTTP/1.1 400 Bad Request\r\n");
    CHECK_THROWS_AS(d.next(), ProtocolError);
  }
  SECTION("lower-case magic") {
    FrameDecoder d;
    d.feed("wale");
    CHECK_THROWS_AS(d.next(), ProtocolError);
  }
  SECTION("the message says what happened") {
    FrameDecoder d;
    d.feed(std::string(12, '\0'));
    try {
      (void)d.next();
      FAIL("no error for a zero header");
    } catch (const ProtocolError& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains("magic"));
    }
  }
}

TEST_CASE("oversized length is a protocol error as soon as the header is in", "[proto]") {
  FrameDecoder d;
  d.feed(header(kProtocolVersion, 'O', kMaxPayload + 1));
  CHECK_THROWS_AS(d.next(), ProtocolError);

  FrameDecoder huge;
  huge.feed(header(kProtocolVersion, 'O', 0xFFFFFFFFu));
  CHECK_THROWS_AS(huge.next(), ProtocolError);

  // exactly the limit is allowed: the decoder waits for the payload
  FrameDecoder limit;
  limit.feed(header(kProtocolVersion, 'O', kMaxPayload));
  CHECK_FALSE(limit.next().has_value());
}

TEST_CASE("a decoder for requests refuses frames beyond the request limit", "[proto]") {
  FrameDecoder d(wale::proto::kMaxRequestPayload);
  d.feed(header(kProtocolVersion, 'Q', wale::proto::kMaxRequestPayload + 1));
  CHECK_THROWS_WITH(d.next(), Catch::Contains("frame of 65537 bytes exceeds the limit of 65536 bytes"));
  FrameDecoder ok(wale::proto::kMaxRequestPayload);
  ok.feed(header(kProtocolVersion, 'Q', wale::proto::kMaxRequestPayload));
  CHECK_FALSE(ok.next().has_value());
}

TEST_CASE("encoding an oversized payload is refused", "[proto]") {
  const std::string too_big(static_cast<std::size_t>(kMaxPayload) + 1, 'a');
  CHECK_THROWS_AS(encode_frame(FrameType::stdout_data, too_big), ProtocolError);
  const std::string limit(kMaxPayload, 'a');
  const std::string f = encode_frame(FrameType::stdout_data, limit);
  CHECK(f.size() == kHeaderSize + kMaxPayload);
  FrameDecoder d;
  d.feed(f);
  const auto got = d.next();
  REQUIRE(got.has_value());
  CHECK(got->payload.size() == kMaxPayload);
}

TEST_CASE("a frame of another protocol version is returned with its version", "[proto]") {
  SECTION("a known type") {
    FrameDecoder d;
    d.feed(frame_bytes(2, 'R', "speak version 2"));
    const auto got = d.next();
    REQUIRE(got.has_value());
    CHECK(got->version == 2u);
    CHECK(got->type == FrameType::refusal);
    CHECK(got->payload == "speak version 2");
  }
  SECTION("a type this version does not know") {
    FrameDecoder d;
    d.feed(frame_bytes(0x0102, 'Z', "future"));
    const auto got = d.next();
    REQUIRE(got.has_value());
    CHECK(got->version == 0x0102u);
    CHECK(static_cast<unsigned>(got->type) == static_cast<unsigned>('Z'));
    CHECK(got->payload == "future");
  }
  SECTION("an older version, followed by a current frame") {
    FrameDecoder d;
    d.feed(frame_bytes(0, 'Q', "old") + encode_frame(FrameType::heartbeat, ""));
    const auto old_frame = d.next();
    REQUIRE(old_frame.has_value());
    CHECK(old_frame->version == 0u);
    CHECK(old_frame->payload == "old");
    const auto current = d.next();
    REQUIRE(current.has_value());
    CHECK(current->version == kProtocolVersion);
    CHECK(current->type == FrameType::heartbeat);
  }
}

TEST_CASE("an unknown frame type of the current version is a protocol error", "[proto]") {
  for (std::uint8_t type : {std::uint8_t{'Z'}, std::uint8_t{'q'}, std::uint8_t{0}, std::uint8_t{0xFF}}) {
    INFO("type " << static_cast<unsigned>(type));
    FrameDecoder d;
    d.feed(frame_bytes(kProtocolVersion, type, "x"));
    CHECK_THROWS_AS(d.next(), ProtocolError);
  }
}

TEST_CASE("version mismatch message names both versions", "[proto]") {
  const std::string m = version_mismatch_message(1, 2);
  CHECK_THAT(m, Catch::Contains("1") && Catch::Contains("2") && Catch::Contains("wal-ed"));
  CHECK(m.find('\n') == std::string::npos);
  CHECK(version_mismatch_message(1, 7) != version_mismatch_message(7, 1));
}
