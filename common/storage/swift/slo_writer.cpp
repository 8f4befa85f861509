#include "common/storage/swift/slo_writer.hpp"

#include <chrono>
#include <cstdio>
#include <random>

#include "common/codec/digest.hpp"
#include "common/core/error.hpp"

namespace wale::storage::swift {
namespace {

constexpr std::string_view kSloInfix = "/slo/";

// Unique enough that two writers of one key never share segment names:
// the time in nanoseconds and 32 random bits.
std::string new_upload_id() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::random_device random;
  char text[40];
  std::snprintf(text, sizeof(text), "%016llx-%08x", static_cast<unsigned long long>(ns), static_cast<unsigned>(random()));
  return text;
}

}  // namespace

std::string segment_name(std::string_view owner, std::string_view upload, std::size_t index) {
  char number[24];
  std::snprintf(number, sizeof(number), "%08zu", index);
  return std::string(owner) + std::string(kSloInfix) + std::string(upload) + "/" + number;
}

std::optional<std::string> segment_owner(std::string_view name) {
  const auto infix = name.rfind(kSloInfix);
  if (infix == std::string_view::npos || segment_upload(name).empty()) return std::nullopt;
  return std::string(name.substr(0, infix));
}

std::string segment_upload(std::string_view name) {
  const auto infix = name.rfind(kSloInfix);
  if (infix == std::string_view::npos) return {};
  const std::string_view rest = name.substr(infix + kSloInfix.size());
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return {};
  const std::string_view index = rest.substr(slash + 1);
  if (index.size() != 8 || index.find_first_not_of("0123456789") != std::string_view::npos) return {};
  return std::string(rest.substr(0, slash));
}

SloWriter::SloWriter(SwiftStore& store, std::string key, PutOptions options)
    : store_(store),
      key_(std::move(key)),
      options_(std::move(options)),
      owner_(store_.url().path_prefix + key_),
      upload_(new_upload_id()) {
  buffer_.reserve(static_cast<std::size_t>(store_.settings().segment_size));
}

SloWriter::~SloWriter() {
  if (!done_) abandon();
}

void SloWriter::write(std::string_view data) {
  const auto segment_size = static_cast<std::size_t>(store_.settings().segment_size);
  while (!data.empty()) {
    const std::size_t take = std::min(data.size(), segment_size - buffer_.size());
    buffer_.append(data.substr(0, take));
    data.remove_prefix(take);
    if (buffer_.size() == segment_size) start_segment();
  }
}

void SloWriter::close() {
  if (done_) return;
  if (segments_started_ == 0) {
    store_.put(key_, buffer_, options_);
    done_ = true;
    return;
  }
  if (!buffer_.empty()) start_segment();
  commit();
}

void SloWriter::start_segment() {
  if (segments_started_ >= kMaxManifestSegments)
    throw Error(ErrorKind::permanent, store_.url().url_for(key_) + " needs more than " + std::to_string(kMaxManifestSegments) +
                                          " Swift segments of " + std::to_string(store_.settings().segment_size) +
                                          " bytes; raise WALE_SWIFT_SEGMENT_SIZE");
  // Bound the memory: wait for the oldest segment before starting another.
  while (in_flight_.size() >= store_.settings().segment_concurrency) {
    auto oldest = std::move(in_flight_.front());
    in_flight_.pop_front();
    finished_.push_back(oldest.get());  // rethrows a segment's failure
  }
  const std::size_t index = segments_started_++;
  in_flight_.push_back(std::async(std::launch::async, [this, index, data = std::move(buffer_)] { return upload_segment(index, data); }));
  buffer_ = std::string();
  buffer_.reserve(static_cast<std::size_t>(store_.settings().segment_size));
}

Segment SloWriter::upload_segment(std::size_t index, const std::string& data) {
  codec::Digest md5(codec::DigestKind::md5);
  md5.update(data);
  const std::string etag = codec::to_hex(md5.finish());
  const std::string name = segment_name(owner_, upload_, index);
  SwiftStore::Request r;
  r.method = "PUT";
  r.path = SwiftStore::object_path(store_.segment_container(), name);
  r.headers = {{"etag", etag}};
  r.body = data;
  auto response = store_.send(r);
  if (response.status == 404) {
    store_.create_segment_container();
    response = store_.send(r);
  }
  if (response.status != 201)
    store_.fail("cannot store segment " + std::to_string(index) + " of " + store_.url().url_for(key_), response, store_.segment_container());
  return Segment{"/" + store_.segment_container() + "/" + name, etag, data.size()};
}

void SloWriter::commit() {
  while (!in_flight_.empty()) {
    auto oldest = std::move(in_flight_.front());
    in_flight_.pop_front();
    finished_.push_back(oldest.get());
  }
  const std::string manifest = slo_manifest(finished_);
  const std::string etag = slo_etag(finished_);
  SwiftStore::Request r;
  r.method = "PUT";
  r.path = SwiftStore::object_path(store_.settings().container, store_.object_name(key_));
  r.query = {{"multipart-manifest", "put"}};
  r.headers = {{"etag", etag}};
  SwiftStore::add_put_headers(r.headers, options_);
  r.body = manifest;
  const auto response = store_.send(r);
  if (response.status == 201) {
    done_ = true;
    remove_other_uploads();
    return;
  }
  if (response.status == 412 && options_.if_absent) {
    // Either an earlier attempt of this very request got through (its
    // answer was lost), or the object was there before: only then are our
    // segments surplus.
    if (!manifest_is_ours(etag)) abandon();
    done_ = true;
    return;
  }
  store_.fail("cannot store the large-object manifest of " + store_.url().url_for(key_), response, store_.settings().container);
}

bool SloWriter::manifest_is_ours(const std::string& etag) {
  SwiftStore::Request r;
  r.method = "HEAD";
  r.path = SwiftStore::object_path(store_.settings().container, store_.object_name(key_));
  const auto response = store_.send(r);
  std::string stored = response.header("etag");
  if (stored.size() >= 2 && stored.front() == '"' && stored.back() == '"') stored = stored.substr(1, stored.size() - 2);
  return response.status == 200 && stored == etag;
}

void SloWriter::remove_other_uploads() noexcept {
  try {
    std::vector<std::string> stale;
    store_.list_container(store_.segment_container(), owner_ + std::string(kSloInfix), [&](ListedObject&& object) {
      if (segment_owner(object.name) == owner_ && segment_upload(object.name) != upload_) stale.push_back(std::move(object.name));
    });
    if (!stale.empty()) store_.remove_names(store_.segment_container(), stale);
  } catch (...) {
    // The object is stored; what an earlier upload left goes with the
    // object when it is deleted.
  }
}

void SloWriter::abandon() noexcept {
  for (auto& f : in_flight_) {
    try {
      f.get();
    } catch (...) {
    }
  }
  in_flight_.clear();
  if (segments_started_ == 0) return;
  try {
    // Every segment started, whether its answer came or not: a PUT whose
    // answer was lost may still have been stored.
    std::vector<std::string> names;
    for (std::size_t i = 0; i < segments_started_; ++i) names.push_back(segment_name(owner_, upload_, i));
    store_.remove_names(store_.segment_container(), names);
  } catch (...) {
    // Best effort: the next upload of this key deletes them, and so does
    // SwiftStore::remove of the key.
  }
}

}  // namespace wale::storage::swift
