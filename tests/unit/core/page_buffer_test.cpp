// PageBuffer and BufferPool: page-aligned, growing without losing bytes,
// reused without faulting in fresh pages, bounded in how many are out and
// in how much memory an idle one keeps.
#include "common/core/page_buffer.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <sys/resource.h>

namespace {

constexpr std::size_t kPage = wale::PageBuffer::kPageSize;

std::string pattern(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + static_cast<char>(i % 251));
  return s;
}

long minor_faults_of_this_thread() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

// Pages of [data, data + size) that are in memory.
std::size_t resident_pages(const char* data, std::size_t size) {
  std::vector<unsigned char> in_core((size + kPage - 1) / kPage);
  REQUIRE(::mincore(const_cast<char*>(data), size, in_core.data()) == 0);
  std::size_t n = 0;
  for (const auto c : in_core) n += c & 1;
  return n;
}

}  // namespace

TEST_CASE("a page buffer is page-aligned and grows without losing what it holds", "[core]") {
  wale::PageBuffer buffer(10);
  REQUIRE(buffer.capacity() == kPage);
  CHECK(reinterpret_cast<std::uintptr_t>(buffer.data()) % kPage == 0);
  const std::string first = pattern(3000, 'a');
  const std::string second = pattern(3 * kPage + 17, 'q');
  buffer.write(first);
  buffer.write(second);
  CHECK(buffer.size() == first.size() + second.size());
  CHECK(buffer.capacity() >= buffer.size());
  CHECK(reinterpret_cast<std::uintptr_t>(buffer.data()) % kPage == 0);
  CHECK(buffer.view() == first + second);
  buffer.clear();
  CHECK(buffer.view().empty());
  buffer.write("x");
  CHECK(buffer.view() == "x");
}

TEST_CASE("a default page buffer maps memory on its first write", "[core]") {
  wale::PageBuffer buffer;
  CHECK(buffer.capacity() == 0);
  buffer.write(pattern(100, 'z'));
  CHECK(buffer.view() == pattern(100, 'z'));
}

TEST_CASE("refilling a cleared page buffer touches no fresh pages", "[core]") {
  const std::string data = pattern(2u << 20, 'm');  // 512 pages
  wale::PageBuffer buffer(4u << 20);
  buffer.write(data);
  buffer.clear();
  const long before = minor_faults_of_this_thread();
  buffer.write(data);
  const long faults = minor_faults_of_this_thread() - before;
  // The first fill faulted in 512 pages; the refill reuses them (a few
  // faults are allowed for sanitizer bookkeeping).
  CHECK(faults < 16);
  CHECK(buffer.view() == data);
}

TEST_CASE("a page buffer gives back the pages beyond what it keeps", "[core]") {
  wale::PageBuffer buffer(8u << 20);
  buffer.write(pattern(8u << 20, 'r'));
  REQUIRE(resident_pages(buffer.data(), 8u << 20) == (8u << 20) / kPage);
  buffer.release_pages_beyond(1u << 20);
  CHECK(resident_pages(buffer.data(), 8u << 20) == (1u << 20) / kPage);
  CHECK(buffer.view().substr(0, 1u << 20) == pattern(1u << 20, 'r'));
}

TEST_CASE("a page buffer trimmed to its contents holds them and the slack, and says so", "[core]") {
  wale::PageBuffer buffer(8u << 20);
  buffer.write(pattern(4u << 20, 'b'));  // an earlier, larger object
  buffer.clear();
  const std::string object = pattern((1u << 20) + 100, 'c');
  buffer.write(object);
  REQUIRE(resident_pages(buffer.data(), 8u << 20) == (4u << 20) / kPage);
  const std::size_t held = buffer.trim_to_contents(64u << 10);
  const std::size_t kept = (object.size() + (64u << 10) + kPage - 1) / kPage * kPage;
  CHECK(held == kept);
  CHECK(resident_pages(buffer.data(), 8u << 20) == kept / kPage);
  CHECK(buffer.view() == object);
  // Nothing beyond the contents and the slack: nothing to give back.
  CHECK(buffer.trim_to_contents(64u << 10) == kept);
  CHECK(buffer.trim_to_contents(8u << 20) == kept);
  // Never less than the contents.
  CHECK(buffer.trim_to_contents(0) >= object.size());
  CHECK(buffer.view() == object);
}

TEST_CASE("a buffer pool lends at most its bound and reuses what comes back", "[core]") {
  wale::BufferPool pool(1u << 20, 2, 2, 1u << 20);
  {
    auto a = pool.try_acquire();
    auto b = pool.try_acquire();
    REQUIRE(a);
    REQUIRE(b);
    CHECK_FALSE(pool.try_acquire());
    CHECK(pool.leased() == 2);
    a.buffer().write("object a");
  }
  CHECK(pool.leased() == 0);
  for (int i = 0; i < 50; ++i) {
    auto lease = pool.try_acquire();
    REQUIRE(lease);
    CHECK(lease.buffer().size() == 0);  // handed out empty
    lease.buffer().write(pattern(70000, 'k'));
  }
  CHECK(pool.created() == 2);
}

TEST_CASE("a buffer pool keeps at most max_idle buffers and trims what they hold", "[core]") {
  wale::BufferPool pool(4u << 20, 3, 1, 1u << 20);
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    auto c = pool.acquire();
    a.buffer().write(pattern(3u << 20, 'a'));
  }
  CHECK(pool.created() == 3);
  auto again = pool.acquire();
  CHECK(pool.created() == 3);  // the one idle buffer
  // Of the 3 MiB written before it went back, 1 MiB stayed in memory.
  CHECK(resident_pages(again.buffer().data(), 4u << 20) <= (1u << 20) / kPage);
  auto second = pool.acquire();
  CHECK(pool.created() == 4);  // the others were unmapped
}

TEST_CASE("a buffer pool tells what its idle buffers hold", "[core]") {
  wale::BufferPool pool(4u << 20, 2, 2, 1u << 20);
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    a.buffer().write(pattern(3u << 20, 'a'));
    b.buffer().write(pattern(512u << 10, 'b'));
    CHECK(a.buffer().touched() == (3u << 20));
    CHECK(pool.idle_held() == 0);  // none idle
    b = {};
    CHECK(pool.idle_held() == (512u << 10));
    a = {};  // trimmed to 1 MiB
    CHECK(pool.idle_held() == (512u << 10) + (1u << 20));
  }
  auto next = pool.acquire();  // the last one returned
  CHECK(next.buffer().touched() == (1u << 20));
  next.buffer().write(pattern(100, 'n'));
  CHECK(next.buffer().touched() == (1u << 20));  // cleared, but its pages are still there
  CHECK(pool.idle_held() == (512u << 10));
}

TEST_CASE("acquire waits until a lease comes back", "[core]") {
  wale::BufferPool pool(kPage, 1, 1, kPage);
  auto first = pool.acquire();
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto second = pool.acquire();
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(got.load());
  first = {};
  waiter.join();
  CHECK(got.load());
  CHECK(pool.leased() == 0);
}
