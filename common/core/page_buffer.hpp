// Buffers for whole archive objects on the hot path. A PageBuffer is an
// anonymous mapping: page-aligned (so a file store can hand it to O_DIRECT
// without a bounce copy), grown with mremap (no copy), and kept between
// segments by a BufferPool, so that compressing the next segment writes to
// pages that are already there instead of faulting in fresh ones.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

#include "common/core/stream.hpp"

namespace wale {

class PageBuffer final : public ByteSink {
 public:
  static constexpr std::size_t kPageSize = 4096;

  PageBuffer() = default;
  // Reserves `capacity` bytes of address space; no memory is used until written.
  explicit PageBuffer(std::size_t capacity);
  ~PageBuffer() override;
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  // Appends, growing the mapping when it is full.
  void write(std::string_view data) override;
  char* in_place_room(std::size_t size) override;
  void commit_in_place(std::size_t produced) override {
    size_ += produced;
    if (size_ > touched_) touched_ = size_;
  }

  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_, size_}; }
  // How much of it has been written since it was mapped or trimmed: the
  // most memory it holds.
  std::size_t touched() const { return touched_; }
  // Forgets the contents; the pages stay, ready to be written again.
  void clear() { size_ = 0; }
  // Gives the pages beyond the first `keep` bytes back to the kernel (the
  // address space stays reserved): what an idle buffer may hold on to.
  void release_pages_beyond(std::size_t keep);
  // Gives back what an earlier, larger content left beyond the current one
  // and `slack` bytes more; returns the memory the buffer holds now (at
  // least its size), which is what a memory budget must count it at.
  std::size_t trim_to_contents(std::size_t slack);

 private:
  void grow(std::size_t at_least);

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t touched_ = 0;
};

// A bounded set of reusable PageBuffers: at most `max_buffers` are leased
// at once (a lease waits, or try_acquire fails, while all are out); of the
// returned ones at most `max_idle` are kept, each holding at most
// `keep_resident` bytes of memory, and the others are unmapped. What the
// pool holds is therefore bounded whatever the backlog, and a steady flow
// reuses the same pages instead of faulting in fresh ones.
class BufferPool {
 public:
  BufferPool(std::size_t buffer_capacity, std::size_t max_buffers, std::size_t max_idle, std::size_t keep_resident);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    PageBuffer& buffer() { return buffer_; }
    const PageBuffer& buffer() const { return buffer_; }
    explicit operator bool() const { return pool_ != nullptr; }

   private:
    friend class BufferPool;
    Lease(BufferPool* pool, PageBuffer buffer) : pool_(pool), buffer_(std::move(buffer)) {}
    void give_back();

    BufferPool* pool_ = nullptr;
    PageBuffer buffer_;
  };

  // An empty buffer; waits while `max_buffers` are leased.
  Lease acquire();
  // An empty buffer, or an empty Lease when `max_buffers` are leased.
  Lease try_acquire();

  std::size_t leased() const;
  // The memory the idle buffers hold.
  std::size_t idle_held() const;
  std::size_t created() const;  // buffers mapped so far (reuse keeps this at most max_buffers)

 private:
  void give_back(PageBuffer buffer);
  Lease lease_locked(std::unique_lock<std::mutex>& lock);

  const std::size_t buffer_capacity_;
  const std::size_t max_buffers_;
  const std::size_t max_idle_;
  const std::size_t keep_resident_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<PageBuffer> idle_;
  std::size_t leased_ = 0;
  std::size_t created_ = 0;
};

}  // namespace wale
