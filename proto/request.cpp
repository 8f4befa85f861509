#include "proto/request.hpp"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "proto/bounded_json.hpp"
#include "proto/frame.hpp"

namespace wale::proto {
namespace {

constexpr std::array<std::string_view, 14> kForwarded{
    "WALE_FILE_PREFIX", "WALE_S3_PREFIX",       "WALE_WABS_PREFIX",     "WALE_GS_PREFIX",    "WALE_SWIFT_PREFIX",
    "PGHOST",           "PGPORT",               "PGUSER",               "PGDATABASE",        "PGSSLMODE",
    "WALE_GPG_KEY_ID",  "WALE_LOG_DESTINATION", "WALE_SYSLOG_FACILITY", "WALE_SYSLOG_SOCKET"};

}  // namespace

std::span<const std::string_view> forwarded_environment() { return kForwarded; }

bool is_forwarded_variable(std::string_view name) {
  return std::find(kForwarded.begin(), kForwarded.end(), name) != kForwarded.end();
}

std::string encode_request(const Request& request) {
  nlohmann::json env = nlohmann::json::object();
  for (const auto& [k, v] : request.env)
    if (is_forwarded_variable(k)) env[k] = v;
  nlohmann::json j{{"argv", request.argv}, {"cwd", request.cwd}, {"env", env}, {"tty", request.stderr_is_tty}};
  if (!request.client.empty()) j["client"] = request.client;
  return j.dump();
}

Request decode_request(std::string_view payload) {
  try {
    const auto j = parse_bounded_json(payload);
    Request r;
    r.argv = j.at("argv").get<std::vector<std::string>>();
    r.cwd = j.at("cwd").get<std::string>();
    r.stderr_is_tty = j.value("tty", false);
    r.client = j.value("client", std::string());
    const auto& env = j.at("env");
    if (!env.is_object()) throw ProtocolError("malformed request: env is not an object");
    for (const auto& [k, v] : env.items())
      if (is_forwarded_variable(k)) r.env[k] = v.get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw ProtocolError(std::string("malformed request: ") + e.what());
  }
}

}  // namespace wale::proto
