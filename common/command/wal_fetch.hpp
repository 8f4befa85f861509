// The per-file work of wal-fetch: download wal_005/<name>.lzo, decode it
// and put it at the destination atomically (temporary name, then rename),
// so that PostgreSQL never sees a partial file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/codec/object_codec.hpp"
#include "common/core/log.hpp"
#include "common/core/ordered_slots.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::command {

enum class FetchOutcome { delivered, not_found };

struct FetchedFile {
  FetchOutcome outcome = FetchOutcome::not_found;
  std::uint64_t bytes = 0;
  bool from_prefetch = false;  // handed over from the daemon's prefetch area
};

// Where the decoding (the CPU work) runs: by default on the calling thread
// as the bytes arrive; with `slots`, holding one of them at `rank`.
struct DecodeSlot {
  OrderedSlots* slots = nullptr;
  std::uint64_t rank = 0;
};

// Throws wale::Error for anything but "the archive does not have it".
FetchedFile fetch_wal_file(storage::BlobStore& store, const std::string& wal_name, const std::string& destination,
                           const codec::ObjectEncoding& encoding = {}, DecodeSlot slot = {});

// Checks what a decoded WAL file must look like: a segment is exactly one
// valid segment size long and starts with its own page header (`head`: its
// first bytes). Other WAL files are not checked. Throws wale::Error(corrupt).
void check_decoded_wal(const std::string& wal_name, std::string_view head, std::uint64_t size);

}  // namespace wale::command
