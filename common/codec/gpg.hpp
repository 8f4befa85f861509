// GPG encryption and decryption as streaming pipeline stages, on gpgme, in
// WAL-E's format (shared/spec/wal-e-format.md §5): what `gpg -e -z 0 -r KEY`
// writes and `gpg -d -q --batch` reads, i.e. binary OpenPGP (no armour), no
// OpenPGP compression (the payload is already lzop), one recipient.
//
// gpgme drives a `gpg` child process of the invoking user, so the user's
// keyring (GNUPGHOME, default ~/.gnupg), gpg.conf and gpg-agent apply exactly
// as they did for WAL-E's `gpg` pipeline commands.
//
// Each stage runs its gpgme operation on a worker thread of its own that
// exchanges data with the caller through two small bounded queues, so memory
// stays bounded (a few MiB) whatever the size of the stream. `next` is only
// ever called from the thread that calls write() and close(); a stage is not
// itself safe to share between threads (like every ByteSink).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale::codec {

namespace detail {
class GpgStream;
}

// Encrypts what is written to the key `key_id` and passes the OpenPGP message
// on to `next`; close() finishes the message and closes `next`.
//
// `key_id` is handed to gpg verbatim as the recipient (anything `gpg -r`
// accepts). Unlike WAL-E's plain `gpg -e`, which refuses (or asks on a
// terminal) when the public key is not trusted, the key is always trusted
// here: the operator named it explicitly, and a backup daemon cannot answer
// questions. The construction throws wale::Error(usage) when gpg is not
// runnable or the key is not in the keyring or cannot encrypt.
class GpgEncryptor final : public ByteSink {
 public:
  GpgEncryptor(ByteSink& next, std::string key_id);
  // Without close(): abandons the message (the gpg child is stopped, nothing
  // more reaches `next`, `next` is not closed).
  ~GpgEncryptor() override;
  GpgEncryptor(const GpgEncryptor&) = delete;
  GpgEncryptor& operator=(const GpgEncryptor&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  std::unique_ptr<detail::GpgStream> stream_;
};

// Decrypts an OpenPGP message written to it (in pieces of any size) with a
// secret key of the user's keyring and passes the plaintext on to `next`.
// The secret key must be usable without a passphrase prompt (no passphrase,
// or unlocked in gpg-agent): the stage never prompts. Damaged or truncated
// ciphertext, a failed integrity check, data that is not OpenPGP and a
// message for a key we lack throw wale::Error(corrupt) from write() or
// close(); a locked secret key throws wale::Error(usage).
//
// As with `gpg -d` in WAL-E's pipeline, plaintext reaches `next` before the
// integrity check at the end of the message has been made: what `next`
// received is only trustworthy once close() has returned (write to a
// temporary file and rename it afterwards, say).
class GpgDecryptor final : public ByteSink {
 public:
  explicit GpgDecryptor(ByteSink& next);
  ~GpgDecryptor() override;
  GpgDecryptor(const GpgDecryptor&) = delete;
  GpgDecryptor& operator=(const GpgDecryptor&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  std::unique_ptr<detail::GpgStream> stream_;
};

// Whether gpgme and its OpenPGP engine (the gpg binary) can be used. Sets
// `why` to the reason when not, and to a description of the engine (version
// and path) when it can.
bool gpg_available(std::string& why);

}  // namespace wale::codec
