#include "common/storage/gcs/gcs_store.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>

#include "common/codec/crc32c.hpp"
#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "common/storage/gcs/access_tokens.hpp"
#include "common/storage/gcs/gcs_errors.hpp"
#include "common/storage/gcs/gcs_json.hpp"
#include "common/storage/gcs/resumable_upload.hpp"
#include "common/storage/resumable_get.hpp"
#include "common/storage/s3/s3_xml.hpp"

namespace wale::storage::gcs {
namespace {

constexpr std::string_view kDefaultContentType = "application/octet-stream";
// Deletes in flight at once: GCS has no batch delete in its JSON API
// (besides the multipart batch endpoint, which is being retired for
// uploads and adds little for deletes).
constexpr std::size_t kDeleteConcurrency = 8;

std::string encode(std::string_view text) { return net::uri_encode(text, false); }

std::string content_type_of(const PutOptions& options) {
  return options.content_type.empty() ? std::string(kDefaultContentType) : options.content_type;
}

}  // namespace

GcsStore::GcsStore(StoreUrl url, GcsSettings settings) : BlobStore(std::move(url)), settings_(std::move(settings)) {
  net::HttpClientOptions options;
  options.max_connections_per_endpoint = settings_.max_connections;
  options.retry.max_attempts = 5;
  options.retry.max_delay = std::chrono::seconds(5);
  client_ = std::make_unique<net::HttpClient>(options);
  tokens_ = make_access_tokens(settings_.credentials, *client_);
}

GcsStore::~GcsStore() = default;

std::uint64_t GcsStore::connections_opened() const { return client_->connections_opened(); }

std::string GcsStore::object_name(const std::string& key) const { return "/" + url().path_prefix + key; }

std::string GcsStore::object_path(const std::string& key) const {
  return "/storage/v1/b/" + encode(settings_.bucket) + "/o/" + encode(object_name(key));
}

std::string GcsStore::upload_path() const { return "/upload/storage/v1/b/" + encode(settings_.bucket) + "/o"; }

net::HttpResponse GcsStore::send(const Request& r, ByteSink* sink, std::uint64_t* delivered) {
  net::HttpRequest request;
  request.method = r.method;
  request.target = r.target;
  request.body = r.body;
  request.idempotent = r.idempotent;
  request.headers.assign(r.headers.begin(), r.headers.end());
  auto sign = [this](net::HttpRequest& attempt) {
    if (const std::string authorization = tokens_->authorization(); !authorization.empty())
      attempt.headers.emplace_back("authorization", authorization);
  };
  auto response = client_->send(settings_.endpoint, request, sink, sign, delivered);
  // A token can be revoked or lapse early: one more try with a fresh one.
  if (response.status == 401 && settings_.credentials.source != CredentialSource::none) {
    tokens_->invalidate();
    response = client_->send(settings_.endpoint, request, sink, sign, delivered);
  }
  return response;
}

void GcsStore::fail(const std::string& what, const net::HttpResponse& response) const {
  throw service_failure(what, response.status, response.body, settings_);
}

void GcsStore::check_stored(const ObjectResource& stored, const std::string& key, std::uint64_t size,
                            const std::string& md5_base64, const std::string& crc32c_base64) {
  const std::string name = object_name(key);
  std::string problem;
  if (stored.name != name)
    problem = "under the name '" + stored.name + "' instead of '" + name + "'";
  else if (stored.size != size)
    problem = "with " + std::to_string(stored.size) + " bytes instead of " + std::to_string(size);
  else if (stored.crc32c != crc32c_base64)
    problem = "with CRC-32C " + stored.crc32c + " instead of " + crc32c_base64;
  else if (!stored.md5_hash.empty() && stored.md5_hash != md5_base64)
    problem = "with MD5 " + stored.md5_hash + " instead of " + md5_base64;
  if (problem.empty()) return;
  // Nothing may stay behind that a later "already stored?" check would
  // take for the object.
  discard(stored);
  if (stored.name != name)
    throw Error(ErrorKind::permanent, "the store saved " + url().url_for(key) + " " + problem +
                                          "; it does not keep object names as given, which WAL-E's layout needs");
  throw Error(ErrorKind::transient, "the store saved " + url().url_for(key) + " " + problem + "; the upload is retried");
}

void GcsStore::discard(const ObjectResource& stored) noexcept {
  try {
    Request r;
    r.method = "DELETE";
    r.target = "/storage/v1/b/" + encode(settings_.bucket) + "/o/" + encode(stored.name);
    send(r);
  } catch (...) {
  }
}

PutOutcome GcsStore::put(const std::string& key, std::string_view body, const PutOptions& options) {
  // The emulators ignore ifGenerationMatch; a HEAD first is what every one
  // of them understands, and the precondition still guards real GCS
  // against a writer racing between the two.
  if (options.if_absent && head(key)) return PutOutcome::already_exists;
  const std::string name = object_name(key);
  const std::string md5 = codec::md5_base64(body);
  const std::string crc = codec::crc32c_base64(codec::crc32c(0, body));
  const std::string content_type = content_type_of(options);
  const MultipartBody upload =
      multipart_related(object_metadata_json(name, content_type, options.metadata, md5, crc), body, content_type);
  Request r;
  r.method = "POST";
  // The name goes in the query as well as in the metadata (the query wins
  // for GCS): the Firebase emulator drops a leading '/' from the metadata's.
  r.target = upload_path() + "?uploadType=multipart&name=" + encode(name);
  if (options.if_absent) r.target += "&ifGenerationMatch=0";
  r.headers = {{"content-type", upload.content_type}};
  r.body = upload.body;
  const auto response = send(r);
  if (response.status == 412 && options.if_absent) return PutOutcome::already_exists;
  if (response.status != 200) fail("cannot store " + url().url_for(key), response);
  check_stored(parse_object_resource(response.body, "the upload of " + url().url_for(key)), key, body.size(), md5, crc);
  return PutOutcome::stored;
}

std::unique_ptr<ByteSink> GcsStore::open_writer(const std::string& key, const PutOptions& options) {
  return std::make_unique<ResumableUpload>(*this, key, options);
}

std::optional<ObjectInfo> GcsStore::head(const std::string& key) {
  Request r;
  r.target = object_path(key);
  const auto response = send(r);
  if (response.status == 404 && !bucket_missing(response.body)) return std::nullopt;
  if (response.status != 200) fail("cannot examine " + url().url_for(key), response);
  ObjectResource object = parse_object_resource(response.body, "a request for " + url().url_for(key));
  ObjectInfo info;
  info.key = key;
  info.size = object.size;
  info.mtime_ns = s3::parse_iso8601_ns(object.updated);
  info.last_modified = python_datetime_text(info.mtime_ns);
  info.metadata = std::move(object.metadata);
  return info;
}

void GcsStore::get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) {
  const std::string url = this->url().url_for(key);
  auto send_range = [&](const std::string& range_header, ByteSink& out, std::uint64_t& delivered) {
    Request r;
    r.target = object_path(key) + "?alt=media";
    if (!range_header.empty()) r.headers = {{"range", range_header}};
    return send(r, &out, &delivered);
  };
  auto refuse = [&](const net::HttpResponse& response) {
    if (response.status == 404 && !bucket_missing(response.body)) throw Error(ErrorKind::not_found, "no object " + url);
    fail("cannot read " + url, response);
  };
  resumable_get(url, sink, range, send_range, refuse);
}

void GcsStore::list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) {
  const std::string name_prefix = object_name("");
  std::string token;
  do {
    Request r;
    r.target = "/storage/v1/b/" + encode(settings_.bucket) + "/o?prefix=" + encode(name_prefix + prefix) +
               "&maxResults=" + std::to_string(settings_.list_page_size) +
               "&fields=" + encode("nextPageToken,items(name,size,updated)");
    if (!token.empty()) r.target += "&pageToken=" + encode(token);
    const auto response = send(r);
    if (response.status != 200) fail("cannot list " + url().url_for(prefix), response);
    ObjectListPage page = parse_object_list(response.body, "a listing of " + url().url_for(prefix));
    for (auto& object : page.items) {
      if (!object.name.starts_with(name_prefix)) continue;
      ObjectInfo info;
      info.key = object.name.substr(name_prefix.size());
      info.size = object.size;
      info.mtime_ns = s3::parse_iso8601_ns(object.updated);
      info.last_modified = python_datetime_text(info.mtime_ns);
      each(std::move(info));
    }
    if (!page.next_page_token.empty() && page.next_page_token == token)
      throw Error(ErrorKind::permanent, "the store answered a listing of " + url().url_for(prefix) + " with the same page token twice");
    token = std::move(page.next_page_token);
  } while (!token.empty());
}

void GcsStore::remove_one(const std::string& key) {
  Request r;
  r.method = "DELETE";
  r.target = object_path(key);
  const auto response = send(r);
  if (response.status == 204 || response.status == 200) return;
  if (response.status == 404 && !bucket_missing(response.body)) return;
  fail("cannot delete " + url().url_for(key), response);
}

void GcsStore::remove(const std::vector<std::string>& keys) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::optional<Error> first_failure;
  auto worker = [&] {
    for (std::size_t i; (i = next++) < keys.size();) {
      try {
        remove_one(keys[i]);
      } catch (const Error& e) {
        std::lock_guard lock(mutex);
        if (!first_failure) first_failure = e;
        next = keys.size();  // stop handing out work
      }
    }
  };
  std::vector<std::future<void>> workers;
  const std::size_t count = std::min({kDeleteConcurrency, settings_.max_connections, keys.size()});
  for (std::size_t w = 1; w < count; ++w) workers.push_back(std::async(std::launch::async, worker));
  worker();
  for (auto& w : workers) w.get();
  if (first_failure) throw *first_failure;
}

}  // namespace wale::storage::gcs
