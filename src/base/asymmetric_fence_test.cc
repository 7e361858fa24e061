// Tests for the asymmetric fences with the store-buffering litmus test: one thread stores x and
// loads y, another stores y and loads x, each with its fence in between. Both loads reading the
// old value is the outcome the fences forbid. The harness does see it without fences: with
// compiler barriers only on both sides it counted 1 to 41 such rounds of 20,000 on the x86 VMs
// here (not a test of its own, since a quiet machine or another architecture may show none).
#include "base/asymmetric_fence.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace edgegate::base {
namespace {

struct LitmusResult {
  int rounds = 0;
  int forbidden = 0;  // rounds where both loads read 0
};

// Spins until `ready` returns true, yielding the CPU now and then: under a parallel test run the
// other side may not be running.
template <typename Ready>
void SpinUntil(Ready ready) {
  for (int spins = 1; !ready(); ++spins) {
    if (spins % 256 == 0) {
      std::this_thread::yield();
    }
  }
}

// Runs rounds of the litmus test until `max_rounds` or `budget` has passed. `light` runs on a
// second thread between its store and load, `heavy` on this one between its own.
template <typename Light, typename Heavy>
LitmusResult RunStoreBuffering(int max_rounds, std::chrono::milliseconds budget, Light light,
                               Heavy heavy) {
  std::atomic<int> x{0}, y{0};
  std::atomic<int> start{0};  // round the light side may run
  std::atomic<int> done{0};   // round the light side has finished
  std::atomic<int> r1{0};
  LitmusResult result;
  std::thread other([&] {
    for (int round = 1; round <= max_rounds; ++round) {
      int go = 0;
      SpinUntil([&] { return (go = start.load(std::memory_order_acquire)) >= round || go < 0; });
      if (go < 0) {
        return;
      }
      x.store(1, std::memory_order_relaxed);
      light();
      r1.store(y.load(std::memory_order_relaxed), std::memory_order_relaxed);
      done.store(round, std::memory_order_release);
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (int round = 1; round <= max_rounds; ++round) {
    if (std::chrono::steady_clock::now() > deadline) {
      start.store(-1, std::memory_order_release);
      break;
    }
    x.store(0, std::memory_order_relaxed);
    y.store(0, std::memory_order_relaxed);
    start.store(round, std::memory_order_release);
    y.store(1, std::memory_order_relaxed);
    heavy();
    const int r2 = x.load(std::memory_order_relaxed);
    SpinUntil([&] { return done.load(std::memory_order_acquire) >= round; });
    ++result.rounds;
    if (r1.load(std::memory_order_relaxed) == 0 && r2 == 0) {
      ++result.forbidden;
    }
  }
  other.join();
  return result;
}

TEST(AsymmetricFenceTest, LightAndHeavyFenceForbidBothLoadsReadingTheOldValue) {
  RecordProperty("membarrier", FencesUseMembarrier() ? "yes" : "no");
  LitmusResult r = RunStoreBuffering(20'000, std::chrono::seconds(10), LightFence, HeavyFence);
  EXPECT_GE(r.rounds, 1000) << "too few rounds to say anything";
  EXPECT_EQ(r.forbidden, 0) << "in " << r.rounds << " rounds";
}

}  // namespace
}  // namespace edgegate::base
