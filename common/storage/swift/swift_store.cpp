#include "common/storage/swift/swift_store.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/storage/resumable_get.hpp"
#include "common/storage/s3/s3_xml.hpp"
#include "common/storage/swift/slo_writer.hpp"
#include "common/storage/swift/swift_auth.hpp"
#include "common/storage/swift/swift_json.hpp"

namespace wale::storage::swift {
namespace {

constexpr std::string_view kMetaHeaderPrefix = "x-object-meta-";

std::string md5_hex(std::string_view body) {
  codec::Digest d(codec::DigestKind::md5);
  d.update(body);
  return codec::to_hex(d.finish());
}

std::string query_string(const std::vector<std::pair<std::string, std::string>>& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    out += out.empty() ? "?" : "&";
    out += net::uri_encode(name, false);
    if (!value.empty()) out += "=" + net::uri_encode(value, false);
  }
  return out;
}

// Swift's /info lives beside the API version in the storage URL
// (/v1/AUTH_x -> /info, /swift/v1/AUTH_x -> /swift/info), as
// python-swiftclient finds it.
std::string info_path(const std::string& storage_path) {
  for (auto i = storage_path.find("/v"); i != std::string::npos; i = storage_path.find("/v", i + 1))
    if (i + 2 < storage_path.size() && std::isdigit(static_cast<unsigned char>(storage_path[i + 2])))
      return storage_path.substr(0, i) + "/info";
  return storage_path + "/info";
}

std::string advice(int status, const std::string& container) {
  switch (status) {
    case 401:
      return "; check SWIFT_USER and SWIFT_PASSWORD (the token was refused even after authenticating again)";
    case 403:
      return "; check that SWIFT_USER may use the container '" + container + "' (its ACLs and the user's roles)";
    case 404:
      return "; create the container '" + container + "' or fix WALE_SWIFT_PREFIX";
    case 422:
      return "; the body did not match its MD5 on the way to the store";
    default:
      return "";
  }
}

std::string common_prefix(const std::vector<std::string>& names) {
  if (names.empty()) return {};
  std::string prefix = names.front();
  for (const std::string& n : names) {
    const auto mismatch = std::mismatch(prefix.begin(), prefix.end(), n.begin(), n.end());
    prefix.erase(mismatch.first, prefix.end());
  }
  return prefix;
}

}  // namespace

SwiftStore::SwiftStore(StoreUrl url, SwiftSettings settings)
    : BlobStore(std::move(url)), settings_(std::move(settings)), segment_container_(settings_.container + "_segments") {
  net::HttpClientOptions options;
  options.max_connections_per_endpoint = settings_.max_connections;
  options.ca_file = settings_.ca_file;
  options.ca_file_variable = "WALE_SWIFT_CA_FILE";
  options.retry.max_attempts = 5;
  options.retry.max_delay = std::chrono::seconds(5);
  client_ = std::make_unique<net::HttpClient>(options);
  auth_ = std::make_unique<SwiftAuth>(*client_, settings_);
}

SwiftStore::~SwiftStore() = default;

std::string SwiftStore::object_name(const std::string& key) const { return "/" + url().path_prefix + key; }

std::string SwiftStore::object_path(const std::string& container, const std::string& name) {
  return "/" + net::uri_encode(container, false) + "/" + net::uri_encode(name, true);
}

std::uint64_t SwiftStore::connections_opened() const { return client_->connections_opened(); }
std::uint64_t SwiftStore::authentications() const { return auth_->authentications(); }

net::HttpResponse SwiftStore::send(const Request& r, ByteSink* sink, std::uint64_t* delivered) {
  // A token can lapse or be revoked at any time: a 401 gets one more try
  // with a fresh one.
  for (int round = 1;; ++round) {
    const auto session = auth_->current();
    net::HttpRequest request;
    request.method = r.method;
    request.target = session->storage.path + r.path + query_string(r.query);
    if (request.target.empty()) request.target = "/";
    request.headers = r.headers;
    request.headers.emplace_back("x-auth-token", session->token);
    request.body = r.body;
    request.idempotent = r.idempotent;
    auto response = client_->send(session->storage.endpoint, std::move(request), sink, {}, delivered);
    if (response.status != 401 || round == 2) return response;
    auth_->reject(session);
  }
}

void SwiftStore::fail(const std::string& what, const net::HttpResponse& response, const std::string& container,
                      const std::string& hint) const {
  std::string text = what + ": HTTP " + std::to_string(response.status);
  if (const std::string message = server_message(response.body); !message.empty()) text += " (" + message + ")";
  const bool transient = net::retryable_status(response.status) || response.status == 422;
  throw Error(transient ? ErrorKind::transient : ErrorKind::permanent, text + (hint.empty() ? advice(response.status, container) : hint));
}

void SwiftStore::add_put_headers(net::Headers& headers, const PutOptions& options) {
  for (const auto& [name, value] : options.metadata) headers.emplace_back(std::string(kMetaHeaderPrefix) + name, value);
  if (!options.content_type.empty()) headers.emplace_back("content-type", options.content_type);
  if (options.if_absent) headers.emplace_back("if-none-match", "*");
}

PutOutcome SwiftStore::put(const std::string& key, std::string_view body, const PutOptions& options) {
  Request r;
  r.method = "PUT";
  r.path = object_path(settings_.container, object_name(key));
  r.body = body;
  r.headers = {{"etag", md5_hex(body)}};
  add_put_headers(r.headers, options);
  const auto response = send(r);
  if (response.status == 412 && options.if_absent) return PutOutcome::already_exists;
  if (response.status != 201) fail("cannot store " + url().url_for(key), response, settings_.container);
  return PutOutcome::stored;
}

std::unique_ptr<ByteSink> SwiftStore::open_writer(const std::string& key, const PutOptions& options) {
  return std::make_unique<SloWriter>(*this, key, options);
}

std::optional<ObjectInfo> SwiftStore::head(const std::string& key) {
  Request r;
  r.method = "HEAD";
  r.path = object_path(settings_.container, object_name(key));
  const auto response = send(r);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200 && response.status != 204) fail("cannot examine " + url().url_for(key), response, settings_.container);
  ObjectInfo info;
  info.key = key;
  const std::string length = response.header("content-length");
  std::from_chars(length.data(), length.data() + length.size(), info.size);
  info.last_modified = response.header("last-modified");
  info.mtime_ns = s3::parse_http_date_ns(info.last_modified);
  for (const auto& [name, value] : response.headers)
    if (name.starts_with(kMetaHeaderPrefix)) info.metadata[name.substr(kMetaHeaderPrefix.size())] = value;
  return info;
}

void SwiftStore::get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) {
  const std::string url = this->url().url_for(key);
  auto send_range = [&](const std::string& range_header, ByteSink& out, std::uint64_t& delivered) {
    Request r;
    r.path = object_path(settings_.container, object_name(key));
    if (!range_header.empty()) r.headers = {{"range", range_header}};
    return send(r, &out, &delivered);
  };
  auto refuse = [&](const net::HttpResponse& response) {
    if (response.status == 404) throw Error(ErrorKind::not_found, "no object " + url);
    fail("cannot read " + url, response, settings_.container);
  };
  resumable_get(url, sink, range, send_range, refuse);
}

bool SwiftStore::list_container(const std::string& container, const std::string& prefix,
                                const std::function<void(ListedObject&&)>& each) {
  std::string marker;
  // Until an empty page: a cluster may serve fewer names a page than asked
  // for, so a short page does not prove the end.
  for (;;) {
    Request r;
    r.path = "/" + net::uri_encode(container, false);
    r.query = {{"format", "json"}, {"prefix", prefix}};
    if (settings_.list_page_size > 0) r.query.emplace_back("limit", std::to_string(settings_.list_page_size));
    if (!marker.empty()) r.query.emplace_back("marker", marker);
    const auto response = send(r);
    if (response.status == 404) return false;
    if (response.status == 412) fail("cannot list the container '" + container + "'", response, container, "; lower WALE_LIST_PAGE_SIZE");
    if (response.status != 200 && response.status != 204) fail("cannot list the container '" + container + "'", response, container);
    auto page = parse_listing(response.body);
    if (page.empty()) return true;
    marker = page.back().name;
    for (auto& object : page) each(std::move(object));
  }
}

void SwiftStore::list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) {
  const std::string full_prefix = object_name(prefix);
  const std::size_t strip = full_prefix.size() - prefix.size();
  const bool found = list_container(settings_.container, full_prefix, [&](ListedObject&& object) {
    ObjectInfo info;
    info.key = object.name.substr(strip);
    info.size = object.bytes;
    // Swift writes UTC without a zone: 2024-01-02T03:04:05.123456.
    info.mtime_ns = s3::parse_iso8601_ns(object.last_modified + "Z");
    info.last_modified = std::move(object.last_modified);
    each(std::move(info));
  });
  if (!found)
    throw Error(ErrorKind::permanent, "cannot list " + url().url_for(prefix) + ": the container '" + settings_.container +
                                          "' does not exist; create it or fix WALE_SWIFT_PREFIX");
}

std::optional<std::size_t> SwiftStore::bulk_delete_limit() {
  std::lock_guard lock(capabilities_mutex_);
  if (capabilities_known_) return bulk_delete_limit_;
  const auto session = auth_->current();
  net::HttpRequest request;
  request.target = info_path(session->storage.path);
  try {
    const auto response = client_->send(session->storage.endpoint, std::move(request));
    if (response.status == 200) bulk_delete_limit_ = swift::bulk_delete_limit(response.body);
    // Only a definite answer is remembered: a cluster that is merely
    // unavailable now is asked again next time.
    capabilities_known_ = response.status == 200 || response.status == 404 || response.status == 401;
  } catch (const Error&) {
  }
  return bulk_delete_limit_;
}

void SwiftStore::remove_names(const std::string& container, const std::vector<std::string>& names) {
  const auto limit = bulk_delete_limit();
  if (!limit) {
    for (const std::string& name : names) {
      Request r;
      r.method = "DELETE";
      r.path = object_path(container, name);
      const auto response = send(r);
      if (response.status != 204 && response.status != 200 && response.status != 404)
        fail("cannot delete swift://" + container + "/" + name, response, container);
    }
    return;
  }
  for (std::size_t start = 0; start < names.size(); start += *limit) {
    const std::vector<std::string> batch(names.begin() + static_cast<std::ptrdiff_t>(start),
                                         names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), start + *limit)));
    const std::string body = bulk_delete_body(container, batch);
    Request r;
    r.method = "POST";
    r.query = {{"bulk-delete", ""}};
    r.headers = {{"content-type", "text/plain"}, {"accept", "application/json"}};
    r.body = body;
    const auto response = send(r);
    const std::string where = "swift://" + container + "/" + common_prefix(batch);
    if (response.status != 200) fail("cannot delete objects under " + where, response, container);
    const BulkDeleteResult result = parse_bulk_delete(response.body);
    if (!result.errors.empty()) {
      const auto& [name, status] = result.errors.front();
      const bool refused = status.starts_with("401") || status.starts_with("403");
      throw Error(refused ? ErrorKind::permanent : ErrorKind::transient,
                  "Swift could not delete " + std::to_string(result.errors.size()) + " of the objects under " + where +
                      ", the first " + name + ": " + status + (refused ? advice(403, container) : ""));
    }
    if (!result.status.starts_with("2"))
      throw Error(result.status.starts_with("5") ? ErrorKind::transient : ErrorKind::permanent,
                  "Swift's bulk delete under " + where + " answered " + result.status +
                      (result.body.empty() ? std::string() : " (" + server_message(result.body) + ")"));
  }
}

void SwiftStore::remove_segments_of(const std::vector<std::string>& owners) {
  const std::set<std::string> wanted(owners.begin(), owners.end());
  std::vector<std::string> segments;
  list_container(segment_container_, common_prefix(owners), [&](ListedObject&& object) {
    if (const auto owner = segment_owner(object.name); owner && wanted.count(*owner)) segments.push_back(std::move(object.name));
  });
  if (!segments.empty()) remove_names(segment_container_, segments);
}

void SwiftStore::remove(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  std::vector<std::string> names;
  std::vector<std::string> owners;
  for (const std::string& key : keys) {
    names.push_back(object_name(key));
    owners.push_back(url().path_prefix + key);
  }
  // Objects first: a crash in between leaves unreferenced segments, never
  // an object whose segments are gone.
  remove_names(settings_.container, names);
  remove_segments_of(owners);
}

void SwiftStore::create_segment_container() {
  Request h;
  h.method = "HEAD";
  h.path = "/" + net::uri_encode(settings_.container, false);
  const auto archive = send(h);
  if (archive.status / 100 != 2) fail("cannot examine the container '" + settings_.container + "'", archive, settings_.container);
  Request r;
  r.method = "PUT";
  r.path = "/" + net::uri_encode(segment_container_, false);
  if (const std::string policy = archive.header("x-storage-policy"); !policy.empty()) r.headers = {{"x-storage-policy", policy}};
  const auto response = send(r);
  if (response.status != 201 && response.status != 202 && response.status != 204)
    fail("cannot create the segment container '" + segment_container_ + "' for large objects", response, segment_container_);
}

}  // namespace wale::storage::swift
