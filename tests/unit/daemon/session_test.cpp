// A request's answer on either wire: wal-e's frames (output, heartbeats,
// exit status) or WAL-G's single reply byte, chosen by the exit status and
// whether the archive lacked the file.
#include "daemon/session.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "proto/frame.hpp"

using wale::daemon::Session;
using wale::daemon::Wire;
namespace proto = wale::proto;

namespace {

std::string answer(Session& s) {
  bool last = false;
  std::string out = s.take(last);
  CHECK(last);
  return out;
}

}  // namespace

TEST_CASE("a wal-e session sends its output and exit status as frames", "[daemon]") {
  int notified = 0;
  Session s([&] { ++notified; });
  s.write_stderr("log line\n");
  s.heartbeat();
  CHECK(s.finish(1));
  CHECK_FALSE(s.finish(0));  // the first status wins
  proto::FrameDecoder decoder;
  decoder.feed(answer(s));
  CHECK(decoder.next()->type == proto::FrameType::stderr_data);
  CHECK(decoder.next()->type == proto::FrameType::heartbeat);
  const auto exit = decoder.next();
  CHECK(exit->type == proto::FrameType::exit_status);
  CHECK(exit->payload == std::string(1, '\1'));
  CHECK(notified == 3);
}

TEST_CASE("a WAL-G session answers with one byte", "[daemon]") {
  SECTION("done") {
    Session s([] {}, Wire::walg_reply);
    s.write_stderr("nothing of this reaches a WAL-G client\n");
    s.write_stdout("nor this");
    s.heartbeat();
    CHECK(s.finish(0));
    CHECK(answer(s) == "O");
  }
  SECTION("failed") {
    Session s([] {}, Wire::walg_reply);
    CHECK(s.finish(1));
    CHECK(answer(s) == "E");
  }
  SECTION("failed with the recovery-aborting status") {
    Session s([] {}, Wire::walg_reply);
    CHECK(s.finish(255));
    CHECK(answer(s) == "E");
  }
  SECTION("the archive has no such file") {
    Session s([] {}, Wire::walg_reply);
    s.note_not_found();
    CHECK(s.finish(1));
    CHECK(answer(s) == "N");
  }
}
