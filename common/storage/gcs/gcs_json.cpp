#include "common/storage/gcs/gcs_json.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "common/core/error.hpp"
#include "common/core/file.hpp"
#include "common/storage/file_store.hpp"

namespace wale::storage::gcs {
namespace {

using nlohmann::json;

std::string string_field(const json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// GCS writes 64-bit numbers as strings ("size": "1234").
std::optional<std::uint64_t> number_field(const json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  if (!it->is_string()) return std::nullopt;
  const std::string text = it->get<std::string>();
  std::uint64_t n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

ObjectResource object_from(const json& j, const std::string& what) {
  ObjectResource o;
  o.name = string_field(j, "name");
  const auto size = number_field(j, "size");
  if (o.name.empty() || !size) throw Error(ErrorKind::permanent, "the store answered " + what + " with an object without a name or size");
  o.size = *size;
  o.updated = string_field(j, "updated");
  o.md5_hash = string_field(j, "md5Hash");
  o.crc32c = string_field(j, "crc32c");
  if (const auto m = j.find("metadata"); m != j.end() && m->is_object())
    for (const auto& [k, v] : m->items())
      if (v.is_string()) o.metadata[k] = v.get<std::string>();
  return o;
}

json parse_or_fail(std::string_view body, const std::string& what) {
  try {
    json j = json::parse(body);
    if (j.is_object()) return j;
  } catch (const json::exception&) {
  }
  throw Error(ErrorKind::permanent, "the store answered " + what + " with something that is not a JSON object");
}

}  // namespace

std::string one_line(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

ObjectResource parse_object_resource(std::string_view body, const std::string& what) {
  return object_from(parse_or_fail(body, what), what);
}

ObjectListPage parse_object_list(std::string_view body, const std::string& what) {
  const json j = parse_or_fail(body, what);
  ObjectListPage page;
  page.next_page_token = string_field(j, "nextPageToken");
  if (const auto items = j.find("items"); items != j.end()) {
    if (!items->is_array()) throw Error(ErrorKind::permanent, "the store answered " + what + " with items that are not a list");
    for (const auto& item : *items) page.items.push_back(object_from(item, what));
  }
  return page;
}

ServiceError parse_service_error(std::string_view body) {
  ServiceError e;
  try {
    const json j = json::parse(body);
    const auto error = j.find("error");
    if (error != j.end() && error->is_object()) {
      e.message = one_line(string_field(*error, "message"));
      if (const auto errors = error->find("errors"); errors != error->end() && errors->is_array() && !errors->empty())
        e.reason = one_line(string_field(errors->front(), "reason"));
      return e;
    }
  } catch (const json::exception&) {
  }
  // Plain text (the emulator's 404 of a download): its first line, when it
  // reads as text. Markup (a proxy's error page) says nothing useful.
  std::string_view first = body.substr(0, body.find('\n'));
  if (!first.empty() && first.size() <= 300 && first.front() != '<' && first.front() != '{') e.message = one_line(std::string(first));
  return e;
}

std::string object_metadata_json(const std::string& name, const std::string& content_type,
                                 const std::map<std::string, std::string>& metadata, const std::string& md5_base64,
                                 const std::string& crc32c_base64) {
  json j{{"name", name}, {"contentType", content_type}};
  if (!metadata.empty()) j["metadata"] = metadata;
  if (!md5_base64.empty()) j["md5Hash"] = md5_base64;
  if (!crc32c_base64.empty()) j["crc32c"] = crc32c_base64;
  return j.dump();
}

MultipartBody multipart_related(std::string_view metadata_json, std::string_view media, std::string_view media_type) {
  std::string boundary;
  do {
    boundary = "wal-e-" + random_token(24);
  } while (media.find(boundary) != std::string_view::npos || metadata_json.find(boundary) != std::string_view::npos);
  MultipartBody out;
  out.content_type = "multipart/related; boundary=" + boundary;
  out.body.reserve(media.size() + metadata_json.size() + 3 * boundary.size() + 128);
  out.body += "--" + boundary + "\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n";
  out.body += metadata_json;
  out.body += "\r\n--" + boundary + "\r\ncontent-type: ";
  out.body += media_type;
  out.body += "\r\n\r\n";
  out.body += media;
  out.body += "\r\n--" + boundary + "--\r\n";
  return out;
}

std::string python_datetime_text(std::int64_t epoch_ns) {
  std::string text = file_timestamp(epoch_ns);
  if (const auto t = text.find('T'); t != std::string::npos) text[t] = ' ';
  return text + "+00:00";
}

}  // namespace wale::storage::gcs
