// Counters that many threads increment without sharing a cache line or a locked instruction:
// each thread adds to its own shard, readers sum the shards. For per-request statistics, where
// one shared atomic would bounce between the cores on every request.
//
// Why leases: a shard with one writer needs no read-modify-write, only a plain load and store
// (an atomic one, so readers never see a torn value), which saves a locked instruction per
// counter per request. So the first kShards - 1 threads that ask, among those alive at once,
// each lease a shard of their own, given back when the thread exits; any further threads share
// the last shard and add atomically. A gateway has one thread per I/O loop asking, far fewer.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace edgegate::base {

// The shard a thread writes: its index, and whether the thread is its only writer.
struct ThreadShard {
  uint32_t index = 0;
  bool exclusive = false;
};

// Adds `n` to `counter`, which lives in `shard`'s part of a sharded structure. Thread-safe
// when every thread passes its own ShardedCounter::ShardOfThisThread().
inline void AddToShard(std::atomic<uint64_t>& counter, ThreadShard shard, uint64_t n = 1) {
  if (shard.exclusive) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  } else {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
}

namespace internal {
// The calling thread's shard once leased. Zero-initialised, so {0, false} until then, which no
// lease returns (shard 0 is always leased exclusively). constinit: read without a TLS wrapper.
extern constinit thread_local ThreadShard tls_shard;
// Leases the calling thread's shard (see below), stores it in tls_shard and returns it.
ThreadShard LeaseShardOfThisThread();
}  // namespace internal

// Thread-safe. Reads are not a consistent snapshot across shards (fine for statistics).
class ShardedCounter {
 public:
  static constexpr size_t kShards = 32;

  // The calling thread's shard, leased on the first call; only the thread itself may pass it to
  // Add. After the first call, a thread-local load (callers on a hot path may still cache it:
  // it does not change while the thread lives).
  static ThreadShard ShardOfThisThread() {
    const ThreadShard shard = internal::tls_shard;
    return shard.exclusive || shard.index != 0 ? shard : internal::LeaseShardOfThisThread();
  }

  void Add(ThreadShard shard, uint64_t n = 1) { AddToShard(shards_[shard.index].value, shard, n); }
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
