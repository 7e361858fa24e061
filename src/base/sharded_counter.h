// A counter that many threads increment without sharing a cache line: each thread adds to its
// own shard (chosen once per thread), readers sum the shards. For per-request statistics, where
// one shared atomic would bounce between the cores on every request.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace edgegate::base {

// Thread-safe. Reads are not a consistent snapshot across shards (fine for statistics).
class ShardedCounter {
 public:
  static constexpr size_t kShards = 32;

  // The shard for the calling thread; callers on a hot path cache it (it never changes).
  static size_t ShardOfThisThread() {
    return std::hash<std::thread::id>()(std::this_thread::get_id()) % kShards;
  }
  void Add(size_t shard, uint64_t n = 1) {
    shards_[shard].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Sum() const {
    uint64_t total = 0;
    for (const Shard& s : shards_) total += s.value.load(std::memory_order_relaxed);
    return total;
  }

 private:
  struct alignas(64) Shard {
    std::atomic<uint64_t> value{0};
  };
  std::array<Shard, kShards> shards_;
};

}  // namespace edgegate::base
