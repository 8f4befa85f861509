// A fixed number of slots for CPU work, granted lowest rank first. The
// recovery prefetcher downloads several segments at once (to hide each
// download's latency) but decodes them through these slots, ranked by
// segment position: the segment PostgreSQL needs next is decoded first
// instead of sharing the cores evenly with segments it needs later.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string_view>

#include "common/core/stream.hpp"

namespace wale {

class OrderedSlots {
 public:
  explicit OrderedSlots(std::size_t slots) : free_(slots == 0 ? 1 : slots) {}

  // Blocks until a slot is free and no waiter has a lower rank.
  void acquire(std::uint64_t rank) {
    std::unique_lock lock(mutex_);
    const auto me = waiting_.insert(rank);
    freed_.wait(lock, [&] { return free_ > 0 && *waiting_.begin() == rank; });
    waiting_.erase(me);
    --free_;
    // The next waiter may be able to go too.
    if (free_ > 0 && !waiting_.empty()) freed_.notify_all();
  }

  std::size_t waiting() {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }

  void release() {
    {
      std::lock_guard lock(mutex_);
      ++free_;
    }
    freed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t free_;
  std::multiset<std::uint64_t> waiting_;
};

// Passes every chunk on while holding one of the slots.
class OrderedSlotSink final : public ByteSink {
 public:
  OrderedSlotSink(ByteSink& next, OrderedSlots& slots, std::uint64_t rank) : next_(next), slots_(slots), rank_(rank) {}
  void write(std::string_view data) override {
    Held held(*this);
    next_.write(data);
  }
  void close() override {
    Held held(*this);
    next_.close();
  }

 private:
  struct Held {
    explicit Held(OrderedSlotSink& s) : sink(s) { sink.slots_.acquire(sink.rank_); }
    ~Held() { sink.slots_.release(); }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    OrderedSlotSink& sink;
  };

  ByteSink& next_;
  OrderedSlots& slots_;
  std::uint64_t rank_;
};

}  // namespace wale
