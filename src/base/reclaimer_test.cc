// Tests for Reclaimer: references are dropped on its thread, soon, all of them, and at the end.
#include "base/reclaimer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace edgegate::base {
namespace {

using std::chrono::milliseconds;

// Counts frees and remembers which threads ran them.
struct FreeLog {
  std::mutex mu;
  std::vector<std::thread::id> threads;
  std::atomic<int> frees{0};

  std::shared_ptr<const void> Object() {
    return std::shared_ptr<const int>(new int(7), [this](const int* p) {
      delete p;
      std::lock_guard lock(mu);
      threads.push_back(std::this_thread::get_id());
      ++frees;
    });
  }
};

bool WaitFor(const std::atomic<int>& value, int expected) {
  for (int i = 0; i < 500 && value.load() != expected; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  return value.load() == expected;
}

TEST(ReclaimerTest, TheLastReferenceIsDroppedOnItsThreadSoon) {
  FreeLog log;
  Reclaimer reclaimer(std::chrono::hours(1));  // only a wake-up can make it run in time
  std::this_thread::sleep_for(milliseconds(50));  // its thread is waiting by now
  reclaimer.Retire(log.Object());
  ASSERT_TRUE(WaitFor(log.frees, 1));
  std::lock_guard lock(log.mu);
  EXPECT_NE(log.threads[0], std::this_thread::get_id());
}

TEST(ReclaimerTest, ASharedObjectLivesUntilItsLastOwnerLetsGo) {
  FreeLog log;
  Reclaimer reclaimer;
  std::shared_ptr<const void> kept = log.Object();
  reclaimer.Retire(kept);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(log.frees.load(), 0) << "another owner still holds it";
  reclaimer.Retire(std::move(kept));
  ASSERT_TRUE(WaitFor(log.frees, 1));
}

TEST(ReclaimerTest, RetiresFromManyThreadsAreAllDropped) {
  FreeLog log;
  Reclaimer reclaimer(milliseconds(5));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) reclaimer.Retire(log.Object());
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(WaitFor(log.frees, 2000));
  std::lock_guard lock(log.mu);
  for (std::thread::id id : log.threads) {
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

TEST(ReclaimerTest, DestructionDropsWhatIsStillRetired) {
  FreeLog log;
  {
    Reclaimer reclaimer(std::chrono::hours(1));
    for (int i = 0; i < 100; ++i) reclaimer.Retire(log.Object());
  }
  EXPECT_EQ(log.frees.load(), 100);
}

}  // namespace
}  // namespace edgegate::base
