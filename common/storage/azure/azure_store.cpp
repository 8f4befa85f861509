#include "common/storage/azure/azure_store.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <future>
#include <mutex>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"
#include "common/net/http_client.hpp"
#include "common/storage/azure/azure_xml.hpp"
#include "common/storage/azure/blob_naming.hpp"
#include "common/storage/azure/block_blob_writer.hpp"
#include "common/storage/azure/shared_key.hpp"
#include "common/storage/resumable_get.hpp"
#include "common/storage/s3/s3_xml.hpp"  // the HTTP and ISO-8601 date parsers

namespace wale::storage::azure {
namespace {

constexpr std::size_t kDeleteConcurrency = 16;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Azure names its error in a header (the only place a HEAD answer has one)
// and again in the body's <Code>.
AzureError error_of(const net::HttpResponse& response) {
  AzureError e = parse_error(response.body);
  if (const std::string code = response.header("x-ms-error-code"); !code.empty()) e.code = code;
  return e;
}

ErrorKind kind_for(int status, const std::string& code) {
  if (status == 404 && (code.empty() || code == "BlobNotFound")) return ErrorKind::not_found;
  if (net::retryable_status(status) || code == "Md5Mismatch" || code == "ServerBusy" || code == "InternalError" ||
      code == "OperationTimedOut")
    return ErrorKind::transient;
  return ErrorKind::permanent;
}

bool sas_expired(const std::string& token) {
  const auto expiry = sas_expiry(token);
  if (!expiry) return false;
  const std::int64_t ns = s3::parse_iso8601_ns(*expiry);
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  return ns > 0 && ns < now.count();
}

// What an operator can do about the service's answer, naming the setting
// involved and never repeating a secret.
std::string advice(const AzureSettings& s, int status, const std::string& code) {
  if (code == "ContainerNotFound") return "; create the container or fix WALE_WABS_PREFIX";
  if (code == "ResourceNotFound" || code == "AccountIsDisabled") return "; check WABS_ACCOUNT_NAME and WALE_WABS_ENDPOINT";
  if (code == "SnapshotsPresent") return "; the blob has snapshots, which wal-e never deletes: remove them first";
  if (code == "RequestBodyTooLarge") return "; lower WALE_WABS_BLOCK_SIZE";
  const bool refused = status == 401 || status == 403 || code.starts_with("Authentication") ||
                       code.starts_with("Authorization") || code == "InvalidAuthenticationInfo" ||
                       code == "NoAuthenticationInformation";
  if (!refused) return "";
  if (s.authorization == Authorization::shared_key)
    return "; check WABS_ACCESS_KEY (it must be a key of the account WABS_ACCOUNT_NAME names) and this machine's clock";
  if (sas_expired(s.sas_token))
    return "; the SAS token in WABS_SAS_TOKEN expired at " + sas_expiry(s.sas_token).value_or("?") + ": issue a new one";
  if (code.ends_with("Mismatch"))
    return "; the SAS token in WABS_SAS_TOKEN does not allow this request: wal-e needs read, add, create, write, "
           "delete and list permissions on the container's blobs";
  return "; the SAS token in WABS_SAS_TOKEN has expired, is not yet valid or lacks permissions: issue a new one";
}

// The listing and HEAD timestamp: WAL-E's format when Azure's parses.
void set_last_modified(ObjectInfo& info, const std::string& azure_text) {
  info.mtime_ns = s3::parse_http_date_ns(azure_text);
  info.last_modified = info.mtime_ns > 0 ? wale_timestamp(info.mtime_ns) : azure_text;
}

}  // namespace

void add_blob_headers(std::vector<std::pair<std::string, std::string>>& headers, const PutOptions& options) {
  for (const auto& [name, value] : options.metadata) headers.emplace_back(metadata_header(name), value);
  if (!options.content_type.empty()) headers.emplace_back("x-ms-blob-content-type", options.content_type);
}

AzureStore::AzureStore(StoreUrl url, AzureSettings settings) : BlobStore(std::move(url)), settings_(std::move(settings)) {
  if (settings_.authorization == Authorization::shared_key) {
    auto key = codec::from_base64(settings_.access_key);
    if (!key || key->empty()) throw Error(ErrorKind::usage, "WABS_ACCESS_KEY is not a base64 account key as the Azure portal shows it");
    key_ = codec::SecretBytes(std::move(*key));
  }
  net::HttpClientOptions options;
  options.max_connections_per_endpoint = settings_.max_connections;
  options.ca_file = settings_.ca_file;
  options.ca_file_variable = "WALE_WABS_CA_FILE";
  options.retry.max_attempts = 5;
  options.retry.max_delay = std::chrono::seconds(5);
  client_ = std::make_unique<net::HttpClient>(options);
}

AzureStore::~AzureStore() = default;

std::string AzureStore::object_path(const std::string& key) const {
  return blob_path(settings_.container, url().path_prefix + key);
}

std::uint64_t AzureStore::connections_opened() const { return client_->connections_opened(); }

net::HttpResponse AzureStore::send(const Request& r, ByteSink* sink, std::uint64_t* delivered) {
  const std::string path = settings_.base_path + r.path;
  std::string query;
  for (const auto& [name, value] : r.query)
    query += (query.empty() ? "" : "&") + net::uri_encode(name, false) + "=" + net::uri_encode(value, false);
  if (settings_.authorization == Authorization::sas) query += (query.empty() ? "" : "&") + settings_.sas_token;

  net::HttpRequest request;
  request.method = r.method;
  request.target = query.empty() ? path : path + "?" + query;
  request.body = r.body;
  for (const auto& [name, value] : r.headers) request.headers.emplace_back(lower(name), value);
  request.headers.emplace_back("x-ms-version", std::string(kApiVersion));

  // Called before every attempt, so that each retry carries a fresh date.
  auto authorize = [&](net::HttpRequest& attempt) {
    attempt.headers.emplace_back("x-ms-date", rfc1123_now());
    if (settings_.authorization != Authorization::shared_key) return;
    const SharedKeyRequest signing{r.method, path, r.query, attempt.headers, r.body.size()};
    attempt.headers.emplace_back("authorization", shared_key_authorization(signing, settings_.account, key_.view()));
  };
  return client_->send(settings_.endpoint, std::move(request), sink, authorize, delivered);
}

void AzureStore::fail(const std::string& what, const net::HttpResponse& response) const {
  const AzureError e = error_of(response);
  std::string text = what + ": HTTP " + std::to_string(response.status);
  if (!e.code.empty()) text += " " + e.code;
  if (!e.message.empty()) text += " (" + e.message + ")";
  text += " from " + settings_.endpoint.host_header() + advice(settings_, response.status, e.code);
  throw Error(kind_for(response.status, e.code), text);
}

PutOutcome AzureStore::put(const std::string& key, std::string_view body, const PutOptions& options) {
  Request r;
  r.method = "PUT";
  r.path = object_path(key);
  r.body = body;
  r.headers = {{"x-ms-blob-type", "BlockBlob"}, {"content-md5", codec::md5_base64(body)}};
  add_blob_headers(r.headers, options);
  // Azure enforces create-only; a retry of a create that did succeed meets
  // its own blob here, which the caller recognises by its content hash.
  if (options.if_absent) r.headers.emplace_back("if-none-match", "*");
  const auto response = send(r);
  if (response.status == 201) return PutOutcome::stored;
  if (options.if_absent && (response.status == 409 || response.status == 412)) {
    const std::string code = error_of(response).code;
    if (code == "BlobAlreadyExists" || code == "ConditionNotMet") return PutOutcome::already_exists;
  }
  fail("cannot store " + url().url_for(key), response);
}

std::unique_ptr<ByteSink> AzureStore::open_writer(const std::string& key, const PutOptions& options) {
  return std::make_unique<BlockBlobWriter>(*this, key, options);
}

std::optional<ObjectInfo> AzureStore::head(const std::string& key) {
  Request r;
  r.method = "HEAD";
  r.path = object_path(key);
  const auto response = send(r);
  if (response.status == 404 && kind_for(404, error_of(response).code) == ErrorKind::not_found) return std::nullopt;
  if (response.status != 200) fail("cannot examine " + url().url_for(key), response);
  ObjectInfo info;
  info.key = key;
  const std::string length = response.header("content-length");
  std::from_chars(length.data(), length.data() + length.size(), info.size);
  set_last_modified(info, response.header("last-modified"));
  for (const auto& [name, value] : response.headers)
    if (auto meta = metadata_name(name)) info.metadata[*meta] = value;
  return info;
}

void AzureStore::get(const std::string& key, ByteSink& sink, std::optional<ByteRange> range) {
  const std::string url = this->url().url_for(key);
  auto send_range = [&](const std::string& range_header, ByteSink& out, std::uint64_t& delivered) {
    Request r;
    r.path = object_path(key);
    if (!range_header.empty()) r.headers = {{"x-ms-range", range_header}};
    return send(r, &out, &delivered);
  };
  auto refuse = [&](const net::HttpResponse& response) {
    if (kind_for(response.status, error_of(response).code) == ErrorKind::not_found)
      throw Error(ErrorKind::not_found, "no object " + url);
    fail("cannot read " + url, response);
  };
  resumable_get(url, sink, range, send_range, refuse);
}

void AzureStore::list(const std::string& prefix, const std::function<void(ObjectInfo&&)>& each) {
  const std::string& path_prefix = url().path_prefix;
  const std::string full_prefix = path_prefix + prefix;
  std::string marker;
  do {
    Request r;
    r.path = "/" + settings_.container;
    r.query = {{"restype", "container"}, {"comp", "list"}, {"maxresults", std::to_string(settings_.list_page_size)}};
    if (!full_prefix.empty()) r.query.emplace_back("prefix", full_prefix);
    if (!marker.empty()) r.query.emplace_back("marker", marker);
    const auto response = send(r);
    if (response.status != 200) fail("cannot list " + url().url_for(prefix), response);
    BlobPage page = parse_blob_page(response.body);
    for (auto& blob : page.blobs) {
      if (!blob.name.starts_with(path_prefix)) continue;
      ObjectInfo info;
      info.key = blob.name.substr(path_prefix.size());
      info.size = blob.size;
      set_last_modified(info, blob.last_modified);
      each(std::move(info));
    }
    marker = std::move(page.next_marker);
  } while (!marker.empty());
}

bool AzureStore::delete_blob(const std::string& key) {
  Request r;
  r.method = "DELETE";
  r.path = object_path(key);
  const auto response = send(r);
  if (response.status == 202 || response.status == 200) return true;
  if (kind_for(response.status, error_of(response).code) == ErrorKind::not_found) return false;
  fail("cannot delete " + url().url_for(key), response);
}

void AzureStore::remove(const std::vector<std::string>& keys) {
  // Blob Batch would save round trips but needs multipart/mixed bodies with
  // a signature per part; single deletes on the keep-alive pool, several at
  // once, are simple and fast enough for retention runs.
  const std::size_t workers = std::min({keys.size(), settings_.max_connections, kDeleteConcurrency});
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::exception_ptr first_failure;
  auto work = [&] {
    for (std::size_t i = next++; i < keys.size() && !failed; i = next++) {
      try {
        delete_blob(keys[i]);
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!first_failure) first_failure = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::future<void>> helpers;
  for (std::size_t i = 1; i < workers; ++i) helpers.push_back(std::async(std::launch::async, work));
  work();
  for (auto& helper : helpers) helper.get();
  if (first_failure) std::rethrow_exception(first_failure);
}

}  // namespace wale::storage::azure
