#include "daemon/backlog_policy.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "common/core/error.hpp"

namespace wale::daemon {
namespace {

// PostgreSQL's memory units (1kB = 1024 B), plus the IEC spellings.
constexpr std::array<std::pair<std::string_view, std::uint64_t>, 13> kUnits{{
    {"b", 1},
    {"k", 1ull << 10}, {"kb", 1ull << 10}, {"kib", 1ull << 10},
    {"m", 1ull << 20}, {"mb", 1ull << 20}, {"mib", 1ull << 20},
    {"g", 1ull << 30}, {"gb", 1ull << 30}, {"gib", 1ull << 30},
    {"t", 1ull << 40}, {"tb", 1ull << 40}, {"tib", 1ull << 40},
}};

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void bad_limit(std::string_view text, std::string_view name, std::string_view why) {
  throw Error(ErrorKind::usage, std::string(name) + "='" + std::string(text) + "' " + std::string(why) +
                                    "; give a size such as 2GB or 512MB, or a share of the space the backlog can "
                                    "grow into such as 20%");
}

std::string name_of(const config::ParsedCommand& settings, std::string_view key, std::string_view variable) {
  const auto it = settings.origin.find(std::string(key));
  return it != settings.origin.end() ? it->second : std::string(variable);
}

}  // namespace

std::uint64_t BacklogLimit::resolve(std::uint64_t room) const {
  if (unit == Unit::bytes) return bytes;
  if (unit == Unit::percent) return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(room) * percent / 100.0));
  return 0;
}

BacklogLimit parse_backlog_limit(std::string_view text, std::string_view name, bool unit_required) {
  BacklogLimit limit;
  limit.text = std::string(text);
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) bad_limit(text, name, "is empty");
  if (s.back() == '%') {
    s.remove_suffix(1);
    double p = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), p);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || !std::isfinite(p)) bad_limit(text, name, "is not a percentage");
    if (!(p > 0 && p < 100)) bad_limit(text, name, "must lie between 0% and 100%");
    limit.unit = BacklogLimit::Unit::percent;
    limit.percent = p;
    return limit;
  }
  std::uint64_t n = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec == std::errc::result_out_of_range) bad_limit(text, name, "is too large");
  if (r.ec != std::errc{} || r.ptr == s.data()) bad_limit(text, name, "is not a size");
  std::string_view unit_text(r.ptr, static_cast<std::size_t>(s.data() + s.size() - r.ptr));
  while (!unit_text.empty() && unit_text.front() == ' ') unit_text.remove_prefix(1);
  std::uint64_t multiplier = 0;
  if (unit_text.empty()) {
    if (unit_required) bad_limit(text, name, "has no unit (a plain number could be mistaken for a switch)");
    multiplier = 1;
  } else {
    const std::string u = lower(unit_text);
    for (const auto& [spelling, factor] : kUnits)
      if (u == spelling) multiplier = factor;
    if (multiplier == 0) bad_limit(text, name, "has an unknown unit '" + std::string(unit_text) + "'");
  }
  if (n > UINT64_MAX / multiplier) bad_limit(text, name, "is too large");
  if (n == 0) bad_limit(text, name, "must be more than zero");
  limit.unit = BacklogLimit::Unit::bytes;
  limit.bytes = n * multiplier;
  return limit;
}

std::string BacklogPolicy::drop_warning() const {
  if (!drops()) return {};
  const std::string where = drop.unit == BacklogLimit::Unit::percent
                                ? drop.text + " of the space it can grow into"
                                : drop.text;
  return "WAL WILL BE DROPPED when the archive backlog of a pg_wal directory exceeds " + where +
         " while the store is failing (WALE_DROP_WAL_ABOVE): such segments are reported archived without being "
         "stored, and the archive gets a gap that needs a new base backup";
}

BacklogPolicy parse_backlog_policy(const config::ParsedCommand& settings) {
  BacklogPolicy policy;
  const std::string warning_name = name_of(settings, "backlog_warning", "WALE_BACKLOG_WARNING");
  const std::string critical_name = name_of(settings, "backlog_critical", "WALE_BACKLOG_CRITICAL");
  policy.warning = parse_backlog_limit(settings.get("backlog_warning"), warning_name, false);
  policy.critical = parse_backlog_limit(settings.get("backlog_critical"), critical_name, false);
  const auto order = [](const BacklogLimit& lower, const std::string& lower_name, const BacklogLimit& upper,
                        const std::string& upper_name) {
    const bool same_unit = lower.unit == upper.unit;
    const bool inverted = same_unit && (lower.unit == BacklogLimit::Unit::percent ? lower.percent > upper.percent
                                                                                   : lower.bytes > upper.bytes);
    if (inverted)
      throw Error(ErrorKind::usage, upper_name + " (" + upper.text + ") is below " + lower_name + " (" + lower.text +
                                        "); set " + upper_name + " higher or " + lower_name + " lower");
  };
  order(policy.warning, warning_name, policy.critical, critical_name);
  if (settings.has("drop_wal_above")) {
    const std::string drop_name = name_of(settings, "drop_wal_above", "WALE_DROP_WAL_ABOVE");
    policy.drop = parse_backlog_limit(settings.get("drop_wal_above"), drop_name, true);
    if (policy.drop.unit == BacklogLimit::Unit::bytes && policy.drop.bytes < (1u << 20))
      throw Error(ErrorKind::usage, drop_name + "='" + policy.drop.text + "' is smaller than one WAL segment; give at least 1MB");
    order(policy.critical, critical_name, policy.drop, drop_name);
  }
  policy.stuck_after = std::chrono::seconds(settings.get_number("stuck_timeout"));
  return policy;
}

std::string_view level_name(BacklogLevel level) {
  switch (level) {
    case BacklogLevel::ok: return "ok";
    case BacklogLevel::warning: return "warning";
    case BacklogLevel::critical: return "critical";
  }
  return "ok";
}

BacklogLevel next_backlog_level(BacklogLevel current, std::uint64_t bytes, std::uint64_t warning_bytes,
                                std::uint64_t critical_bytes) {
  const auto reached = [bytes](std::uint64_t threshold) { return bytes > 0 && bytes >= threshold; };
  const auto below = [bytes](std::uint64_t threshold) { return static_cast<double>(bytes) < 0.9 * static_cast<double>(threshold); };
  if (reached(critical_bytes)) return BacklogLevel::critical;
  if (current == BacklogLevel::critical && !below(critical_bytes)) return BacklogLevel::critical;
  if (reached(warning_bytes)) return BacklogLevel::warning;
  if (current != BacklogLevel::ok && !below(warning_bytes)) return BacklogLevel::warning;
  return BacklogLevel::ok;
}

}  // namespace wale::daemon
