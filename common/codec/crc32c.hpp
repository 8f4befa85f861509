// CRC-32C (Castagnoli), the checksum Google Cloud Storage keeps of every
// object and checks uploads against. Debian 12 packages no CRC-32C library;
// the SSE4.2 crc32 instruction computes it at memory speed where the CPU
// has it, Boost.CRC's table does elsewhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wale::codec {

// Continues a CRC-32C over `data` (start with 0).
std::uint32_t crc32c(std::uint32_t crc, std::string_view data);

// The table-driven computation, for the tests to compare with.
std::uint32_t crc32c_portable(std::uint32_t crc, std::string_view data);

// The four bytes of a CRC-32C in big-endian order, base64-encoded: how
// Google Cloud Storage writes it (object resources, x-goog-hash).
std::string crc32c_base64(std::uint32_t crc);

}  // namespace wale::codec
