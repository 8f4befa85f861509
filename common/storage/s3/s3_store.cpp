#include "common/storage/s3/s3_store.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <future>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "common/storage/resumable_get.hpp"
#include "common/storage/s3/credentials.hpp"
#include "common/storage/s3/etag.hpp"
#include "common/storage/s3/s3_xml.hpp"

namespace wale::storage::s3 {
namespace {

constexpr std::string_view kMetaHeaderPrefix = "x-amz-meta-";
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::size_t kDeleteBatch = 1000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What an operator can do about the store's answer, without repeating any
// secret.
std::string advice(int status, const std::string& code) {
  if (code == "InvalidAccessKeyId") return "; check AWS_ACCESS_KEY_ID";
  if (code == "SignatureDoesNotMatch") return "; check AWS_SECRET_ACCESS_KEY and AWS_REGION";
  if (code == "AuthorizationHeaderMalformed") return "; check AWS_REGION";
  if (code == "ExpiredToken" || code == "InvalidToken") return "; renew AWS_SESSION_TOKEN";
  if (code == "AccessDenied") return "; check that the credentials may use this bucket and prefix";
  if (code == "NoSuchBucket") return "; create the bucket or fix WALE_S3_PREFIX";
  if (code == "RequestTimeTooSkewed") return "; set this machine's clock";
  if (code.empty() && status == 403) return "; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION";
  return "";
}

ErrorKind kind_for(int status, const std::string& code) {
  if (status == 404 && code != "NoSuchBucket" && code != "NoSuchUpload") return ErrorKind::not_found;
  if (net::retryable_status(status) || code == "BadDigest" || code == "RequestTimeout" || code == "RequestTimeTooSkewed" ||
      code == "InternalError" || code == "SlowDown")
    return ErrorKind::transient;
  return ErrorKind::permanent;
}

void add_put_headers(std::vector<std::pair<std::string, std::string>>& headers, const PutOptions& options,
                     const S3Settings& settings) {
  for (const auto& [name, value] : options.metadata) headers.emplace_back(std::string(kMetaHeaderPrefix) + name, value);
  if (!options.content_type.empty()) headers.emplace_back("content-type", options.content_type);
  if (!settings.storage_class.empty()) headers.emplace_back("x-amz-storage-class", settings.storage_class);
  if (!settings.server_side_encryption.empty())
    headers.emplace_back("x-amz-server-side-encryption", settings.server_side_encryption);
}

// A streaming upload: parts of settings.part_size go up in parallel (at
// most part_concurrency at once, so memory stays below part_size times
// that plus one) as soon as they are full. An object smaller than one part
// is a plain PUT. Whatever fails, the multipart upload is aborted so that
// no orphaned parts are left to be billed.
class MultipartWriter final : public ByteSink {
 public:
  MultipartWriter(S3Store& store, std::string key, PutOptions options)
      : store_(store), key_(std::move(key)), options_(std::move(options)) {
    buffer_.reserve(static_cast<std::size_t>(store_.settings().part_size));
  }
  ~MultipartWriter() override {
    if (!done_) abort_upload();
  }
  MultipartWriter(const MultipartWriter&) = delete;
  MultipartWriter& operator=(const MultipartWriter&) = delete;

  void write(std::string_view data) override {
    const auto part_size = static_cast<std::size_t>(store_.settings().part_size);
    while (!data.empty()) {
      const std::size_t take = std::min(data.size(), part_size - buffer_.size());
      buffer_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (buffer_.size() == part_size) start_part();
    }
  }

  void close() override {
    if (done_) return;
    if (upload_id_.empty()) {
      store_.put(key_, buffer_, options_);
      done_ = true;
      return;
    }
    if (!buffer_.empty() || in_flight_.empty()) start_part();
    std::vector<CompletedPart> parts;
    while (!in_flight_.empty()) {
      parts.push_back(in_flight_.front().get());  // rethrows a part's failure
      in_flight_.pop_front();
    }
    parts.insert(parts.begin(), finished_.begin(), finished_.end());
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
    const std::string body = complete_multipart_body(parts);
    S3Store::Request r;
    r.method = "POST";
    r.path = store_.object_path(key_);
    r.query = {{"uploadId", upload_id_}};
    r.headers = {{"content-type", "application/xml"}};
    r.body = body;
    const auto response = store_.send(r);
    if (response.status != 200) store_.fail("cannot complete the multipart upload of " + key_, response);
    if (const auto error = parse_complete_result(response.body))
      throw Error(ErrorKind::transient, "cannot complete the multipart upload of " + key_ + ": " + error->code + " " + error->message);
    done_ = true;
  }

 private:
  void begin_upload() {
    S3Store::Request r;
    r.method = "POST";
    r.path = store_.object_path(key_);
    r.query = {{"uploads", ""}};
    add_put_headers(r.headers, options_, store_.settings());
    r.idempotent = false;  // a retry would leave an upload nobody aborts
    const auto response = store_.send(r);
    if (response.status != 200) store_.fail("cannot start a multipart upload of " + key_, response);
    upload_id_ = parse_upload_id(response.body);
    if (upload_id_.empty()) throw Error(ErrorKind::permanent, "the store answered no UploadId for " + key_);
  }

  void start_part() {
    if (upload_id_.empty()) begin_upload();
    // Bound the memory: wait for the oldest part before starting another.
    while (in_flight_.size() >= store_.settings().part_concurrency) {
      finished_.push_back(in_flight_.front().get());
      in_flight_.pop_front();
    }
    const int number = ++parts_started_;
    in_flight_.push_back(std::async(std::launch::async, [this, number, data = std::move(buffer_)] {
      return upload_part(number, data);
    }));
    buffer_ = std::string();
    buffer_.reserve(static_cast<std::size_t>(store_.settings().part_size));
  }

  CompletedPart upload_part(int number, const std::string& data) {
    S3Store::Request r;
    r.method = "PUT";
    r.path = store_.object_path(key_);
    r.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
    const UploadDigest digest(data);
    r.headers = {{"content-md5", digest.base64}};
    r.body = data;
    const auto response = store_.send(r);
    const std::string what = "part " + std::to_string(number) + " of " + key_;
    if (response.status != 200) store_.fail("cannot upload " + what, response);
    store_.check_etag(what, response, digest);
    return CompletedPart{number, response.header("etag")};
  }

  void abort_upload() noexcept {
    for (auto& f : in_flight_) {
      try {
        f.get();
      } catch (...) {
      }
    }
    in_flight_.clear();
    if (upload_id_.empty()) return;
    try {
      S3Store::Request r;
      r.method = "DELETE";
      r.path = store_.object_path(key_);
      r.query = {{"uploadId", upload_id_}};
      store_.send(r);
    } catch (...) {
      // Best effort: a bucket lifecycle rule for incomplete uploads is the backstop.
    }
  }

  S3Store& store_;
  std::string key_;
  PutOptions options_;
  std::string buffer_;
  std::string upload_id_;
  int parts_started_ = 0;
  std::deque<std::future<CompletedPart>> in_flight_;
  std::vector<CompletedPart> finished_;
  bool done_ = false;
};

}  // namespace

S3Store::S3Store(StoreUrl url, S3Settings settings) : BlobStore(std::move(url)), settings_(std::move(settings)) {
  net::HttpClientOptions options;
  options.max_connections_per_endpoint = settings_.max_connections;
  options.ca_file = settings_.ca_file;
  options.retry.max_attempts = 5;
  options.retry.max_delay = std::chrono::seconds(5);
  client_ = std::make_unique<net::HttpClient>(options);
  credentials_ = settings_.instance_profile ? instance_profile_credentials(*client_, settings_.metadata_endpoint)
                                            : static_credentials(settings_.credentials);
}

S3Store::~S3Store() = default;

std::string S3Store::object_path(const std::string& key) const {
  const std::string full = url().path_prefix + key;
  std::string path = "/";
  if (settings_.addressing == Addressing::path) path += net::uri_encode(settings_.bucket, false) + "/";
  return path + net::uri_encode(full, true);
}

std::uint64_t S3Store::connections_opened() const { return client_->connections_opened(); }

net::HttpResponse S3Store::send(Request& r, ByteSink* sink, std::uint64_t* delivered) {
  net::Endpoint endpoint = settings_.endpoint;
  if (settings_.addressing == Addressing::virtual_host) endpoint.host = settings_.bucket + "." + endpoint.host;

  net::HttpRequest request;
  request.method = r.method;
  request.target = r.path;
  if (!r.query.empty()) request.target += "?" + canonical_query(r.query);
  request.body = r.body;
  request.idempotent = r.idempotent;
  for (const auto& [name, value] : r.headers) request.headers.emplace_back(lower(name), value);
  const std::string payload_hash = r.body.empty() ? std::string(kEmptySha256) : codec::sha256_hex(r.body);
  const std::string host = endpoint.host_header();

  auto sign = [&](net::HttpRequest& attempt) {
    const Credentials credentials = credentials_->current();
    SigningInput in;
    in.method = r.method;
    in.canonical_uri = r.path;
    in.query = r.query;
    in.payload_sha256_hex = payload_hash;
    in.amz_date = amz_date_now();
    in.region = settings_.region;
    attempt.headers.emplace_back("x-amz-date", in.amz_date);
    attempt.headers.emplace_back("x-amz-content-sha256", payload_hash);
    if (!credentials.session_token.empty()) attempt.headers.emplace_back("x-amz-security-token", credentials.session_token);
    in.headers = attempt.headers;
    in.headers.emplace_back("host", host);
    attempt.headers.emplace_back("authorization", sign_v4(in, credentials).authorization);
  };
  return client_->send(endpoint, std::move(request), sink, sign, delivered);
}

void S3Store::fail(const std::string& what, const net::HttpResponse& response) const {
  const S3Error e = parse_error(response.body);
  std::string text = what + ": HTTP " + std::to_string(response.status);
  if (!e.code.empty()) text += " " + e.code;
  if (!e.message.empty()) text += " (" + e.message + ")";
  text += " from " + settings_.endpoint.host_header() + advice(response.status, e.code);
  throw Error(kind_for(response.status, e.code), text);
}

UploadDigest::UploadDigest(std::string_view body) {
  codec::Digest d(codec::DigestKind::md5);
  d.update(body);
  const std::string raw = d.finish();
  base64 = codec::to_base64(raw);
  hex = codec::to_hex(raw);
}

// A 200 whose ETag names other bytes is not an acknowledgement of these:
// the upload counts as failed (and is retried), never as stored.
void S3Store::check_etag(const std::string& what, const net::HttpResponse& response, const UploadDigest& sent) const {
  const std::string etag = response.header("etag");
  if (!etag_contradicts(etag, sent.hex, settings_.server_side_encryption)) return;
  throw Error(ErrorKind::transient, settings_.endpoint.host_header() + " acknowledged " + what + " with ETag " + etag +
                                        ", not the MD5 of the bytes sent (" + sent.hex +
                                        "); not counted as stored. Check for a proxy that alters answers");
}

PutOutcome S3Store::put(const std::string& key, std::string_view body, const PutOptions& options) {
  // Peers do not all honour If-None-Match on PUT; a HEAD first is what
  // every S3 work-alike understands. The daemon never races itself on a key.
  if (options.if_absent && head(key)) return PutOutcome::already_exists;
  Request r;
  r.method = "PUT";
  r.path = object_path(key);
  r.body = body;
  const UploadDigest digest(body);
  r.headers = {{"content-md5", digest.base64}};
  add_put_headers(r.headers, options, settings_);
  const auto response = send(r);
  if (response.status != 200) fail("cannot store " + url().url_for(key), response);
  check_etag(url().url_for(key), response, digest);
  return PutOutcome::stored;
}

std::unique_ptr<ByteSink> S3Store::open_writer(const std::string& key, const PutOptions& options) {
  return std::make_unique<MultipartWriter>(*this, key, options);
}

std::optional<ObjectInfo> S3Store::head(const std::string& key) {
  Request r;
  r.method = "HEAD";
  r.path = object_path(key);
  const auto response = send(r);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) {
    // A HEAD answer has no body to say why; a one-byte GET of the same key
    // brings the store's error document for a precise message, if the
    // store still answers the same (by then a 503 may have passed, or a
    // request signed before a clock step may have been refused as skewed).
    Request probe;
    probe.path = r.path;
    probe.headers = {{"range", "bytes=0-0"}};
    const auto explained = send(probe);
    fail("cannot examine " + url().url_for(key),
         explained.body.empty() || explained.status != response.status ? response : explained);
  }
  ObjectInfo info;
  info.key = key;
  const std::string length = response.header("content-length");
  std::from_chars(length.data(), length.data() + length.size(), info.size);
  info.last_modified = response.header("last-modified");
  info.mtime_ns = parse_http_date_ns(info.last_modified);
  info.stored_md5_hex = md5_of_etag(response.header("etag"), settings_.server_side_encryption);
  for (const auto& [name, value] : response.headers)
    if (name.starts_with(kMetaHeaderPrefix)) info.metadata[name.substr(kMetaHeaderPrefix.size())] = value;
  return info;
}

void S3Store::get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) {
  const std::string url = this->url().url_for(key);
  auto send_range = [&](const std::string& range_header, ByteSink& out, std::uint64_t& delivered) {
    Request r;
    r.path = object_path(key);
    if (!range_header.empty()) r.headers = {{"range", range_header}};
    return send(r, &out, &delivered);
  };
  auto refuse = [&](const net::HttpResponse& response) {
    if (response.status == 404) throw Error(ErrorKind::not_found, "no object " + url);
    fail("cannot read " + url, response);
  };
  resumable_get(url, sink, range, send_range, refuse);
}

void S3Store::list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) {
  const std::string full_prefix = url().path_prefix + prefix;
  std::string token;
  do {
    Request r;
    r.path = "/";
    if (settings_.addressing == Addressing::path) r.path += net::uri_encode(settings_.bucket, false);
    r.query = {{"list-type", "2"}, {"prefix", full_prefix}, {"encoding-type", "url"}, {"max-keys", std::to_string(settings_.list_page_size)}};
    if (!token.empty()) r.query.emplace_back("continuation-token", token);
    const auto response = send(r);
    if (response.status != 200) fail("cannot list " + url().url_for(prefix), response);
    ListPage page = parse_list_page(response.body, true);
    for (auto& object : page.objects) {
      if (!object.key.starts_with(url().path_prefix)) continue;
      ObjectInfo info;
      info.key = object.key.substr(url().path_prefix.size());
      info.size = object.size;
      info.last_modified = object.last_modified;
      info.mtime_ns = parse_iso8601_ns(object.last_modified);
      each(std::move(info));
    }
    token = page.truncated ? page.next_continuation_token : std::string();
    if (page.truncated && token.empty())
      throw Error(ErrorKind::permanent, "the store said a listing of " + url().url_for(prefix) + " continues but gave no token");
  } while (!token.empty());
}

void S3Store::remove(const std::vector<std::string>& keys) {
  for (std::size_t start = 0; start < keys.size(); start += kDeleteBatch) {
    std::vector<std::string> batch;
    for (std::size_t i = start; i < std::min(keys.size(), start + kDeleteBatch); ++i) batch.push_back(url().path_prefix + keys[i]);
    const std::string body = delete_objects_body(batch);
    Request r;
    r.method = "POST";
    r.path = "/";
    if (settings_.addressing == Addressing::path) r.path += net::uri_encode(settings_.bucket, false);
    r.query = {{"delete", ""}};
    r.headers = {{"content-md5", codec::md5_base64(body)}, {"content-type", "application/xml"}};
    r.body = body;
    const auto response = send(r);
    if (response.status != 200) fail("cannot delete objects under " + url().url_for(""), response);
    const auto failures = parse_delete_result(response.body);
    if (!failures.empty()) {
      std::string text = "the store could not delete " + std::to_string(failures.size()) + " objects, first " +
                         failures.front().key + ": " + failures.front().code + " " + failures.front().message;
      throw Error(ErrorKind::transient, text);
    }
  }
}

}  // namespace wale::storage::s3
