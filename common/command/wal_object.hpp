// The per-file work of wal-push, shared by the daemon's pipeline and the
// in-process runner: read a WAL file once (hashing and compressing as it
// streams), then store the object unless the archive already holds it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/codec/object_codec.hpp"
#include "common/core/log.hpp"
#include "common/pg/wal_directory.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::command {

struct PreparedWalObject {
  std::string name;       // the WAL file name
  std::string key;        // wal_005/<name>.<suffix of the configured compression>
  std::string body;       // the compressed object
  std::string content_hash;  // hex xxh128 of the uncompressed file (codec::kContentHash)
  std::uint64_t raw_size = 0;
  pg::FileIdentity identity;  // of the file as it was read
};

// CPU work: never call it on an I/O thread.
PreparedWalObject prepare_wal_object(const pg::WalSource& source, const codec::ObjectEncoding& encoding = {});

// replaced_damaged: an object was already there but could not be decoded
// (empty, or a broken lzop stream: a writer that died half-way on a store
// that shows partial objects, such as WAL-E's own file backend); it held
// nothing a restore could use and now holds this file.
enum class StoreOutcome { stored, already_stored, replaced_damaged };

// Stores the object without ever replacing a readable one. An object
// already there with the same content counts as stored; with different
// content it is a conflict error and the stored object is left alone. A
// damaged one is replaced, never when encrypted (it may be another key's).
// "There" is under any compression's suffix: the other two are looked at
// (a HEAD each) before the configured one is written, so that a change of
// WALE_COMPRESSION never stores a file twice or hides a conflict.
StoreOutcome store_wal_object(storage::BlobStore& store, const PreparedWalObject& object,
                              const codec::ObjectEncoding& encoding = {});

// The first of a WAL file's keys the store holds (the preferred
// compression's first, one HEAD when it is there), with what HEAD says.
struct StoredWalObject {
  std::string key;
  storage::ObjectInfo info;
};
std::optional<StoredWalObject> find_wal_object(storage::BlobStore& store, const std::string& wal_name,
                                               codec::Compression preferred);

// A cheap look before the work: true when the store already holds this
// file's content under any suffix (HEADs and a hash of the file, no
// compression), false when the object is absent or damaged; a conflict
// error when it holds something else.
bool already_in_store(storage::BlobStore& store, const pg::WalSource& source, const codec::ObjectEncoding& encoding = {});

// The content hash of an existing WAL object: from its metadata, or
// (objects written by WAL-E carry none) by downloading and decompressing it
// (the key's suffix says how).
std::string stored_content_hash(storage::BlobStore& store, const std::string& key, const storage::ObjectInfo& info,
                                  const codec::ObjectEncoding& encoding = {});

// WAL-E's rate text: KiB/s formatted like Python's '{0:02g}'.
std::string format_kib_per_second(std::uint64_t bytes, double seconds);

// The "begin archiving" / "completed archiving" records WAL-E writes; the
// key they name is the one of the configured compression.
void log_push_begin(Log& log, const storage::BlobStore& store, const pg::WalSource& source, codec::Compression compression);
void log_push_complete(Log& log, const storage::BlobStore& store, const pg::WalSource& source, codec::Compression compression,
                       StoreOutcome outcome, std::uint64_t bytes, double seconds);

}  // namespace wale::command
