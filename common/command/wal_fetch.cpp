#include "common/command/wal_fetch.hpp"

#include "common/archive/layout.hpp"
#include "common/codec/lzop.hpp"
#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "common/pg/wal_name.hpp"

namespace wale::command {

void check_decoded_wal(const std::string& wal_name, std::uint64_t size) {
  if (pg::parse_segment_name(wal_name) && !pg::valid_segment_size(size))
    throw Error(ErrorKind::corrupt, "the archived copy of " + wal_name + " decodes to " + std::to_string(size) +
                                        " bytes, which is no WAL segment size; the object is damaged");
}

FetchedFile fetch_wal_file(storage::BlobStore& store, const std::string& wal_name, const std::string& destination) {
  if (!pg::parse_wal_file_name(wal_name))
    throw Error(ErrorKind::usage, "wal-fetch: '" + wal_name + "' is not a WAL file name; use restore_command = 'wal-e wal-fetch %f %p'");
  const std::string key = archive::wal_key(wal_name);
  AtomicFileWriter file(destination, 0600, /*durable=*/false);
  CountingSink counting(file);
  codec::LzopDecoder decoder(counting);
  try {
    store.get(key, decoder);
    decoder.close();  // verifies the end marker
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found) return FetchedFile{FetchOutcome::not_found, 0};
    if (e.kind() == ErrorKind::corrupt) throw Error(ErrorKind::corrupt, store.url().url_for(key) + ": " + e.what());
    throw;
  }
  check_decoded_wal(wal_name, counting.count());
  file.commit();
  return FetchedFile{FetchOutcome::delivered, counting.count()};
}

}  // namespace wale::command
