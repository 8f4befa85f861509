// GPG stages on gpgme, written from shared/spec/wal-e-format.md §5.
//
// gpgme's operations are synchronous and pull/push their data through
// callbacks, while a ByteSink is pushed to. So each stage runs one gpgme
// operation on a worker thread: write() queues input that the worker's read
// callback hands to gpg, and the worker's write callback queues gpg's output,
// which the caller's thread passes on to `next` inside write() and close().
// Keeping every call of `next` on the caller's thread means downstream sinks
// need no locking and their exceptions surface where the caller expects them.
// Both queues hold at most a few 256 KiB chunks, and the chunk buffers are
// recycled, so a 1.5 GiB object costs the same memory as a small one.
#include "common/codec/gpg.hpp"

#include <gpgme.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/core/error.hpp"

// gpgme_op_encrypt_ext (a recipient given as gpg would get it) is from 1.11.
static_assert(GPGME_VERSION_NUMBER >= 0x010b00, "gpgme 1.11 or later is required");

namespace wale::codec {
namespace {

constexpr const char* kMinimumGpgme = "1.11.0";

// gpgme itself moves data in 4 KiB pieces, so larger queues would not make
// gpg faster; they would only multiply memory by the number of concurrent
// uploads. Per stage: at most 3 chunks of input queued, 3 of output queued
// and 3 being delivered, about 2.25 MiB.
constexpr std::size_t kChunk = 256 * 1024;
// Up to this many bytes wait in each direction before the producer blocks.
// At least two chunks, so that a worker blocked on a full output queue
// always leaves a complete chunk for the caller to take.
constexpr std::size_t kQueueLimit = 2 * kChunk;
// Chunk buffers kept for reuse: as many as can be in flight (queued input,
// queued output and the batch being delivered), so that steady streaming
// neither allocates nor frees.
constexpr std::size_t kMaxSpareBuffers = 3 * (kQueueLimit / kChunk + 1);

struct ContextRelease {
  void operator()(gpgme_ctx_t ctx) const noexcept { gpgme_release(ctx); }
};
struct DataRelease {
  void operator()(gpgme_data_t data) const noexcept { gpgme_data_release(data); }
};
struct KeyRelease {
  void operator()(gpgme_key_t key) const noexcept { gpgme_key_unref(key); }
};
using ContextPtr = std::unique_ptr<std::remove_pointer_t<gpgme_ctx_t>, ContextRelease>;
using DataPtr = std::unique_ptr<std::remove_pointer_t<gpgme_data_t>, DataRelease>;
using KeyPtr = std::unique_ptr<std::remove_pointer_t<gpgme_key_t>, KeyRelease>;

// gpgme_strerror is not guaranteed to be thread-safe; the _r variant is.
std::string message_of(gpgme_error_t err) {
  std::array<char, 256> text{};
  (void)gpgme_strerror_r(err, text.data(), text.size());
  text.back() = '\0';
  return text.data();
}

struct GpgmeRuntime {
  const char* version = nullptr;
  bool recent_enough = false;
};

// gpgme must be initialised by gpgme_check_version before any other call,
// and that first call is not thread-safe: the function-local static makes
// it happen exactly once, whichever thread gets here first. (It also sets
// SIGPIPE to SIG_IGN, so that a gpg child dying mid-stream turns into an
// error instead of killing the process.)
const GpgmeRuntime& gpgme_runtime() {
  static const GpgmeRuntime runtime = [] {
    GpgmeRuntime r;
    r.version = gpgme_check_version(nullptr);
    r.recent_enough = gpgme_check_version(kMinimumGpgme) != nullptr;
    return r;
  }();
  return runtime;
}

gpgme_engine_info_t openpgp_engine() {
  gpgme_engine_info_t info = nullptr;
  if (gpgme_get_engine_info(&info) != 0) return nullptr;
  for (; info != nullptr; info = info->next) {
    if (info->protocol == GPGME_PROTOCOL_OpenPGP) return info;
  }
  return nullptr;
}

std::string or_unknown(const char* text) { return text != nullptr ? text : "unknown"; }

// Empty when gpgme and gpg can be used, else why not.
std::string engine_problem() {
  const GpgmeRuntime& runtime = gpgme_runtime();
  if (!runtime.recent_enough) {
    return "the gpgme library (" + or_unknown(runtime.version) + ") is older than " + kMinimumGpgme;
  }
  if (const gpgme_error_t err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP); err != 0) {
    const gpgme_engine_info_t engine = openpgp_engine();
    std::string why = "gpg is not usable";
    if (engine != nullptr) {
      why += " (" + or_unknown(engine->file_name) + ", version " + or_unknown(engine->version) +
             ", gpgme needs " + or_unknown(engine->req_version) + " or later)";
    }
    return why + ": " + message_of(err);
  }
  return {};
}

// "postgres (GNUPGHOME=/var/lib/postgresql/.gnupg)": whose keyring gpg used,
// which is what an operator needs to know to fix a missing key.
std::string keyring_owner() {
  const uid_t uid = geteuid();
  std::string user = "uid " + std::to_string(uid);
  const long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    user = found->pw_name;
  }
  const char* home = std::getenv("GNUPGHOME");
  return user + " (GNUPGHOME=" + (home != nullptr && *home != '\0' ? home : "unset, i.e. ~/.gnupg") + ")";
}

ContextPtr make_context() {
  if (std::string problem = engine_problem(); !problem.empty()) {
    throw Error(ErrorKind::usage,
                "GPG encryption is configured but " + problem + "; install GnuPG or unset WALE_GPG_KEY_ID");
  }
  gpgme_ctx_t raw = nullptr;
  if (const gpgme_error_t err = gpgme_new(&raw); err != 0) {
    throw Error(ErrorKind::permanent, "cannot create a gpgme context: " + message_of(err));
  }
  ContextPtr ctx(raw);
  const auto check = [](gpgme_error_t err, const char* what) {
    if (err != 0) throw Error(ErrorKind::permanent, std::string("gpgme: cannot ") + what + ": " + message_of(err));
  };
  check(gpgme_set_protocol(ctx.get(), GPGME_PROTOCOL_OpenPGP), "select OpenPGP");
  gpgme_set_armor(ctx.get(), 0);     // WAL-E objects are binary OpenPGP
  gpgme_set_textmode(ctx.get(), 0);  // literal data format 'b', as gpg -e writes
  // Nobody can answer a passphrase prompt, and a pinentry waiting for one
  // would hang the pipeline; a key already unlocked in gpg-agent still works.
  check(gpgme_set_pinentry_mode(ctx.get(), GPGME_PINENTRY_MODE_CANCEL), "disable passphrase prompts");
  // Keys must already be in the keyring; no key server or WKD look-ups from
  // inside a backup.
  gpgme_set_offline(ctx.get(), 1);
  return ctx;
}

std::string unusable_reason(gpgme_key_t key) {
  if (key->revoked != 0) return "revoked";
  if (key->expired != 0) return "expired";
  if (key->disabled != 0) return "disabled";
  if (key->invalid != 0) return "invalid";
  if (key->can_encrypt == 0) return "without a usable encryption subkey";
  return {};
}

// Looks the recipient up before gpg runs, so that a wrong WALE_GPG_KEY_ID
// fails at once with a message naming the keyring instead of as an
// encryption error after the first bytes went through. The lookup uses the
// same user-id syntax gpg -r does.
void check_recipient(gpgme_ctx_t ctx, const std::string& key_id) {
  if (key_id.find_first_not_of(" \t") == std::string::npos || key_id.find_first_of("\r\n") != std::string::npos) {
    throw Error(ErrorKind::usage, "GPG key id '" + key_id + "' is not a key specification; fix WALE_GPG_KEY_ID");
  }
  if (const gpgme_error_t err = gpgme_op_keylist_start(ctx, key_id.c_str(), 0); err != 0) {
    throw Error(ErrorKind::permanent, "cannot look up GPG key '" + key_id + "': " + message_of(err));
  }
  bool found = false;
  bool usable = false;
  std::string reason;
  gpgme_error_t err = 0;
  for (;;) {
    gpgme_key_t raw = nullptr;
    err = gpgme_op_keylist_next(ctx, &raw);
    if (err != 0) break;
    const KeyPtr key(raw);
    found = true;
    if (std::string why = unusable_reason(key.get()); why.empty()) {
      usable = true;
    } else if (reason.empty()) {
      reason = std::move(why);
    }
  }
  (void)gpgme_op_keylist_end(ctx);
  if (gpgme_err_code(err) != GPG_ERR_EOF && !found) {
    throw Error(ErrorKind::permanent, "cannot look up GPG key '" + key_id + "': " + message_of(err));
  }
  if (!found) {
    throw Error(ErrorKind::usage, "GPG key '" + key_id + "' is not in the keyring of " + keyring_owner() +
                                      "; import it or fix WALE_GPG_KEY_ID");
  }
  if (!usable) {
    throw Error(ErrorKind::usage, "GPG key '" + key_id + "' in the keyring of " + keyring_owner() + " is " + reason +
                                      " and cannot encrypt; renew or replace it, or fix WALE_GPG_KEY_ID");
  }
}

bool is_passphrase_problem(gpgme_err_code_t code) {
  return code == GPG_ERR_BAD_PASSPHRASE || code == GPG_ERR_NO_PASSPHRASE || code == GPG_ERR_NO_PIN ||
         code == GPG_ERR_CANCELED || code == GPG_ERR_FULLY_CANCELED || code == GPG_ERR_PIN_ENTRY;
}

bool is_engine_problem(gpgme_err_code_t code) {
  return code == GPG_ERR_INV_ENGINE || code == GPG_ERR_ENGINE_TOO_OLD || code == GPG_ERR_ENOENT ||
         code == GPG_ERR_EACCES || code == GPG_ERR_ENOEXEC;
}

}  // namespace

namespace detail {

class GpgStream {
 public:
  enum class Direction { encrypt, decrypt };

  GpgStream(ByteSink& next, Direction direction, std::string key_id);
  ~GpgStream();
  GpgStream(const GpgStream&) = delete;
  GpgStream& operator=(const GpgStream&) = delete;

  void write(std::string_view data);
  void close();

 private:
  static ssize_t read_callback(void* handle, void* buffer, std::size_t size) noexcept;
  static ssize_t write_callback(void* handle, const void* buffer, std::size_t size) noexcept;

  // Worker side.
  void run() noexcept;
  ssize_t pull_input(char* buffer, std::size_t size) noexcept;
  ssize_t push_output(const char* data, std::size_t size) noexcept;

  // Caller side.
  template <class Body>
  void guarded(Body&& body);
  void deliver(std::unique_lock<std::mutex>& lock, bool everything);
  std::size_t complete_output_chunks() const;
  void finish_worker();
  void stop_worker() noexcept;
  Error describe_failure(gpgme_error_t err) const;

  std::string take_buffer();
  void recycle(std::string&& buffer);

  ByteSink& next_;
  const Direction direction_;
  const std::string key_id_;
  // The recipient for gpgme_op_encrypt_ext. The leading "--" line makes
  // gpgme pass the key id as `-r <id>` verbatim, even should it look like
  // one of gpgme's own recipient-string keywords.
  const std::string recipients_;
  ContextPtr ctx_;

  std::mutex mutex_;
  std::condition_variable worker_wakeup_;  // input arrived, output drained, cancelled
  std::condition_variable caller_wakeup_;  // input consumed, output chunk complete, worker done
  std::deque<std::string> input_;
  std::size_t input_offset_ = 0;  // consumed part of input_.front()
  std::size_t input_bytes_ = 0;   // unconsumed bytes in input_
  bool input_closed_ = false;
  std::deque<std::string> output_;
  std::size_t output_bytes_ = 0;
  std::vector<std::string> spare_;
  bool cancelled_ = false;
  bool worker_done_ = false;
  gpgme_error_t worker_result_ = 0;

  // Touched by the caller's thread only.
  std::vector<std::string> delivering_;
  std::exception_ptr failure_;
  bool closed_ = false;

  std::thread worker_;  // last, so it starts after everything it uses exists
};

namespace {
// gpgme keeps a pointer to this table for the lifetime of each data object.
gpgme_data_cbs callbacks_for(gpgme_data_read_cb_t read, gpgme_data_write_cb_t write) {
  gpgme_data_cbs cbs{};
  cbs.read = read;
  cbs.write = write;
  return cbs;
}
}  // namespace

GpgStream::GpgStream(ByteSink& next, Direction direction, std::string key_id)
    : next_(next),
      direction_(direction),
      key_id_(std::move(key_id)),
      recipients_("--\n" + key_id_),
      ctx_(make_context()) {
  if (direction_ == Direction::encrypt) check_recipient(ctx_.get(), key_id_);
  // recycle() runs in the worker's noexcept callbacks: it must not allocate.
  spare_.reserve(kMaxSpareBuffers);
  worker_ = std::thread([this] { run(); });
}

GpgStream::~GpgStream() { stop_worker(); }

void GpgStream::run() noexcept {
  static gpgme_data_cbs table = callbacks_for(&GpgStream::read_callback, &GpgStream::write_callback);
  gpgme_error_t err = 0;
  {
    gpgme_data_t raw_input = nullptr;
    gpgme_data_t raw_output = nullptr;
    err = gpgme_data_new_from_cbs(&raw_input, &table, this);
    const DataPtr input(raw_input);
    if (err == 0) err = gpgme_data_new_from_cbs(&raw_output, &table, this);
    const DataPtr output(raw_output);
    if (err == 0) {
      if (direction_ == Direction::encrypt) {
        // ALWAYS_TRUST: see GpgEncryptor. NO_COMPRESS is gpg's
        // --compress-algo=none, which writes the same packets as WAL-E's
        // `-z 0`: the data is lzop already, and compressing it again costs
        // CPU for nothing. The user's gpg.conf (encrypt-to, cipher
        // preferences) applies as it did for WAL-E's gpg.
        const auto flags = static_cast<gpgme_encrypt_flags_t>(GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_COMPRESS);
        err = gpgme_op_encrypt_ext(ctx_.get(), nullptr, recipients_.c_str(), flags, input.get(), output.get());
      } else {
        err = gpgme_op_decrypt(ctx_.get(), input.get(), output.get());
      }
    }
  }
  {
    const std::lock_guard lock(mutex_);
    worker_result_ = err;
    worker_done_ = true;
  }
  caller_wakeup_.notify_all();
}

ssize_t GpgStream::read_callback(void* handle, void* buffer, std::size_t size) noexcept {
  return static_cast<GpgStream*>(handle)->pull_input(static_cast<char*>(buffer), size);
}

ssize_t GpgStream::write_callback(void* handle, const void* buffer, std::size_t size) noexcept {
  return static_cast<GpgStream*>(handle)->push_output(static_cast<const char*>(buffer), size);
}

ssize_t GpgStream::pull_input(char* buffer, std::size_t size) noexcept {
  std::unique_lock lock(mutex_);
  worker_wakeup_.wait(lock, [&] { return cancelled_ || input_bytes_ > 0 || input_closed_; });
  if (cancelled_) {
    errno = ECANCELED;
    return -1;
  }
  if (input_bytes_ == 0) return 0;  // closed and drained: end of input
  std::string& front = input_.front();
  const std::size_t n = std::min(size, front.size() - input_offset_);
  std::memcpy(buffer, front.data() + input_offset_, n);
  input_offset_ += n;
  input_bytes_ -= n;
  if (input_offset_ == front.size()) {
    recycle(std::move(front));
    input_.pop_front();
    input_offset_ = 0;
    // Waking the caller once per chunk rather than per gpgme read is
    // enough: it only waits for the queue to fall below its limit.
    lock.unlock();
    caller_wakeup_.notify_one();
  }
  return static_cast<ssize_t>(n);
}

ssize_t GpgStream::push_output(const char* data, std::size_t size) noexcept {
  std::unique_lock lock(mutex_);
  worker_wakeup_.wait(lock, [&] { return cancelled_ || output_bytes_ < kQueueLimit; });
  if (cancelled_) {
    errno = ECANCELED;
    return -1;
  }
  bool completed_chunk = false;
  try {
    for (std::size_t done = 0; done < size;) {
      if (output_.empty() || output_.back().size() >= kChunk) output_.push_back(take_buffer());
      std::string& back = output_.back();
      const std::size_t n = std::min(size - done, kChunk - back.size());
      back.append(data + done, n);
      done += n;
      output_bytes_ += n;
      completed_chunk = completed_chunk || back.size() >= kChunk;
    }
  } catch (...) {
    errno = ENOMEM;
    return -1;
  }
  lock.unlock();
  // The caller passes output on in whole chunks (fewer, larger writes
  // downstream) and collects the incomplete last one when gpg is done.
  if (completed_chunk) caller_wakeup_.notify_one();
  return static_cast<ssize_t>(size);
}

std::string GpgStream::take_buffer() {
  if (spare_.empty()) {
    std::string buffer;
    buffer.reserve(kChunk);
    return buffer;
  }
  std::string buffer = std::move(spare_.back());
  spare_.pop_back();
  buffer.clear();
  return buffer;
}

void GpgStream::recycle(std::string&& buffer) {
  if (spare_.size() < kMaxSpareBuffers && buffer.capacity() >= kChunk) spare_.push_back(std::move(buffer));
}

std::size_t GpgStream::complete_output_chunks() const {
  if (output_.empty()) return 0;
  return output_.back().size() >= kChunk ? output_.size() : output_.size() - 1;
}

// Runs a caller-side step; after any exception the stage is dead: the worker
// is stopped and later calls rethrow the same exception.
template <class Body>
void GpgStream::guarded(Body&& body) {
  if (failure_) std::rethrow_exception(failure_);
  if (closed_) throw std::logic_error("GPG stage used after close");
  try {
    body();
  } catch (...) {
    failure_ = std::current_exception();
    stop_worker();
    throw;
  }
}

// Passes complete output chunks (or, at the end, everything) to `next`
// without holding the lock, so the worker keeps gpg busy meanwhile.
void GpgStream::deliver(std::unique_lock<std::mutex>& lock, bool everything) {
  std::size_t count = everything ? output_.size() : complete_output_chunks();
  for (; count > 0; --count) {
    output_bytes_ -= output_.front().size();
    delivering_.push_back(std::move(output_.front()));
    output_.pop_front();
  }
  if (delivering_.empty()) return;
  lock.unlock();
  worker_wakeup_.notify_one();
  for (const std::string& chunk : delivering_) next_.write(chunk);
  lock.lock();
  for (std::string& chunk : delivering_) recycle(std::move(chunk));
  delivering_.clear();
}

void GpgStream::write(std::string_view data) {
  guarded([&] {
    std::unique_lock lock(mutex_);
    while (!data.empty()) {
      caller_wakeup_.wait(lock,
                          [&] { return input_bytes_ < kQueueLimit || complete_output_chunks() > 0 || worker_done_; });
      if (complete_output_chunks() > 0) {
        deliver(lock, false);
        continue;
      }
      if (worker_done_) {
        lock.unlock();
        finish_worker();
        // gpg reads its input to the end, so finishing early means it
        // considered the message complete before the data was.
        throw Error(ErrorKind::corrupt, "gpg finished before the end of its input (trailing data)");
      }
      if (input_.empty() || input_.back().size() >= kChunk) input_.push_back(take_buffer());
      std::string& back = input_.back();
      const std::size_t n = std::min(data.size(), kChunk - back.size());
      back.append(data.substr(0, n));
      input_bytes_ += n;
      data.remove_prefix(n);
      worker_wakeup_.notify_one();
    }
    deliver(lock, false);
  });
}

void GpgStream::close() {
  if (closed_ && !failure_) return;
  guarded([&] {
    std::unique_lock lock(mutex_);
    input_closed_ = true;
    worker_wakeup_.notify_one();
    for (;;) {
      caller_wakeup_.wait(lock, [&] { return complete_output_chunks() > 0 || worker_done_; });
      const bool done = worker_done_;
      deliver(lock, done);
      if (done && output_.empty()) break;
    }
    lock.unlock();
    finish_worker();
    closed_ = true;
    next_.close();
  });
}

// Joins a worker that has finished and turns its result into an exception.
void GpgStream::finish_worker() {
  worker_.join();
  if (worker_result_ != 0) throw describe_failure(worker_result_);
}

void GpgStream::stop_worker() noexcept {
  if (!worker_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  worker_wakeup_.notify_all();
  // Our callbacks now fail at once, which ends the operation; the cancel
  // also covers a gpg child that is busy and not exchanging data with us.
  (void)gpgme_cancel_async(ctx_.get());
  worker_.join();
}

Error GpgStream::describe_failure(gpgme_error_t err) const {
  const gpgme_err_code_t code = gpgme_err_code(err);
  const std::string what = message_of(err);
  if (is_engine_problem(code)) {
    return Error(ErrorKind::usage, "cannot run gpg: " + what + "; check that GnuPG is installed");
  }
  if (direction_ == Direction::encrypt) {
    if (code == GPG_ERR_UNUSABLE_PUBKEY || code == GPG_ERR_NO_PUBKEY) {
      std::string reason = what;
      if (const gpgme_encrypt_result_t result = gpgme_op_encrypt_result(ctx_.get());
          result != nullptr && result->invalid_recipients != nullptr) {
        reason = message_of(result->invalid_recipients->reason);
      }
      return Error(ErrorKind::usage, "gpg cannot encrypt to GPG key '" + key_id_ + "' in the keyring of " +
                                         keyring_owner() + ": " + reason + "; fix the key or WALE_GPG_KEY_ID");
    }
    return Error(ErrorKind::permanent, "gpg encryption to GPG key '" + key_id_ + "' failed: " + what);
  }
  if (code == GPG_ERR_NO_SECKEY) {
    std::string recipients;
    if (const gpgme_decrypt_result_t result = gpgme_op_decrypt_result(ctx_.get()); result != nullptr) {
      for (gpgme_recipient_t r = result->recipients; r != nullptr; r = r->next) {
        if (r->keyid == nullptr) continue;
        recipients += recipients.empty() ? " (encrypted to " : ", ";
        recipients += r->keyid;
      }
      if (!recipients.empty()) recipients += ")";
    }
    // Not usage: the keyring may be right for the rest of the archive; this
    // object cannot be read with it either way.
    return Error(ErrorKind::corrupt, "cannot decrypt: no secret key for it in the keyring of " + keyring_owner() +
                                         recipients + ": " + what);
  }
  if (code == GPG_ERR_NO_AGENT || code == GPG_ERR_AGENT) {
    return Error(ErrorKind::permanent, "cannot decrypt: gpg could not use gpg-agent, which holds the secret keys of " +
                                           keyring_owner() + ": " + what);
  }
  if (code == GPG_ERR_NO_DATA) {
    // gpg's verdict both for a truncated message and for data that is not
    // OpenPGP at all, such as an object stored without encryption under a
    // prefix now read with a key configured (WAL-E has no per-object flag).
    return Error(ErrorKind::corrupt, "cannot decrypt: not a complete OpenPGP message (" + what +
                                         "); truncated, or stored without GPG encryption?");
  }
  if (is_passphrase_problem(code)) {
    return Error(ErrorKind::usage, "cannot decrypt: the secret key in the keyring of " + keyring_owner() +
                                       " needs a passphrase (" + what +
                                       "); remove it or unlock the key in gpg-agent, since no prompt is possible");
  }
  return Error(ErrorKind::corrupt, "cannot decrypt (damaged, truncated or not OpenPGP data?): " + what);
}

}  // namespace detail

GpgEncryptor::GpgEncryptor(ByteSink& next, std::string key_id)
    : stream_(std::make_unique<detail::GpgStream>(next, detail::GpgStream::Direction::encrypt, std::move(key_id))) {}
GpgEncryptor::~GpgEncryptor() = default;
void GpgEncryptor::write(std::string_view data) { stream_->write(data); }
void GpgEncryptor::close() { stream_->close(); }

GpgDecryptor::GpgDecryptor(ByteSink& next)
    : stream_(std::make_unique<detail::GpgStream>(next, detail::GpgStream::Direction::decrypt, std::string())) {}
GpgDecryptor::~GpgDecryptor() = default;
void GpgDecryptor::write(std::string_view data) { stream_->write(data); }
void GpgDecryptor::close() { stream_->close(); }

bool gpg_available(std::string& why) {
  if (std::string problem = engine_problem(); !problem.empty()) {
    why = std::move(problem);
    return false;
  }
  const gpgme_engine_info_t engine = openpgp_engine();
  why = "gpg " + or_unknown(engine != nullptr ? engine->version : nullptr) + " (" +
        or_unknown(engine != nullptr ? engine->file_name : nullptr) + ") through gpgme " +
        or_unknown(gpgme_runtime().version);
  return true;
}

}  // namespace wale::codec
