// Shard leases: a bit per exclusive shard, set while a thread holds it.
#include "base/sharded_counter.h"

#include <utility>

namespace edgegate::base {
namespace {

constexpr uint32_t kShared = ShardedCounter::kShards - 1;  // the shard of threads without a lease
static_assert(ShardedCounter::kShards <= 32, "one bit per shard in a uint32_t");

std::atomic<uint32_t> g_leased{0};  // bit i: shard i is some live thread's own

// Acquire/release: a shard's next owner sees every store of its previous one.
ThreadShard Lease() {
  uint32_t leased = g_leased.load(std::memory_order_relaxed);
  while (true) {
    uint32_t free = ~leased & ((1u << kShared) - 1);
    if (free == 0) {
      return {kShared, false};
    }
    uint32_t bit = free & -free;
    if (g_leased.compare_exchange_weak(leased, leased | bit, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return {static_cast<uint32_t>(__builtin_ctz(bit)), true};
    }
  }
}

}  // namespace

namespace internal {

constinit thread_local ThreadShard tls_shard;

namespace {

// Takes the calling thread's lease into tls_shard and gives it back when the thread exits. A
// counter added to later in the thread's exit (another thread-local's destructor) goes to the
// shared shard.
struct LeaseHolder {
  LeaseHolder() { tls_shard = Lease(); }
  ~LeaseHolder() {
    const ThreadShard shard = std::exchange(tls_shard, ThreadShard{kShared, false});
    if (shard.exclusive) {
      g_leased.fetch_and(~(1u << shard.index), std::memory_order_release);
    }
  }
};

}  // namespace

ThreadShard LeaseShardOfThisThread() {
  thread_local LeaseHolder holder;  // constructed once per thread: the lease
  return tls_shard;
}

}  // namespace internal

}  // namespace edgegate::base
