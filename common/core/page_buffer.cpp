#include "common/core/page_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include <sys/mman.h>

#include "common/core/error.hpp"

namespace wale {
namespace {

// ThreadSanitizer does not intercept mremap: pages moved by it keep the
// shadow state of their old owner, and a thread that later maps the same
// addresses is reported racing with it. Its builds grow by map, copy, unmap.
#if defined(__SANITIZE_THREAD__)
constexpr bool kRemap = false;
#else
constexpr bool kRemap = true;
#endif

void* map_pages(std::size_t bytes) { return ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); }

std::size_t round_to_pages(std::size_t bytes) {
  return (bytes + PageBuffer::kPageSize - 1) / PageBuffer::kPageSize * PageBuffer::kPageSize;
}

}  // namespace

PageBuffer::PageBuffer(std::size_t capacity) {
  if (capacity > 0) grow(capacity);
}

PageBuffer::~PageBuffer() {
  if (data_ != nullptr) ::munmap(data_, capacity_);
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      touched_(std::exchange(other.touched_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, capacity_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    touched_ = std::exchange(other.touched_, 0);
  }
  return *this;
}

void PageBuffer::grow(std::size_t at_least) {
  const std::size_t wanted = round_to_pages(std::max(at_least, capacity_ * 2));
  void* p = data_ == nullptr || !kRemap ? map_pages(wanted) : ::mremap(data_, capacity_, wanted, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw_system_error("cannot map " + std::to_string(wanted) + " bytes for an object buffer");
  if (data_ != nullptr && !kRemap) {
    std::memcpy(p, data_, size_);
    ::munmap(data_, capacity_);
  }
  data_ = static_cast<char*>(p);
  capacity_ = wanted;
}

void PageBuffer::write(std::string_view data) {
  if (data.size() > capacity_ - size_) grow(size_ + data.size());
  std::memcpy(data_ + size_, data.data(), data.size());
  size_ += data.size();
  if (size_ > touched_) touched_ = size_;
}

char* PageBuffer::in_place_room(std::size_t size) {
  if (size > capacity_ - size_) grow(size_ + size);
  return data_ + size_;
}

void PageBuffer::release_pages_beyond(std::size_t keep) {
  const std::size_t from = round_to_pages(keep);
  if (data_ == nullptr || from >= capacity_) return;
  ::madvise(data_ + from, capacity_ - from, MADV_DONTNEED);
  if (touched_ > from) touched_ = from;
}

std::size_t PageBuffer::trim_to_contents(std::size_t slack) {
  if (touched_ > size_ + slack) release_pages_beyond(size_ + slack);
  return std::max(size_, touched_);
}

// ---------------------------------------------------------------------------

BufferPool::BufferPool(std::size_t buffer_capacity, std::size_t max_buffers, std::size_t max_idle, std::size_t keep_resident)
    : buffer_capacity_(buffer_capacity),
      max_buffers_(std::max<std::size_t>(max_buffers, 1)),
      max_idle_(max_idle),
      keep_resident_(keep_resident) {}

BufferPool::~BufferPool() = default;

BufferPool::Lease BufferPool::acquire() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [this] { return leased_ < max_buffers_; });
  return lease_locked(lock);
}

BufferPool::Lease BufferPool::try_acquire() {
  std::unique_lock lock(mutex_);
  if (leased_ >= max_buffers_) return {};
  return lease_locked(lock);
}

BufferPool::Lease BufferPool::lease_locked(std::unique_lock<std::mutex>& lock) {
  ++leased_;
  if (!idle_.empty()) {
    PageBuffer buffer = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(buffer));
  }
  ++created_;
  lock.unlock();
  try {
    return Lease(this, PageBuffer(buffer_capacity_));
  } catch (...) {
    std::lock_guard relock(mutex_);
    --leased_;
    --created_;
    returned_.notify_one();
    throw;
  }
}

void BufferPool::give_back(PageBuffer buffer) {
  // What the last object wrote beyond the resident allowance goes back to
  // the kernel: one incompressible segment does not pin its pages forever.
  if (buffer.size() > keep_resident_) buffer.release_pages_beyond(keep_resident_);
  buffer.clear();
  PageBuffer surplus;  // unmapped outside the lock
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(buffer));
    else surplus = std::move(buffer);
    --leased_;
  }
  returned_.notify_one();
}

std::size_t BufferPool::leased() const {
  std::lock_guard lock(mutex_);
  return leased_;
}

std::size_t BufferPool::idle_held() const {
  std::lock_guard lock(mutex_);
  std::size_t held = 0;
  for (const auto& buffer : idle_) held += buffer.touched();
  return held;
}

std::size_t BufferPool::created() const {
  std::lock_guard lock(mutex_);
  return created_;
}

BufferPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), buffer_(std::move(other.buffer_)) {}

BufferPool::Lease& BufferPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    pool_ = std::exchange(other.pool_, nullptr);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

BufferPool::Lease::~Lease() { give_back(); }

void BufferPool::Lease::give_back() {
  if (pool_ == nullptr) return;
  std::exchange(pool_, nullptr)->give_back(std::move(buffer_));
}

}  // namespace wale
