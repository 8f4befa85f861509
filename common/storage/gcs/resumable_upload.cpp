#include "common/storage/gcs/resumable_upload.hpp"

#include <charconv>
#include <thread>

#include "common/codec/crc32c.hpp"
#include "common/core/error.hpp"
#include "common/core/retry.hpp"
#include "common/net/http_client.hpp"
#include "common/net/url.hpp"
#include "common/storage/gcs/gcs_json.hpp"
#include "common/storage/gcs/gcs_store.hpp"

namespace wale::storage::gcs {
namespace {

// Attempts at one chunk that make no progress before the upload fails:
// with backoff doubling from 0.1 s, about 50 s of trying.
constexpr int kChunkAttempts = 10;

bool finished(int status) { return status == 200 || status == 201; }
bool session_gone(int status) { return status == 404 || status == 410; }

}  // namespace

std::string chunk_content_range(std::uint64_t offset, std::uint64_t size, std::optional<std::uint64_t> total) {
  std::string out = "bytes ";
  out += size == 0 ? "*" : std::to_string(offset) + "-" + std::to_string(offset + size - 1);
  out += "/";
  out += total ? std::to_string(*total) : "*";
  return out;
}

std::uint64_t persisted_bytes(std::string_view range_header) {
  if (range_header.empty()) return 0;
  std::uint64_t last = 0;
  const std::string_view prefix = "bytes=0-";
  if (range_header.starts_with(prefix)) {
    const std::string_view digits = range_header.substr(prefix.size());
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), last);
    if (r.ec == std::errc{} && r.ptr == digits.data() + digits.size() && !digits.empty()) return last + 1;
  }
  throw Error(ErrorKind::permanent, "the store answered an upload chunk with the Range '" + std::string(range_header) +
                                        "', which is not bytes=0-N");
}

ResumableUpload::ResumableUpload(GcsStore& store, std::string key, PutOptions options)
    : store_(store), key_(std::move(key)), options_(std::move(options)) {
  buffer_.reserve(static_cast<std::size_t>(store_.settings().chunk_size));
}

ResumableUpload::~ResumableUpload() {
  if (!done_) cancel();
}

std::string ResumableUpload::describe(std::uint64_t offset, std::uint64_t end) const {
  return "bytes " + std::to_string(offset) + "-" + std::to_string(end) + " of " + store_.url().url_for(key_);
}

void ResumableUpload::write(std::string_view data) {
  md5_.update(data);
  crc32c_ = codec::crc32c(crc32c_, data);
  const auto chunk_size = static_cast<std::size_t>(store_.settings().chunk_size);
  while (!data.empty()) {
    // A full buffer goes up only once more data shows it is not the last.
    if (buffer_.size() == chunk_size) {
      send_chunk(std::move(buffer_), false);
      buffer_ = std::string();
      buffer_.reserve(chunk_size);
    }
    const std::size_t take = std::min(data.size(), chunk_size - buffer_.size());
    buffer_.append(data.substr(0, take));
    data.remove_prefix(take);
  }
}

void ResumableUpload::close() {
  if (done_) return;
  if (session_.empty()) {
    store_.put(key_, buffer_, options_);
    done_ = true;
    return;
  }
  md5_base64_ = codec::to_base64(md5_.finish());
  crc32c_base64_ = codec::crc32c_base64(crc32c_);
  send_chunk(std::move(buffer_), true);
  in_flight_.get();  // rethrows the final chunk's failure
  done_ = true;
}

void ResumableUpload::start_session() {
  const std::string name = store_.object_name(key_);
  const std::string content_type = options_.content_type.empty() ? "application/octet-stream" : options_.content_type;
  const std::string metadata = object_metadata_json(name, content_type, options_.metadata);
  GcsStore::Request r;
  r.method = "POST";
  r.target = store_.upload_path() + "?uploadType=resumable&name=" + net::uri_encode(name, false);
  if (options_.if_absent) r.target += "&ifGenerationMatch=0";
  r.headers = {{"content-type", "application/json; charset=UTF-8"}, {"x-upload-content-type", content_type}};
  r.body = metadata;
  // A retry after a lost answer would open a second session that nobody
  // cancels (it holds no object and expires after a week).
  r.idempotent = false;
  const auto response = store_.send(r);
  if (response.status != 200 && response.status != 201)
    store_.fail("cannot start a resumable upload of " + store_.url().url_for(key_), response);
  const auto session = net::parse_url(response.header("location"));
  if (!session) throw Error(ErrorKind::permanent, "the store started a resumable upload of " + store_.url().url_for(key_) +
                                                      " without a usable session URI (Location)");
  // Sent to the configured endpoint, over its pooled connections (Google's
  // session URIs name that host; an emulator behind a proxy names itself).
  session_ = session->target;
}

void ResumableUpload::send_chunk(std::string chunk, bool final) {
  if (in_flight_.valid()) in_flight_.get();  // one chunk at a time, in order; rethrows its failure
  if (session_.empty()) start_session();
  const std::uint64_t offset = sent_;
  sent_ += chunk.size();
  in_flight_ = std::async(std::launch::async, [this, chunk = std::move(chunk), offset, final] { upload(chunk, offset, final); });
}

net::HttpResponse ResumableUpload::put_range(std::string_view data, std::uint64_t offset, std::optional<std::uint64_t> total) {
  GcsStore::Request r;
  r.method = "PUT";
  r.target = session_;
  r.headers = {{"content-range", chunk_content_range(offset, data.size(), total)}, {"content-type", "application/octet-stream"}};
  r.body = data;
  // Not replayed blindly: after a failure the session is asked what it has.
  r.idempotent = false;
  return store_.send(r);
}

void ResumableUpload::upload(const std::string& chunk, std::uint64_t offset, bool final) {
  const std::uint64_t end = offset + chunk.size();
  const std::optional<std::uint64_t> total = final ? std::optional(end) : std::nullopt;
  std::uint64_t persisted = offset;  // the session holds every byte before this chunk
  RetryPolicy policy;
  std::string last_failure;
  int attempts_without_progress = 0;
  // Counts an attempt that made no progress, and waits before the next.
  auto give_up_or_wait = [&] {
    if (++attempts_without_progress >= kChunkAttempts)
      throw Error(ErrorKind::transient, "cannot upload " + describe(persisted, end - 1) + " after " +
                                            std::to_string(kChunkAttempts) + " attempts: " + last_failure);
    std::this_thread::sleep_for(backoff_delay(policy, attempts_without_progress));
  };
  bool ask = false;  // after a failure, ask the session what it holds before sending again
  while (true) {
    std::optional<net::HttpResponse> response;
    try {
      response = ask ? put_range({}, 0, std::nullopt)
                     : put_range(std::string_view(chunk).substr(static_cast<std::size_t>(persisted - offset)), persisted, total);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::transient) throw;
      last_failure = e.what();
    }
    if (response) {
      const int status = response->status;
      if (finished(status)) {
        finish(*response, end, final);
        return;
      }
      if (session_gone(status))
        throw Error(ErrorKind::permanent, "the resumable upload session of " + store_.url().url_for(key_) +
                                              " is gone (cancelled, or older than a week); the upload must start over");
      if (status == 308) {
        const std::uint64_t now = persisted_bytes(response->header("range"));
        if (now < offset || now > end)
          throw Error(ErrorKind::permanent, "the store says it holds " + std::to_string(now) + " bytes of the upload of " +
                                                store_.url().url_for(key_) + " while sending " + describe(offset, end - 1));
        if (now == end && !final) return;
        if (now > persisted) {
          attempts_without_progress = 0;
        } else if (!ask) {
          last_failure = "the store kept none of " + describe(persisted, end - 1);
          give_up_or_wait();
        }
        // Send what the session lacks: the rest of the chunk, or (when it
        // holds it all) an empty final request.
        persisted = now;
        ask = false;
        continue;
      }
      if (!net::retryable_status(status)) store_.fail("cannot upload " + describe(persisted, end - 1), *response);
      last_failure = "HTTP " + std::to_string(status);
    }
    give_up_or_wait();
    ask = true;
  }
}

void ResumableUpload::finish(const net::HttpResponse& response, std::uint64_t total, bool final) {
  const ObjectResource stored = parse_object_resource(response.body, "the resumable upload of " + store_.url().url_for(key_));
  if (!final) {
    // Only an emulator does this (the Firebase one finishes a session at its
    // first chunk): what it stored is a truncated object.
    if (stored.name == store_.object_name(key_)) store_.discard(stored);
    throw Error(ErrorKind::permanent, "the store finished the resumable upload of " + store_.url().url_for(key_) +
                                          " after " + std::to_string(total) +
                                          " bytes, before its end: it does not take uploads in chunks; raise WALE_GS_CHUNK_SIZE "
                                          "above the largest object, or use a store that does");
  }
  store_.check_stored(stored, key_, total, md5_base64_, crc32c_base64_);
}

void ResumableUpload::cancel() noexcept {
  try {
    if (in_flight_.valid()) in_flight_.get();
  } catch (...) {
  }
  if (session_.empty()) return;
  try {
    GcsStore::Request r;
    r.method = "DELETE";
    r.target = session_;
    store_.send(r);  // 499 when cancelled, 404 or 410 when already gone
  } catch (...) {
    // Best effort: an unfinished session holds no object and expires after a week.
  }
}

}  // namespace wale::storage::gcs
