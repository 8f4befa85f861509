// libFuzzer target for backup sentinels and restore specifications (JSON
// from the store, and from --restore-spec files): hostile documents end in
// wale::Error (corrupt or usage) or in a sentinel, never in a crash, a
// stack overflow or unbounded memory. A sentinel that parses must survive
// being written out (as WAL-E writes it) and read back unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/archive/sentinel.hpp"
#include "common/core/error.hpp"

namespace {

bool same_spec(const wale::archive::RestoreSpec& a, const wale::archive::RestoreSpec& b) {
  if (a.base_prefix != b.base_prefix || a.tablespaces.size() != b.tablespaces.size()) return false;
  for (std::size_t i = 0; i < a.tablespaces.size(); ++i) {
    const auto& x = a.tablespaces[i];
    const auto& y = b.tablespaces[i];
    if (x.oid != y.oid || x.location != y.location || x.link != y.link) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto sentinel = wale::archive::parse_sentinel(input);
    const auto again = wale::archive::parse_sentinel(wale::archive::sentinel_json(sentinel));
    if (again.stop_segment != sentinel.stop_segment || again.stop_offset != sentinel.stop_offset ||
        again.expanded_size_bytes != sentinel.expanded_size_bytes || again.partitions != sentinel.partitions ||
        again.spec.has_value() != sentinel.spec.has_value())
      __builtin_trap();
    if (sentinel.spec && !same_spec(*sentinel.spec, *again.spec)) __builtin_trap();
    (void)wale::archive::merge_restore_spec(sentinel.spec.value_or(wale::archive::RestoreSpec{}), input);
  } catch (const wale::Error& e) {
    if (e.kind() != wale::ErrorKind::corrupt && e.kind() != wale::ErrorKind::usage) __builtin_trap();
  }
  return 0;
}
