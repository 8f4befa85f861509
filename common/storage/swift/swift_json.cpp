#include "common/storage/swift/swift_json.hpp"

#include <nlohmann/json.hpp>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "proto/bounded_json.hpp"

namespace wale::storage::swift {
namespace {

using nlohmann::json;

[[noreturn]] void unexpected(const std::string& what) { throw Error(ErrorKind::corrupt, "Swift answer: " + what); }

std::string squeeze(std::string_view text) {
  constexpr std::size_t kLongest = 200;
  std::string out;
  for (char c : text) {
    const bool space = static_cast<unsigned char>(c) <= 0x20;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kLongest) out = out.substr(0, kLongest) + "...";
  return out;
}

// Swift's error pages are "<html><h1>Title</h1><p>Explanation</p></html>".
std::string html_text(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size();) {
    if (body[i] != '<') {
      out += body[i++];
      continue;
    }
    const auto close = body.find('>', i);
    if (close == std::string_view::npos) break;
    const std::string_view tag = body.substr(i, close - i + 1);
    out += tag == "</h1>" ? ": " : " ";
    i = close + 1;
  }
  return out;
}

}  // namespace

std::vector<ListedObject> parse_listing(std::string_view body) {
  std::vector<ListedObject> out;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;  // 204 No Content
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception&) {
    unexpected("a container listing that is not JSON: " + squeeze(body));
  }
  if (!j.is_array()) unexpected("a container listing that is not a JSON array");
  out.reserve(j.size());
  for (const auto& entry : j) {
    if (!entry.is_object()) unexpected("a container listing entry that is not an object");
    if (entry.contains("subdir")) continue;
    const auto name = entry.find("name");
    const auto bytes = entry.find("bytes");
    if (name == entry.end() || !name->is_string() || bytes == entry.end() || !bytes->is_number_unsigned())
      unexpected("a container listing entry without a name and a size");
    ListedObject o;
    o.name = name->get<std::string>();
    o.bytes = bytes->get<std::uint64_t>();
    if (const auto modified = entry.find("last_modified"); modified != entry.end() && modified->is_string())
      o.last_modified = modified->get<std::string>();
    out.push_back(std::move(o));
  }
  return out;
}

std::string slo_manifest(const std::vector<Segment>& segments) {
  json manifest = json::array();
  for (const Segment& s : segments) manifest.push_back({{"path", s.path}, {"etag", s.etag}, {"size_bytes", s.size}});
  return manifest.dump();
}

std::string slo_etag(const std::vector<Segment>& segments) {
  codec::Digest md5(codec::DigestKind::md5);
  for (const Segment& s : segments) md5.update(s.etag);
  return codec::to_hex(md5.finish());
}

std::string bulk_delete_body(const std::string& container, const std::vector<std::string>& names) {
  std::string body;
  const std::string head = "/" + net::uri_encode(container, false) + "/";
  for (const std::string& name : names) body += head + net::uri_encode(name, true) + "\n";
  return body;
}

BulkDeleteResult parse_bulk_delete(std::string_view body) {
  json j;
  try {
    j = json::parse(body);  // heartbeat whitespace before the document is fine
  } catch (const json::exception&) {
    throw Error(ErrorKind::transient, "Swift answer: a bulk delete result that is not JSON: " + squeeze(body));
  }
  if (!j.is_object()) unexpected("a bulk delete result that is not a JSON object");
  BulkDeleteResult r;
  try {
    r.status = j.value("Response Status", std::string());
    r.body = j.value("Response Body", std::string());
  } catch (const json::exception&) {
    unexpected("a bulk delete result with fields of the wrong type");
  }
  const auto deleted = proto::unsigned_field(j, "Number Deleted", 0);
  const auto not_found = proto::unsigned_field(j, "Number Not Found", 0);
  if (!deleted || !not_found) unexpected("a bulk delete result whose counts are not whole numbers");
  r.deleted = *deleted;
  r.not_found = *not_found;
  if (const auto errors = j.find("Errors"); errors != j.end() && errors->is_array())
    for (const auto& e : *errors)
      if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string())
        r.errors.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
  if (r.status.empty()) unexpected("a bulk delete result without a Response Status");
  return r;
}

std::optional<std::size_t> bulk_delete_limit(std::string_view info) {
  try {
    const json j = json::parse(info);
    if (!j.is_object() || !j.contains("bulk_delete")) return std::nullopt;
    const json& bulk = j["bulk_delete"];
    const auto limit = bulk.is_object() ? proto::unsigned_field(bulk, "max_deletes_per_request", 10000) : 10000;
    return limit && *limit > 0 ? std::optional<std::size_t>(*limit) : std::nullopt;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string server_message(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
  if (body.find_first_not_of(" \t\r\n") == body.find('{')) {
    try {
      const json j = json::parse(body);
      if (j.is_object() && j.contains("error") && j["error"].is_object()) {
        const json& e = j["error"];
        const std::string title = e.value("title", std::string());
        const std::string message = e.value("message", std::string());
        return squeeze(title.empty() ? message : message.empty() ? title : title + ": " + message);
      }
    } catch (const json::exception&) {
    }
  }
  return squeeze(body.find('<') == std::string_view::npos ? std::string(body) : html_text(body));
}

}  // namespace wale::storage::swift
