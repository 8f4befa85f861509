#include "common/command/wal_fetch.hpp"

#include <optional>

#include "common/archive/layout.hpp"
#include "common/codec/lzop.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "common/pg/wal_name.hpp"
#include "common/pg/wal_segment_check.hpp"

namespace wale::command {

void check_decoded_wal(const std::string& wal_name, std::string_view head, std::uint64_t size) {
  if (const auto segment = pg::parse_segment_name(wal_name)) pg::check_segment_header(*segment, head, size);
}

FetchedFile fetch_wal_file(storage::BlobStore& store, const std::string& wal_name, const std::string& destination,
                           const codec::ObjectEncoding& encoding, DecodeSlot slot) {
  if (!pg::parse_wal_file_name(wal_name))
    throw Error(ErrorKind::usage, "wal-fetch: '" + wal_name + "' is not a WAL file name; use restore_command = 'wal-e wal-fetch %f %p'");
  const std::string key = archive::wal_key(wal_name);
  AtomicFileWriter file(destination, 0600, /*durable=*/false);
  pg::SegmentHeadCapture counting(file, pg::parse_segment_name(wal_name).has_value());
  const auto limit = archive::decode_limit(key);
  codec::ObjectDecoder decoder(counting, encoding, limit.bytes, limit.reason);
  std::optional<OrderedSlotSink> gated;
  if (slot.slots) gated.emplace(decoder.input(), *slot.slots, slot.rank);
  ByteSink& input = gated ? static_cast<ByteSink&>(*gated) : decoder.input();
  try {
    store.get(key, input);
    input.close();  // verifies the end marker (and GPG's integrity check)
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return FetchedFile{FetchOutcome::not_found, 0};
    if (e.kind() == ErrorKind::corrupt) throw Error(ErrorKind::corrupt, store.url().url_for(key) + ": " + e.what());
    throw;
  }
  try {
    check_decoded_wal(wal_name, counting.head(), counting.size());
  } catch (const Error& e) {
    throw Error(ErrorKind::corrupt, store.url().url_for(key) + ": " + e.what());
  }
  file.commit();
  return FetchedFile{FetchOutcome::delivered, counting.size()};
}

}  // namespace wale::command
