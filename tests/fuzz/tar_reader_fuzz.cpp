// libFuzzer target for the tar reader: hostile archives must end in
// wale::Error (kind corrupt) or success, never in a crash, an overrun or an
// unbounded allocation. The input is fed whole and also split in two at a
// point taken from its first byte; because the reader is a push parser, both
// feedings must report the same members and end the same way.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/archive/tar.hpp"
#include "common/core/error.hpp"

namespace {

using wale::archive::TarMember;
using wale::archive::TarReader;

// Folds every event into a digest and traps on a broken visitor protocol.
class Digest final : public TarReader::Visitor {
 public:
  void begin_member(const TarMember& m) override {
    if (open_) __builtin_trap();
    open_ = true;
    left_ = m.size;
    mix(m.name);
    mix(m.link_target);
    mix(m.uname + "/" + m.gname);
    mix(std::to_string(static_cast<int>(m.type)) + " " + std::to_string(m.mode) + " " + std::to_string(m.uid) + " " +
        std::to_string(m.gid) + " " + std::to_string(m.size) + " " + std::to_string(m.mtime) + "." +
        std::to_string(m.mtime_nsec));
    if (m.mode > 07777 || m.mtime_nsec >= 1'000'000'000) __builtin_trap();
    if (m.type != TarMember::Type::file && m.size != 0) __builtin_trap();
  }
  void member_data(std::string_view data) override {
    if (!open_ || data.empty() || data.size() > left_) __builtin_trap();
    left_ -= data.size();
    for (const char c : data) value_ = value_ * 31 + static_cast<unsigned char>(c);  // touch every byte
  }
  void end_member() override {
    if (!open_ || left_ != 0) __builtin_trap();
    open_ = false;
    mix("end");
  }
  std::size_t value() const { return value_; }

 private:
  void mix(const std::string& s) { value_ = value_ * 1000003 ^ std::hash<std::string>{}(s); }

  bool open_ = false;
  std::uint64_t left_ = 0;
  std::size_t value_ = 0;
};

struct Outcome {
  std::size_t digest = 0;
  std::string error;
};

Outcome decode(std::string_view first, std::string_view second) {
  Digest digest;
  TarReader reader(digest);
  Outcome outcome;
  try {
    reader.write(first);
    reader.write(second);
    reader.close();
  } catch (const wale::Error& e) {
    if (e.kind() != wale::ErrorKind::corrupt) __builtin_trap();
    outcome.error = e.what();
    if (outcome.error.find('\n') != std::string::npos) __builtin_trap();
  }
  outcome.digest = digest.value();
  return outcome;
}

void check(std::string_view input) {
  const Outcome whole = decode(input, {});
  if (input.empty()) return;
  const std::size_t split = static_cast<std::uint8_t>(input[0]) * input.size() / 256;
  const Outcome halves = decode(input.substr(0, split), input.substr(split));
  if (halves.error != whole.error) __builtin_trap();
  if (halves.error.empty() && halves.digest != whole.digest) __builtin_trap();
}

// Mutations rarely keep a header's checksum right, so most inputs would stop
// at the first header. A copy with the checksum of every non-zero block
// rewritten lets the fuzzer reach the field and pax parsers.
std::string with_checksums(std::string_view input) {
  std::string out(input);
  for (std::size_t at = 0; at + 512 <= out.size(); at += 512) {
    const std::string_view block(out.data() + at, 512);
    if (block.find_first_not_of('\0') == std::string_view::npos) continue;
    unsigned sum = 8 * ' ';
    for (std::size_t i = 0; i < 148; ++i) sum += static_cast<unsigned char>(block[i]);
    for (std::size_t i = 156; i < 512; ++i) sum += static_cast<unsigned char>(block[i]);
    for (std::size_t i = 0; i < 6; ++i) out[at + 148 + i] = static_cast<char>('0' + ((sum >> (3 * (5 - i))) & 7));
    out[at + 154] = '\0';
    out[at + 155] = ' ';
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input);
  if (size >= 512) check(with_checksums(input));
  return 0;
}
