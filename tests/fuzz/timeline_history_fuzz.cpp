// libFuzzer target for timeline history files (wal_005/NNNNNNNN.history
// objects, read by wal-fetch's prefetch and by verify): hostile text ends
// in wale::Error(corrupt) or in a history whose timelines increase and
// whose switch points never go backwards, and the recovery chain built
// from it answers for every segment.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "common/archive/timeline_history.hpp"
#include "common/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<wale::archive::TimelineSwitch> history;
  try {
    history = wale::archive::parse_timeline_history(input);
  } catch (const wale::Error& e) {
    if (e.kind() != wale::ErrorKind::corrupt) __builtin_trap();
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) __builtin_trap();
    return 0;
  }
  for (std::size_t i = 1; i < history.size(); ++i)
    if (history[i].parent <= history[i - 1].parent || history[i].switchpoint < history[i - 1].switchpoint) __builtin_trap();
  if (!history.empty() && history.back().parent == std::numeric_limits<std::uint32_t>::max()) return 0;
  const std::uint32_t target = history.empty() ? 1 : history.back().parent + 1;
  const wale::archive::TimelineChain chain(target, history);
  if (chain.target() != target || chain.begin_of(target) != (history.empty() ? 0 : history.back().switchpoint)) __builtin_trap();
  const wale::pg::SegmentGeometry geometry;
  for (const auto& entry : history) {
    if (!chain.contains(entry.parent)) __builtin_trap();
    const std::uint64_t segment = entry.switchpoint / geometry.segment_size();
    // The segment holding a switch point is read from a later timeline.
    const std::uint32_t tli = chain.timeline_of_segment(segment, geometry);
    if (tli <= entry.parent || !chain.contains(tli)) __builtin_trap();
  }
  (void)chain.timeline_of_segment(0, geometry);
  (void)chain.timeline_of_segment(std::numeric_limits<std::uint64_t>::max(), geometry);
  return 0;
}
