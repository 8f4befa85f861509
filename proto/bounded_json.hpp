// Parsing JSON that comes from outside (socket requests, sentinels, restore
// specifications, instance-metadata answers) with a limit on nesting.
// nlohmann_json parses and destroys iteratively, but copying, comparing and
// printing a value recurse: a document nested 100 000 levels deep parses,
// then overflows the stack at its first copy. No document wal-e reads nests
// more than a few levels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wale::proto {

inline constexpr int kMaxJsonDepth = 64;

// Caught wherever nlohmann_json's own errors are (it is one of them).
class JsonTooDeep final : public nlohmann::json::exception {
 public:
  explicit JsonTooDeep(int max_depth)
      : exception(901, ("JSON nested deeper than " + std::to_string(max_depth) + " levels").c_str()) {}
};

// Json::parse, refusing documents nested deeper than `max_depth`. Throws
// nlohmann::json::exception (parse_error, or JsonTooDeep).
template <class Json = nlohmann::json>
Json parse_bounded_json(std::string_view text, int max_depth = kMaxJsonDepth) {
  using Event = nlohmann::json::parse_event_t;
  // `depth` counts the containers around the one that starts.
  return Json::parse(text, [max_depth](int depth, Event event, Json&) {
    if ((event == Event::object_start || event == Event::array_start) && depth >= max_depth) throw JsonTooDeep(max_depth);
    return true;
  });
}

// An unsigned integer field of the object `j`: `absent` when it has no such
// field, nullopt when the field is anything but a non-negative integer.
// (nlohmann's value(name, std::uint64_t{}) converts what it finds: a float
// out of range, such as 1e30, is undefined behaviour, and -1 wraps.)
template <class Json>
std::optional<std::uint64_t> unsigned_field(const Json& j, const std::string& name, std::uint64_t absent) {
  const auto it = j.find(name);
  if (it == j.end()) return absent;
  if (!it->is_number_unsigned()) return std::nullopt;
  return it->template get<std::uint64_t>();
}

}  // namespace wale::proto
