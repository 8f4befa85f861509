// Adler-32, the checksum lzop keeps of every block (WAL-E's objects carry
// it for the uncompressed data). Every byte archived or restored passes
// through it, so it uses AVX2 where the CPU has it: liblzo2's scalar loop
// cost a third as much as the compression itself.
#pragma once

#include <cstdint>
#include <string_view>

namespace wale::codec {

inline constexpr std::uint32_t kAdler32Init = 1;

// Continues an Adler-32 over `data` (start with kAdler32Init).
std::uint32_t adler32(std::uint32_t adler, std::string_view data);

// The plain loop, for the tests to compare with.
std::uint32_t adler32_portable(std::uint32_t adler, std::string_view data);

}  // namespace wale::codec
