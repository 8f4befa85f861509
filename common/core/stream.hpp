// Byte streams. Codecs, hashes and counters are ByteSinks that pass data on
// to the next sink, so that a pipeline (read -> hash -> compress -> store)
// is built by stacking them rather than by threading buffers through each
// command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace wale {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::string_view data) = 0;
  // End of stream: a stage flushes what it holds and closes the next stage.
  // Throws when the stream is incomplete or fails a check.
  virtual void close() {}
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to `size` bytes; returns 0 only at end of stream.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

class StringSink final : public ByteSink {
 public:
  void write(std::string_view data) override { data_.append(data); }
  std::string& data() { return data_; }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

class NullSink final : public ByteSink {
 public:
  void write(std::string_view) override {}
};

// Counts the bytes passing through.
class CountingSink final : public ByteSink {
 public:
  explicit CountingSink(ByteSink& next) : next_(next) {}
  void write(std::string_view data) override {
    count_ += data.size();
    next_.write(data);
  }
  void close() override { next_.close(); }
  std::size_t count() const { return count_; }

 private:
  ByteSink& next_;
  std::size_t count_ = 0;
};

// Passes at most `limit` bytes on to `next`: the write that would exceed it
// throws wale::Error(corrupt) "<what> is larger than <limit> bytes<why>"
// instead, so that a hostile stream (a decompression bomb, an endless
// answer) stops before it fills a disk or the memory.
class LimitedSink final : public ByteSink {
 public:
  LimitedSink(ByteSink& next, std::uint64_t limit, std::string what, std::string why = {})
      : next_(next), limit_(limit), what_(std::move(what)), why_(std::move(why)) {}
  void write(std::string_view data) override;
  void close() override { next_.close(); }
  std::uint64_t count() const { return count_; }

 private:
  ByteSink& next_;
  std::uint64_t limit_;
  std::string what_;
  std::string why_;
  std::uint64_t count_ = 0;
};

// Copies a source into a sink in chunks of `chunk` bytes, then closes the sink.
void pump(ByteSource& source, ByteSink& sink, std::size_t chunk = 256 * 1024);

}  // namespace wale
