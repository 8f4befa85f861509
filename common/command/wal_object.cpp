#include "common/command/wal_object.hpp"

#include <cmath>
#include <cstdio>

#include "common/archive/layout.hpp"
#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"

namespace wale::command {

PreparedWalObject prepare_wal_object(const pg::WalSource& source, const codec::ObjectEncoding& encoding) {
  PreparedWalObject out;
  out.name = source.name.name;
  out.key = archive::wal_key(source.name.name, encoding.compression);
  FileSource file(source.path);
  StringSink body;
  body.data().reserve(static_cast<std::size_t>(source.identity.size / 2 + 4096));
  codec::ObjectEncoder encoder(body, encoding, codec::LzopHeaderFields{0100600, source.identity.mtime_ns / 1'000'000'000});
  codec::DigestSink hashing(codec::kContentHash, encoder.input());
  CountingSink counting(hashing);
  pump(file, counting);
  out.raw_size = counting.count();
  out.content_hash = codec::to_hex(hashing.finish());
  out.body = std::move(body.data());
  out.identity = source.identity;
  out.identity.size = out.raw_size;
  return out;
}

std::string stored_content_hash(storage::BlobStore& store, const std::string& key, const storage::ObjectInfo& info,
                                  const codec::ObjectEncoding& encoding) {
  if (const auto it = info.metadata.find(std::string(storage::kMetaContentHash)); it != info.metadata.end()) return it->second;
  NullSink discard;
  codec::DigestSink hashing(codec::kContentHash, discard);
  const auto compression = archive::compression_of_key(key);
  if (!compression) throw Error(ErrorKind::permanent, store.url().url_for(key) + " has no compression suffix this version reads");
  const auto limit = archive::decode_limit(key);
  codec::ObjectDecoder decoder(hashing, encoding, *compression, limit.bytes, limit.reason);
  store.get(key, decoder.input());
  decoder.input().close();
  return codec::to_hex(hashing.finish());
}

namespace {

std::string conflict_message(const storage::BlobStore& store, const std::string& key) {
  return store.url().url_for(key) +
         " already exists with different content; refusing to overwrite it. "
         "Check that no other cluster archives to the same prefix";
}

enum class Existing { same, damaged };

// What the object already stored under `key` holds, against `content_hash`.
// Throws a conflict error when it holds other readable content.
Existing compare_existing(storage::BlobStore& store, const std::string& key, const storage::ObjectInfo& info,
                          const std::string& content_hash, const codec::ObjectEncoding& encoding) {
  std::string stored;
  try {
    stored = stored_content_hash(store, key, info, encoding);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::corrupt) throw;
    if (info.size == 0 || !encoding.encrypted()) return Existing::damaged;
    throw Error(ErrorKind::conflict, store.url().url_for(key) + " already exists and cannot be decrypted (" + e.what() +
                                         "); refusing to overwrite it. Check WALE_GPG_KEY_ID and that no other cluster "
                                         "archives to the same prefix");
  }
  if (stored == content_hash) return Existing::same;
  throw Error(ErrorKind::conflict, conflict_message(store, key));
}

// Stores the object under the configured compression's key.
StoreOutcome store_configured(storage::BlobStore& store, const PreparedWalObject& object, const codec::ObjectEncoding& encoding) {
  storage::PutOptions options;
  options.if_absent = true;
  options.metadata[std::string(storage::kMetaContentHash)] = object.content_hash;
  options.metadata[std::string(storage::kMetaSize)] = std::to_string(object.raw_size);
  if (store.put(object.key, object.body, options) == storage::PutOutcome::stored) return StoreOutcome::stored;

  const auto info = store.head(object.key);
  if (!info) throw Error(ErrorKind::transient, store.url().url_for(object.key) + " was reported present, then absent");
  if (compare_existing(store, object.key, *info, object.content_hash, encoding) == Existing::same) return StoreOutcome::already_stored;
  options.if_absent = false;
  store.put(object.key, object.body, options);
  return StoreOutcome::replaced_damaged;
}

}  // namespace

std::optional<StoredWalObject> find_wal_object(storage::BlobStore& store, const std::string& wal_name,
                                               codec::Compression preferred) {
  for (auto& key : archive::wal_key_candidates(wal_name, preferred))
    if (auto info = store.head(key)) return StoredWalObject{std::move(key), std::move(*info)};
  return std::nullopt;
}

bool already_in_store(storage::BlobStore& store, const pg::WalSource& source, const codec::ObjectEncoding& encoding) {
  std::optional<std::string> content_hash;  // of the file, computed once, only when something is stored
  for (const auto& key : archive::wal_key_candidates(source.name.name, encoding.compression)) {
    const auto info = store.head(key);
    if (!info) continue;
    if (!content_hash) {
      FileSource file(source.path);
      NullSink discard;
      codec::DigestSink hashing(codec::kContentHash, discard);
      pump(file, hashing);
      content_hash = codec::to_hex(hashing.finish());
    }
    if (compare_existing(store, key, *info, *content_hash, encoding) == Existing::same) return true;
  }
  return false;
}

StoreOutcome store_wal_object(storage::BlobStore& store, const PreparedWalObject& object, const codec::ObjectEncoding& encoding) {
  // A copy under another compression's suffix (stored before a change of
  // WALE_COMPRESSION) decides like one under the configured suffix; a
  // damaged one goes once this object is durable.
  std::vector<std::string> damaged;
  const auto candidates = archive::wal_key_candidates(object.name, encoding.compression);
  for (auto key = std::next(candidates.begin()); key != candidates.end(); ++key) {
    const auto info = store.head(*key);
    if (!info) continue;
    if (compare_existing(store, *key, *info, object.content_hash, encoding) == Existing::same) return StoreOutcome::already_stored;
    damaged.push_back(*key);
  }
  const auto outcome = store_configured(store, object, encoding);
  if (damaged.empty()) return outcome;
  store.remove(damaged);
  return StoreOutcome::replaced_damaged;
}

std::string format_kib_per_second(std::uint64_t bytes, double seconds) {
  if (seconds <= 0) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%02g", static_cast<double>(bytes) / 1024.0 / seconds);
  return buf;
}

namespace {

std::vector<std::pair<std::string, std::string>> push_fields(const storage::BlobStore& store, const pg::WalSource& source,
                                                             codec::Compression compression, const std::string& state) {
  return {{"action", "push-wal"},
          {"key", store.url().url_for(archive::wal_key(source.name.name, compression))},
          {"prefix", store.url().path_prefix},
          {"seg", source.name.name},
          {"state", state}};
}

}  // namespace

void log_push_begin(Log& log, const storage::BlobStore& store, const pg::WalSource& source, codec::Compression compression) {
  log.info("wal_e.worker.upload", "begin archiving a file",
           "Uploading \"" + source.path + "\" to \"" + store.url().url_for(archive::wal_key(source.name.name, compression)) + "\".",
           push_fields(store, source, compression, "begin"));
}

void log_push_complete(Log& log, const storage::BlobStore& store, const pg::WalSource& source, codec::Compression compression,
                       StoreOutcome outcome, std::uint64_t bytes, double seconds) {
  const std::string url = store.url().url_for(archive::wal_key(source.name.name, compression));
  if (outcome == StoreOutcome::already_stored) {
    log.info("wal_e.worker.upload", "completed archiving to a file",
             "\"" + url + "\" was already archived with identical content.", push_fields(store, source, compression, "complete"));
    return;
  }
  if (outcome == StoreOutcome::replaced_damaged)
    log.warning("wal_e.worker.upload", "replaced a damaged archive object",
                "\"" + url + "\" could not be decoded (empty or truncated: a writer stopped half-way) and now holds \"" +
                    source.path + "\".",
                "Run wal-e verify --deep to look for other damaged objects.");
  const std::string rate = format_kib_per_second(bytes, seconds);
  auto fields = push_fields(store, source, compression, "complete");
  fields.emplace_back("rate", rate);
  log.info("wal_e.worker.upload", "completed archiving to a file",
           "Archiving to \"" + url + "\" complete at " + rate + "KiB/s.", std::move(fields));
}

}  // namespace wale::command
