// WAL-G's daemon protocol as its clients send it: the 3-byte header whose
// length counts itself, byte-by-byte decoding, the argument list of a
// wal-fetch, and the malformed messages wal-ed must answer with 'E'. The
// bytes are those walg-daemon-client and walg_archive send
// (tests/fixtures/walg-protocol/captures.json).
#include "proto/walg_message.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proto/frame.hpp"

using wale::proto::ProtocolError;
using wale::proto::walg::decode_args;
using wale::proto::walg::Message;
using wale::proto::walg::MessageDecoder;
using wale::proto::walg::MessageType;
using wale::proto::walg::starts_message;

namespace {

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// walg-daemon-client SOCKET wal-push 000000010000000000000002
const std::string kPush = unhex("46001b303030303030303130303030303030303030303030303032");
// walg-daemon-client SOCKET wal-fetch 000000010000000000000002 pg_wal/RECOVERYXLOG
const std::string kFetch =
    unhex("660033020018303030303030303130303030303030303030303030303032001370675f77616c2f5245434f56455259584c4f47");
// walg_archive's check_configured_cb
const std::string kCheck = unhex("430008434845434b");

}  // namespace

TEST_CASE("WAL-G messages decode as their clients send them", "[proto][walg]") {
  MessageDecoder decoder;
  decoder.feed(kCheck + kPush);
  auto check = decoder.next();
  REQUIRE(check);
  CHECK(check->type == MessageType::check);
  CHECK(check->body == "CHECK");
  auto push = decoder.next();
  REQUIRE(push);
  CHECK(push->type == MessageType::wal_push);
  CHECK(push->body == "000000010000000000000002");
  CHECK_FALSE(decoder.next());
  CHECK(decoder.idle());

  decoder.feed(kFetch);
  auto fetch = decoder.next();
  REQUIRE(fetch);
  CHECK(fetch->type == MessageType::wal_fetch);
  CHECK(decode_args(fetch->body) == std::vector<std::string>{"000000010000000000000002", "pg_wal/RECOVERYXLOG"});
}

TEST_CASE("WAL-G messages arriving a byte at a time", "[proto][walg]") {
  MessageDecoder decoder;
  for (std::size_t i = 0; i + 1 < kFetch.size(); ++i) {
    decoder.feed(kFetch.substr(i, 1));
    CHECK_FALSE(decoder.next());
    CHECK_FALSE(decoder.idle());
  }
  decoder.feed(kFetch.substr(kFetch.size() - 1));
  auto m = decoder.next();
  REQUIRE(m);
  CHECK(m->body.size() == kFetch.size() - 3);
}

TEST_CASE("a WAL-G message with an empty body", "[proto][walg]") {
  MessageDecoder decoder;
  decoder.feed(unhex("460003"));
  auto m = decoder.next();
  REQUIRE(m);
  CHECK(m->type == MessageType::wal_push);
  CHECK(m->body.empty());
}

TEST_CASE("malformed WAL-G messages are protocol errors", "[proto][walg]") {
  SECTION("unknown type, seen at its first byte") {
    MessageDecoder decoder;
    decoder.feed("X");
    CHECK_THROWS_WITH(decoder.next(), Catch::Contains("unknown WAL-G message type 88 ('X')"));
  }
  SECTION("wal-e's frame magic is not a WAL-G message") {
    MessageDecoder decoder;
    decoder.feed("WALE");
    CHECK_THROWS_AS(decoder.next(), ProtocolError);
  }
  SECTION("a length shorter than the header") {
    for (const char* bytes : {"460000", "460002"}) {
      MessageDecoder decoder;
      decoder.feed(unhex(bytes));
      CHECK_THROWS_WITH(decoder.next(), Catch::Contains("shorter than its header"));
    }
  }
}

TEST_CASE("the largest WAL-G message", "[proto][walg]") {
  MessageDecoder decoder;
  decoder.feed(unhex("46ffff") + std::string(65532, 'A'));
  auto m = decoder.next();
  REQUIRE(m);
  CHECK(m->body.size() == 65532u);
}

TEST_CASE("WAL-G argument lists", "[proto][walg]") {
  CHECK(decode_args(unhex("00")).empty());
  CHECK(decode_args(unhex("020000000141")) == std::vector<std::string>{"", "A"});
  CHECK_THROWS_WITH(decode_args(""), Catch::Contains("empty"));
  CHECK_THROWS_WITH(decode_args(unhex("01")), Catch::Contains("ends inside argument 1"));
  CHECK_THROWS_WITH(decode_args(unhex("0100")), Catch::Contains("ends inside argument 1"));
  CHECK_THROWS_WITH(decode_args(unhex("01000941")), Catch::Contains("argument 1 is longer than its message"));
  CHECK_THROWS_WITH(decode_args(unhex("0100014142")), Catch::Contains("1 bytes after its last argument"));
}

TEST_CASE("which first bytes start a WAL-G message", "[proto][walg]") {
  CHECK(starts_message('C'));
  CHECK(starts_message('F'));
  CHECK(starts_message('f'));
  CHECK_FALSE(starts_message('W'));  // wal-e's frames
  CHECK_FALSE(starts_message('O'));
  CHECK_FALSE(starts_message(0));
}
