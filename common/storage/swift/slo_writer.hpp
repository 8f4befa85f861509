// The streaming upload of the Swift backend: a Static Large Object. Its
// segments go up in parallel (at most segment_concurrency at once, so that
// memory stays below segment_size times that plus one) into the container
// "<container>_segments", named "<P><key>/slo/<upload>/<index>"; close()
// writes the manifest under the object's own name, with the segments'
// etags and sizes, which Swift checks. An object smaller than one segment
// is a plain PUT. A plain GET of the object returns the whole content, so
// WAL-E reads it like any other object.
//
// A writer destroyed without close() deletes every segment it started;
// a committed one deletes the segments earlier uploads of the same key
// left (a crashed push of the same backup), and SwiftStore::remove
// deletes an object's segments with it.
#pragma once

#include <cstddef>
#include <deque>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/storage/swift/swift_json.hpp"
#include "common/storage/swift/swift_store.hpp"

namespace wale::storage::swift {

// "<owner>/slo/<upload>/<index, 8 digits>".
std::string segment_name(std::string_view owner, std::string_view upload, std::size_t index);
// The owner ("<P><key>") of a segment name this backend made, or nullopt.
std::optional<std::string> segment_owner(std::string_view segment_name);
// The upload a segment name belongs to, or "" for names this backend did not make.
std::string segment_upload(std::string_view segment_name);

class SloWriter final : public ByteSink {
 public:
  SloWriter(SwiftStore& store, std::string key, PutOptions options);
  ~SloWriter() override;
  SloWriter(const SloWriter&) = delete;
  SloWriter& operator=(const SloWriter&) = delete;

  void write(std::string_view data) override;
  void close() override;

 private:
  void start_segment();
  Segment upload_segment(std::size_t index, const std::string& data);
  void commit();
  bool manifest_is_ours(const std::string& etag);
  void remove_other_uploads() noexcept;
  void abandon() noexcept;

  SwiftStore& store_;
  std::string key_;
  PutOptions options_;
  std::string owner_;   // "<P><key>": segment names start with it
  std::string upload_;  // unique per writer
  std::string buffer_;
  std::size_t segments_started_ = 0;
  std::deque<std::future<Segment>> in_flight_;
  std::vector<Segment> finished_;  // in index order
  bool done_ = false;
};

}  // namespace wale::storage::swift
