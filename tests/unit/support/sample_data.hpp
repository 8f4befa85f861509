// Deterministic test inputs for the codecs: incompressible, text-like and
// mixed data of any size, the same for the same seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wale::test {

std::string random_bytes(std::size_t size, std::uint64_t seed);
// Log-like text: compresses well but not trivially, so damage to a match
// rarely goes unnoticed.
std::string text_like(std::size_t size, std::uint64_t seed);
// Runs of text_like and random_bytes, 100 kB and more each.
std::string mixed(std::size_t size, std::uint64_t seed);

}  // namespace wale::test
