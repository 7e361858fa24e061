// Tests for ShardedCounter's shard leases: exclusive while a thread lives, shared beyond them,
// given back at thread exit, and no lost adds either way.
#include "base/sharded_counter.h"

#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <thread>
#include <vector>

namespace edgegate::base {
namespace {

// Runs `threads` threads that each take their shard, wait until all have one, then call `body`
// with it; returns the shards they got.
template <typename Body>
std::vector<ThreadShard> RunTogether(int threads, Body body) {
  std::vector<ThreadShard> shards(static_cast<size_t>(threads));
  std::latch all_leased(threads);
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    running.emplace_back([&, t] {
      ThreadShard shard = ShardedCounter::ShardOfThisThread();
      shards[static_cast<size_t>(t)] = shard;
      all_leased.arrive_and_wait();
      body(shard);
    });
  }
  for (std::thread& t : running) t.join();
  return shards;
}

TEST(ShardedCounterTest, LiveThreadsOwnDistinctShardsUntilTheyRunOut) {
  constexpr int kThreads = 40;  // more than there are shards
  std::vector<ThreadShard> shards = RunTogether(kThreads, [](ThreadShard) {});
  std::set<uint32_t> owned;
  int shared = 0;
  for (const ThreadShard& s : shards) {
    ASSERT_LT(s.index, ShardedCounter::kShards);
    if (s.exclusive) {
      EXPECT_TRUE(owned.insert(s.index).second) << "shard " << s.index << " has two owners";
    } else {
      EXPECT_EQ(s.index, ShardedCounter::kShards - 1);
      ++shared;
    }
  }
  // The test's own threads hold no lease, so every exclusive shard went to one of these.
  EXPECT_EQ(owned.size(), ShardedCounter::kShards - 1);
  EXPECT_EQ(owned.count(ShardedCounter::kShards - 1), 0u);
  EXPECT_EQ(shared, kThreads - static_cast<int>(ShardedCounter::kShards - 1));
}

TEST(ShardedCounterTest, ExitedThreadsGiveTheirShardBack) {
  for (int round = 0; round < 3; ++round) {
    std::vector<ThreadShard> shards =
        RunTogether(static_cast<int>(ShardedCounter::kShards - 1), [](ThreadShard) {});
    for (const ThreadShard& s : shards) {
      EXPECT_TRUE(s.exclusive) << "round " << round << ": a lease was not given back";
    }
  }
}

TEST(ShardedCounterTest, NoAddIsLostOnOwnedOrSharedShards) {
  ShardedCounter counter;
  constexpr int kThreads = 40;
  constexpr uint64_t kAdds = 500000;  // long enough for shared-shard threads to overlap
  RunTogether(kThreads, [&counter](ThreadShard shard) {
    for (uint64_t i = 0; i < kAdds; ++i) counter.Add(shard);
  });
  EXPECT_EQ(counter.Sum(), kThreads * kAdds);
}

TEST(ShardedCounterTest, AShardIsStableWithinAThread) {
  ThreadShard first = ShardedCounter::ShardOfThisThread();
  ThreadShard again = ShardedCounter::ShardOfThisThread();
  EXPECT_EQ(first.index, again.index);
  EXPECT_EQ(first.exclusive, again.exclusive);
}

}  // namespace
}  // namespace edgegate::base
