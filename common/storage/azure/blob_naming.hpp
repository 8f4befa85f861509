// How this project's names become Azure's: request paths, block ids,
// user-metadata names, and the listing timestamp WAL-E printed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wale::storage::azure {

// "/container/name" with the blob name percent-encoded ('/' kept). The blob
// name is WAL-E's: the prefix path plus the key, no leading '/' (spec §1.2).
std::string blob_path(std::string_view container, std::string_view name);

// Block ids must be base64 and of one length within a blob: "wale" and the
// block number in eight digits, encoded (16 characters, no padding).
std::string block_id(std::uint32_t number);
inline constexpr std::uint32_t kMaxBlocks = 50000;  // Azure's limit per blob

// Metadata names must be C# identifiers, so '-' (as in "wale-size") is
// stored as '_' and read back as '-'.
std::string metadata_header(std::string_view name);
// The metadata name an x-ms-meta-* response header (lower case) carries.
std::optional<std::string> metadata_name(std::string_view header);

// RFC 3986 percent-decoding; nullopt for a '%' without two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

// Last-Modified as WAL-E's Azure SDK reported it (a Python datetime in
// UTC, printed as "2016-01-01 12:00:00+00:00"), from nanoseconds since
// the epoch.
std::string wale_timestamp(std::int64_t epoch_ns);

}  // namespace wale::storage::azure
