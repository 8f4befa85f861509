// GPG stages: round trips, interoperability with the real gpg in both
// directions (WAL-E's `gpg -e -z 0 -r KEY` and `gpg -d -q --batch`), the
// lzop -> gpg chain, damage and key errors, cancellation and bounded memory.
//
// Every run works in throwaway GNUPGHOMEs with fresh passphrase-less keys, so
// the invoking user's keyring is never touched; their gpg-agents are stopped
// at the end.
#include "common/codec/gpg.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/codec/lzop.hpp"
#include "common/core/error.hpp"
#include "common/core/stream.hpp"
#include "tests/unit/support/temp_dir.hpp"

namespace fs = std::filesystem;
using wale::codec::GpgDecryptor;
using wale::codec::GpgEncryptor;
using wale::test::run_command;
using wale::test::shell_quote;
using wale::test::TempDir;

namespace {

// ---- shell and files -------------------------------------------------------

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spill(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

// ---- keyrings --------------------------------------------------------------

// A GNUPGHOME of its own (mode 0700) holding one fresh ed25519/cv25519 key.
// ("future-default": gpg 2.2's "default" is RSA 3072, slower to generate.)
// Under /tmp, a short path: gpg-agent's socket lives in the home directory
// when there is no /run/user/UID, and socket paths are limited to 107 bytes.
class GpgHome {
 public:
  GpgHome(const char* label, const std::string& uid, const std::string& passphrase = "")
      : dir_(label), path_(dir_.path()) {
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::replace);
    const int status = run_command(gpg() + " --passphrase " + shell_quote(passphrase) + " --quick-gen-key " +
                                   shell_quote(uid) + " future-default default never 2>/dev/null")
                           .status;
    REQUIRE(status == 0);
    std::istringstream listing(run_command(gpg() + " --with-colons --list-secret-keys 2>/dev/null").output);
    for (std::string line; std::getline(listing, line);) {
      if (line.rfind("fpr:", 0) != 0) continue;
      // fpr:::::::::FINGERPRINT:
      std::size_t at = 0;
      for (int field = 0; field < 9; ++field) at = line.find(':', at) + 1;
      fingerprint_ = line.substr(at, line.find(':', at) - at);
      break;
    }
    REQUIRE(fingerprint_.size() == 40);
  }
  ~GpgHome() { run_command("GNUPGHOME=" + shell_quote(path_.string()) + " gpgconf --kill gpg-agent >/dev/null 2>&1"); }
  GpgHome(const GpgHome&) = delete;
  GpgHome& operator=(const GpgHome&) = delete;

  const fs::path& path() const { return path_; }
  const std::string& fingerprint() const { return fingerprint_; }
  std::string long_key_id() const { return fingerprint_.substr(24); }
  // The gpg command line for this keyring, for the CLI side of the tests.
  std::string gpg() const { return "gpg --homedir " + shell_quote(path_.string()) + " --batch --quiet"; }

 private:
  TempDir dir_;  // removed after the destructor stopped the agent
  fs::path path_;
  std::string fingerprint_;
};

// The keyring gpgme sees (through GNUPGHOME) in all tests but the ones that
// swap it for a moment. Created on first use and torn down at exit.
const GpgHome& home() {
  static const GpgHome instance("gpg", "wal-e test <test@example.invalid>");
  static const bool exported = setenv("GNUPGHOME", instance.path().c_str(), 1) == 0;
  REQUIRE(exported);
  return instance;
}

// Points gpgme (and gpg) at another keyring for one scope.
class ScopedGnupgHome {
 public:
  explicit ScopedGnupgHome(const fs::path& path) : previous_(home().path().string()) {
    REQUIRE(setenv("GNUPGHOME", path.c_str(), 1) == 0);
  }
  ~ScopedGnupgHome() { setenv("GNUPGHOME", previous_.c_str(), 1); }
  ScopedGnupgHome(const ScopedGnupgHome&) = delete;
  ScopedGnupgHome& operator=(const ScopedGnupgHome&) = delete;

 private:
  std::string previous_;
};

// ---- data and feeding ------------------------------------------------------

std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

// Odd sizes on purpose: below, across and far beyond the stage's 256 KiB chunks.
const std::vector<std::size_t> kOddPieces = {1, 7, 4093, 65537, 300001, 13, 262145};

void feed(wale::ByteSink& sink, std::string_view data, const std::vector<std::size_t>& pattern = kOddPieces) {
  for (std::size_t k = 0, at = 0; at < data.size(); ++k) {
    const std::size_t piece = std::min(pattern[k % pattern.size()], data.size() - at);
    sink.write(data.substr(at, piece));
    at += piece;
  }
}

std::string encrypt(std::string_view data, const std::string& key_id,
                     const std::vector<std::size_t>& pattern = kOddPieces) {
  wale::StringSink out;
  GpgEncryptor encryptor(out, key_id);
  feed(encryptor, data, pattern);
  encryptor.close();
  return std::move(out.data());
}

std::string decrypt(std::string_view ciphertext, const std::vector<std::size_t>& pattern = kOddPieces) {
  wale::StringSink out;
  GpgDecryptor decryptor(out);
  feed(decryptor, ciphertext, pattern);
  decryptor.close();
  return std::move(out.data());
}

// The error decrypting `ciphertext` ends with, if any.
std::optional<wale::Error> decrypt_error(std::string_view ciphertext) {
  try {
    (void)decrypt(ciphertext);
  } catch (const wale::Error& e) {
    return e;
  }
  return std::nullopt;
}

// What gpg itself makes of `ciphertext`, the way WAL-E's fetch pipeline runs it.
std::string gpg_decrypt(const GpgHome& keyring, std::string_view ciphertext) {
  const fs::path in = keyring.path() / "cli-in";
  const fs::path out = keyring.path() / "cli-out";
  spill(in, ciphertext);
  REQUIRE(run_command("gpg --homedir " + shell_quote(keyring.path().string()) + " -d -q --batch < " +
                      shell_quote(in.string()) + " > " + shell_quote(out.string()))
              .status == 0);
  return slurp(out);
}

// The packet types and literal-data details `gpg --list-packets` shows,
// one a line, without key ids, sizes and dates.
std::string packet_structure(const GpgHome& keyring, std::string_view ciphertext) {
  const fs::path in = keyring.path() / "packets-in";
  spill(in, ciphertext);
  std::istringstream listing(
      run_command(keyring.gpg() + " --list-packets < " + shell_quote(in.string()) + " 2>/dev/null").output);
  std::string structure;
  for (std::string line; std::getline(listing, line);) {
    if (line.rfind(":", 0) == 0) {
      structure += line + "\n";
    } else if (line.find("mode ") != std::string::npos || line.find("mdc_method") != std::string::npos) {
      // "\tmode b (62), created 1700000000, name=\"\"," -> mode and name only
      const std::size_t mode = line.find("mode ");
      const std::size_t name = line.find("name=");
      if (mode != std::string::npos) structure += line.substr(mode, 6) + "\n";
      if (name != std::string::npos) structure += line.substr(name) + "\n";
      if (line.find("mdc_method") != std::string::npos) structure += "mdc\n";
    }
  }
  return structure;
}

class ThrowingSink final : public wale::ByteSink {
 public:
  explicit ThrowingSink(std::size_t limit) : limit_(limit) {}
  void write(std::string_view data) override {
    seen_ += data.size();
    if (seen_ > limit_) throw std::runtime_error("sink is full");
  }
  void close() override { ++closes_; }
  int closes() const { return closes_; }

 private:
  std::size_t limit_;
  std::size_t seen_ = 0;
  int closes_ = 0;
};

// ---- memory ----------------------------------------------------------------

// VmRSS or VmHWM from /proc/self/status, in KiB; 0 when unavailable.
std::size_t status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field, 0) == 0 && line.size() > field.size() && line[field.size()] == ':') {
      return std::stoul(line.substr(field.size() + 1));
    }
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux 4.0+), so that the peak measured
// afterwards belongs to the code under test rather than to earlier tests.
bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good();
}

}  // namespace

// ---- availability ----------------------------------------------------------

TEST_CASE("gpg: the engine is available") {
  std::string why;
  const bool available = wale::codec::gpg_available(why);
  INFO(why);
  REQUIRE(available);
  CHECK_THAT(why, Catch::Matchers::StartsWith("gpg 2."));
}

// ---- round trips -----------------------------------------------------------

TEST_CASE("gpg: round trip of empty input") {
  const std::string ciphertext = encrypt("", home().fingerprint());
  CHECK_FALSE(ciphertext.empty());
  CHECK(decrypt(ciphertext).empty());
  CHECK(gpg_decrypt(home(), ciphertext).empty());
}

TEST_CASE("gpg: round trip of small input") {
  const std::string data = "pg_xlog segment 000000010000000000000001\n";
  const std::string ciphertext = encrypt(data, home().fingerprint());
  CHECK(ciphertext.find("pg_xlog") == std::string::npos);
  CHECK(decrypt(ciphertext) == data);
  CHECK(decrypt(ciphertext, {1}) == data);
}

TEST_CASE("gpg: round trip of 5 MiB random data in odd pieces") {
  const std::string data = random_bytes(5 * 1024 * 1024 + 17, 1);
  const std::string ciphertext = encrypt(data, home().fingerprint());
  // No compression and little overhead: random data stays its size.
  CHECK(ciphertext.size() > data.size());
  CHECK(ciphertext.size() < data.size() + 4096);
  CHECK(decrypt(ciphertext) == data);
  CHECK(decrypt(ciphertext, {1024 * 1024}) == data);
}

TEST_CASE("gpg: the recipient may be given in any form gpg accepts") {
  const std::string data = random_bytes(1000, 2);
  for (const std::string& key_id : {home().fingerprint(), home().long_key_id(), "0x" + home().long_key_id(),
                                    std::string("test@example.invalid"), std::string("wal-e test")}) {
    INFO("key id " << key_id);
    CHECK(decrypt(encrypt(data, key_id)) == data);
  }
}

// ---- interoperability with gpg (WAL-E) -------------------------------------

TEST_CASE("gpg: our ciphertext decrypts with gpg -d --batch") {
  const std::string data = random_bytes(3 * 1024 * 1024 + 5, 3);
  CHECK(gpg_decrypt(home(), encrypt(data, home().fingerprint())) == data);
}

TEST_CASE("gpg: what gpg -e -z 0 writes decrypts with ours") {
  const std::string data = random_bytes(3 * 1024 * 1024 + 11, 4);
  const fs::path in = home().path() / "wale-plain";
  const fs::path out = home().path() / "wale-cipher";
  spill(in, data);
  // WAL-E's GPGEncryptionFilter, word for word (no --batch).
  REQUIRE(run_command("gpg --homedir " + shell_quote(home().path().string()) + " -e -z 0 -r " +
                      shell_quote(home().fingerprint()) + " < " + shell_quote(in.string()) + " > " +
                      shell_quote(out.string()) + " 2>/dev/null")
              .status == 0);
  CHECK(decrypt(slurp(out)) == data);
}

TEST_CASE("gpg: ciphertext is binary OpenPGP laid out like gpg -e -z 0") {
  const std::string data = random_bytes(100'000, 5);
  const std::string ours = encrypt(data, home().fingerprint());
  // A binary packet tag (bit 7 set), not "-----BEGIN PGP MESSAGE-----".
  REQUIRE_FALSE(ours.empty());
  CHECK((static_cast<unsigned char>(ours[0]) & 0x80) != 0);

  const fs::path in = home().path() / "layout-plain";
  const fs::path out = home().path() / "layout-cipher";
  spill(in, data);
  REQUIRE(run_command(home().gpg() + " -e -z 0 -r " + shell_quote(home().fingerprint()) + " < " +
                      shell_quote(in.string()) + " > " + shell_quote(out.string()))
              .status == 0);
  const std::string structure = packet_structure(home(), ours);
  INFO(structure);
  CHECK(structure.find(":pubkey enc packet:") != std::string::npos);
  CHECK(structure.find(":encrypted data packet:\nmdc\n") != std::string::npos);
  CHECK(structure.find(":literal data packet:\nmode b\nname=\"\",\n") != std::string::npos);
  CHECK(structure.find(":compressed packet:") == std::string::npos);
  CHECK(structure == packet_structure(home(), slurp(out)));
}

TEST_CASE("gpg: lzop then gpg round trips and matches WAL-E's pipelines") {
  const std::string data = random_bytes(700'000, 6) + std::string(2'000'000, 'x') + random_bytes(300'001, 7);
  wale::StringSink object;
  {
    GpgEncryptor encryptor(object, home().fingerprint());
    wale::codec::LzopEncoder compressor(encryptor);
    feed(compressor, data);
    compressor.close();  // closes the encryptor, which closes `object`
  }
  CHECK(object.data().size() < data.size());  // lzop compressed the run of x

  wale::StringSink restored;
  {
    wale::codec::LzopDecoder decompressor(restored);
    GpgDecryptor decryptor(decompressor);
    feed(decryptor, object.data());
    decryptor.close();
  }
  CHECK(restored.data() == data);

  // WAL-E's fetch: gpg -d -q --batch | lzop -d -c -
  const fs::path in = home().path() / "chain-in";
  const fs::path out = home().path() / "chain-out";
  spill(in, object.data());
  REQUIRE(run_command("gpg --homedir " + shell_quote(home().path().string()) + " -d -q --batch < " +
                      shell_quote(in.string()) + " | lzop -d -c - > " + shell_quote(out.string()))
              .status == 0);
  CHECK(slurp(out) == data);
}

TEST_CASE("gpg: an untrusted public key still encrypts") {
  GpgHome other("gpg-other", "wal-e other <other@example.invalid>");
  const fs::path exported = other.path() / "public-key";
  REQUIRE(run_command(other.gpg() + " --export " + shell_quote(other.fingerprint()) + " > " +
                      shell_quote(exported.string()))
              .status == 0);
  REQUIRE(run_command(home().gpg() + " --import " + shell_quote(exported.string()) + " 2>/dev/null").status == 0);

  const std::string data = random_bytes(10'000, 8);
  const fs::path in = home().path() / "untrusted-plain";
  spill(in, data);
  // Plain gpg refuses the key without a trust decision (WAL-E would fail) ...
  CHECK(run_command(home().gpg() + " -e -z 0 -r " + shell_quote(other.fingerprint()) + " < " +
                    shell_quote(in.string()) + " > /dev/null 2>&1")
            .status != 0);
  // ... the stage trusts the configured key, and only its owner can read the result.
  const std::string ciphertext = encrypt(data, other.fingerprint());
  CHECK(gpg_decrypt(other, ciphertext) == data);
  const auto error = decrypt_error(ciphertext);
  REQUIRE(error);
  CHECK(error->kind() == wale::ErrorKind::corrupt);
  CHECK_THAT(error->what(), Catch::Matchers::Contains("no secret key") && Catch::Matchers::Contains("(encrypted to "));

  REQUIRE(run_command(home().gpg() + " --yes --delete-keys " + shell_quote(other.fingerprint()) + " 2>/dev/null")
              .status == 0);
}

// ---- errors ----------------------------------------------------------------

TEST_CASE("gpg: damaged ciphertext is a corrupt error") {
  const std::string data = random_bytes(200'000, 9);
  const std::string ciphertext = encrypt(data, home().fingerprint());
  for (const std::size_t at : {std::size_t{3}, std::size_t{40}, std::size_t{150}, ciphertext.size() / 2,
                               ciphertext.size() - 30, ciphertext.size() - 1}) {
    INFO("flipped byte " << at << " of " << ciphertext.size());
    std::string damaged = ciphertext;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    const auto error = decrypt_error(damaged);
    REQUIRE(error);
    CHECK(error->kind() == wale::ErrorKind::corrupt);
  }
}

TEST_CASE("gpg: truncated and foreign data is a corrupt error") {
  const std::string data = random_bytes(200'000, 10);
  const std::string ciphertext = encrypt(data, home().fingerprint());
  for (const std::size_t keep : {std::size_t{0}, std::size_t{1}, std::size_t{60}, ciphertext.size() / 2,
                                 ciphertext.size() - 1}) {
    INFO("kept " << keep << " of " << ciphertext.size() << " bytes");
    const auto error = decrypt_error(std::string_view(ciphertext).substr(0, keep));
    REQUIRE(error);
    CHECK(error->kind() == wale::ErrorKind::corrupt);
  }
  // An unencrypted object under a configured key: lzop, not OpenPGP.
  const auto error = decrypt_error(wale::codec::lzop_compress(data));
  REQUIRE(error);
  CHECK(error->kind() == wale::ErrorKind::corrupt);
  INFO(error->what());
}

TEST_CASE("gpg: an unknown key id is a usage error naming it") {
  (void)home();
  for (const std::string key_id : {"0x0123456789ABCDEF", "nobody@example.invalid"}) {
    wale::StringSink out;
    try {
      GpgEncryptor encryptor(out, key_id);
      FAIL("constructed an encryptor for " << key_id);
    } catch (const wale::Error& e) {
      CHECK(e.kind() == wale::ErrorKind::usage);
      CHECK_THAT(e.what(), Catch::Matchers::Contains("GPG key '" + key_id + "' is not in the keyring of ") &&
                               Catch::Matchers::Contains("GNUPGHOME=" + home().path().string()) &&
                               Catch::Matchers::Contains("WALE_GPG_KEY_ID"));
    }
  }
  wale::StringSink out;
  CHECK_THROWS_AS(GpgEncryptor(out, ""), wale::Error);
  CHECK_THROWS_AS(GpgEncryptor(out, home().fingerprint() + "\n--hidden"), wale::Error);
}

TEST_CASE("gpg: a passphrase-protected secret key fails without prompting") {
  GpgHome locked("gpg-locked", "wal-e locked <locked@example.invalid>", "secret words");
  const std::string data = random_bytes(5000, 11);
  const fs::path in = locked.path() / "plain";
  const fs::path out = locked.path() / "cipher";
  spill(in, data);
  REQUIRE(run_command(locked.gpg() + " -e -z 0 -r " + shell_quote(locked.fingerprint()) + " < " +
                      shell_quote(in.string()) + " > " + shell_quote(out.string()))
              .status == 0);
  // Forget any passphrase the agent cached while generating the key.
  REQUIRE(run_command("GNUPGHOME=" + shell_quote(locked.path().string()) + " gpgconf --reload gpg-agent").status == 0);

  const ScopedGnupgHome scope(locked.path());
  const auto started = std::chrono::steady_clock::now();
  const auto error = decrypt_error(slurp(out));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  REQUIRE(error);
  INFO(error->what());
  CHECK(error->kind() == wale::ErrorKind::usage);
  CHECK_THAT(error->what(), Catch::Matchers::Contains("passphrase"));
}

TEST_CASE("gpg: an exception from the next sink propagates") {
  const std::string data = random_bytes(4 * 1024 * 1024, 12);
  ThrowingSink sink(600'000);
  GpgEncryptor encryptor(sink, home().fingerprint());
  bool thrown = false;
  try {
    feed(encryptor, data);
    encryptor.close();
  } catch (const std::runtime_error& e) {
    thrown = std::string_view(e.what()) == "sink is full";
  }
  CHECK(thrown);
  // The stage is dead: it repeats the failure and never closes the sink.
  CHECK_THROWS_WITH(encryptor.write("more"), "sink is full");
  CHECK_THROWS_WITH(encryptor.close(), "sink is full");
  CHECK(sink.closes() == 0);

  const std::string ciphertext = encrypt(data, home().fingerprint());
  ThrowingSink plain_sink(1'000'000);
  GpgDecryptor decryptor(plain_sink);
  CHECK_THROWS_WITH((feed(decryptor, ciphertext), decryptor.close()), "sink is full");
}

TEST_CASE("gpg: a failure from gpg surfaces in write while input keeps coming") {
  // Garbage: gpg gives up early, and write() must report it rather than
  // block on a full queue nobody drains.
  const std::string garbage = random_bytes(8 * 1024 * 1024, 13);
  wale::StringSink out;
  GpgDecryptor decryptor(out);
  try {
    feed(decryptor, garbage);
    decryptor.close();
    FAIL("garbage decrypted");
  } catch (const wale::Error& e) {
    CHECK(e.kind() == wale::ErrorKind::corrupt);
  }
}

TEST_CASE("gpg: destroying a stage mid-stream does not hang") {
  const auto started = std::chrono::steady_clock::now();
  const std::string data = random_bytes(3 * 1024 * 1024, 14);
  {
    wale::StringSink out;
    GpgEncryptor encryptor(out, home().fingerprint());
    feed(encryptor, data);
  }
  {
    wale::StringSink out;
    GpgEncryptor encryptor(out, home().fingerprint());
  }
  const std::string ciphertext = encrypt(data, home().fingerprint());
  {
    wale::StringSink out;
    GpgDecryptor decryptor(out);
    feed(decryptor, std::string_view(ciphertext).substr(0, ciphertext.size() / 2));
  }
  {
    wale::StringSink out;
    GpgDecryptor decryptor(out);
  }
  {
    // The caller stops calling, so the worker ends up blocked on a full
    // output queue when the stage is destroyed.
    wale::NullSink out;
    GpgEncryptor encryptor(out, home().fingerprint());
    encryptor.write(data);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  // And gpg still works afterwards.
  CHECK(decrypt(ciphertext) == data);
}

TEST_CASE("gpg: stages run in parallel threads") {
  const std::string key = home().fingerprint();
  constexpr int kThreads = 4;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs(kThreads);
  std::vector<std::string> failures(kThreads);
  for (int i = 0; i < kThreads; ++i) inputs.push_back(random_bytes(1'500'000 + static_cast<std::size_t>(i), 20 + static_cast<std::uint64_t>(i)));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const auto at = static_cast<std::size_t>(i);
      try {
        // Catch's assertions are not thread-safe: the threads only record.
        wale::StringSink cipher;
        {
          GpgEncryptor encryptor(cipher, key);
          encryptor.write(inputs[at]);
          encryptor.close();
        }
        wale::StringSink plain;
        GpgDecryptor decryptor(plain);
        decryptor.write(cipher.data());
        decryptor.close();
        outputs[at] = std::move(plain.data());
      } catch (const std::exception& e) {
        failures[at] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kThreads; ++i) {
    const auto at = static_cast<std::size_t>(i);
    INFO("thread " << i);
    CHECK(failures[at].empty());
    CHECK(outputs[at] == inputs[at]);
  }
}

// ---- resources ---------------------------------------------------------------

TEST_CASE("gpg: memory stays bounded on 200 MiB") {
  const std::string block = random_bytes(1024 * 1024, 15);
  constexpr std::size_t kBlocks = 200;
  wale::NullSink null;
  wale::CountingSink counted(null);

  // Warm up (gpgme, gpg-agent, the allocator), then measure only the stream.
  (void)encrypt(block, home().fingerprint());
  const bool reset = reset_peak_rss();
  const std::size_t before = status_kib("VmRSS");
  {
    GpgEncryptor encryptor(counted, home().fingerprint());
    for (std::size_t i = 0; i < kBlocks; ++i) encryptor.write(block);
    encryptor.close();
  }
  const std::size_t peak = status_kib("VmHWM");
  CHECK(counted.count() > kBlocks * block.size());
  // Framing: partial-length headers of the data packets, a few per 8 KiB.
  CHECK(counted.count() < kBlocks * block.size() + kBlocks * block.size() / 1000 + 4096);
  if (!reset || before == 0 || peak == 0) {
    WARN("peak RSS not measurable here (/proc/self/clear_refs or /proc/self/status unavailable)");
    return;
  }
  const std::size_t growth_kib = peak > before ? peak - before : 0;
  INFO("RSS before " << before << " KiB, peak " << peak << " KiB");
  CHECK(growth_kib < 32 * 1024);
  std::cout << "gpg: 200 MiB encrypted with peak RSS growth of " << growth_kib << " KiB\n";
}

// Not run by default: `gpgtest "[bench]"`. Compare with gpg itself on the
// same 64 MiB.
TEST_CASE("gpg: throughput on 64 MiB", "[.][bench]") {
  constexpr std::size_t kSize = 64 * 1024 * 1024;
  const std::string data = random_bytes(kSize, 16);
  const auto seconds_since = [](std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto mb_per_s = [&](double seconds) { return static_cast<double>(kSize) / 1e6 / seconds; };

  (void)decrypt(encrypt("warm up", home().fingerprint()));
  auto start = std::chrono::steady_clock::now();
  std::string ciphertext;
  {
    wale::StringSink out;
    GpgEncryptor encryptor(out, home().fingerprint());
    for (std::size_t at = 0; at < kSize; at += 256 * 1024) encryptor.write(std::string_view(data).substr(at, 256 * 1024));
    encryptor.close();
    ciphertext = std::move(out.data());
  }
  const double encrypt_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  {
    wale::NullSink null;
    wale::CountingSink out(null);
    GpgDecryptor decryptor(out);
    for (std::size_t at = 0; at < ciphertext.size(); at += 256 * 1024) {
      decryptor.write(std::string_view(ciphertext).substr(at, 256 * 1024));
    }
    decryptor.close();
    REQUIRE(out.count() == kSize);
  }
  const double decrypt_s = seconds_since(start);

  const fs::path plain = home().path() / "bench-plain";
  const fs::path cipher = home().path() / "bench-cipher";
  spill(plain, data);
  start = std::chrono::steady_clock::now();
  REQUIRE(run_command("gpg --homedir " + shell_quote(home().path().string()) + " -e -z 0 -r " +
                      shell_quote(home().fingerprint()) + " < " + shell_quote(plain.string()) + " > " +
                      shell_quote(cipher.string()))
              .status == 0);
  const double gpg_encrypt_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  REQUIRE(run_command("gpg --homedir " + shell_quote(home().path().string()) + " -d -q --batch < " +
                      shell_quote(cipher.string()) + " > /dev/null")
              .status == 0);
  const double gpg_decrypt_s = seconds_since(start);
  fs::remove(plain);
  fs::remove(cipher);

  std::cout << "gpg throughput on 64 MiB (MB/s): GpgEncryptor " << mb_per_s(encrypt_s) << ", gpg -e -z 0 "
            << mb_per_s(gpg_encrypt_s) << "; GpgDecryptor " << mb_per_s(decrypt_s) << ", gpg -d "
            << mb_per_s(gpg_decrypt_s) << "\n";
}
