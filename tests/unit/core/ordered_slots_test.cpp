// OrderedSlots: at most N holders, and a freed slot goes to the waiter with
// the lowest rank whatever the order they came in.
#include "common/core/ordered_slots.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <mutex>
#include <thread>
#include <vector>

namespace {

void wait_until_waiting(wale::OrderedSlots& slots, std::size_t n) {
  while (slots.waiting() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

TEST_CASE("a freed slot goes to the lowest rank waiting") {
  wale::OrderedSlots slots(1);
  slots.acquire(0);
  std::mutex mutex;
  std::vector<std::uint64_t> order;
  std::vector<std::jthread> threads;
  std::size_t started = 0;
  for (const std::uint64_t rank : std::initializer_list<std::uint64_t>{7, 3, 9, 5}) {
    threads.emplace_back([&, rank] {
      slots.acquire(rank);
      {
        std::lock_guard lock(mutex);
        order.push_back(rank);
      }
      slots.release();
    });
    wait_until_waiting(slots, ++started);  // they arrive in this order
  }
  slots.release();
  threads.clear();
  CHECK(order == std::vector<std::uint64_t>{3, 5, 7, 9});
}

TEST_CASE("no more holders than slots") {
  wale::OrderedSlots slots(2);
  std::atomic<int> holders{0};
  std::atomic<int> most{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 6; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          slots.acquire(static_cast<std::uint64_t>((t * 7 + i) % 5));
          const int now = ++holders;
          int seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          --holders;
          slots.release();
        }
      });
  }
  CHECK(most.load() >= 1);
  CHECK(most.load() <= 2);
  CHECK(slots.waiting() == 0);
}

TEST_CASE("OrderedSlotSink holds a slot only while it passes data on") {
  wale::OrderedSlots slots(1);
  wale::StringSink out;
  wale::OrderedSlotSink gated(out, slots, 4);
  gated.write("ab");
  gated.write("cd");
  gated.close();
  CHECK(out.data() == "abcd");
  slots.acquire(0);  // free again
  slots.release();
}
