// Tests of TickClock: its durations agree with steady_clock.
#include "telemetry/tick_clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace edgegate::telemetry {
namespace {

TEST(TickClockTest, DurationsAgreeWithSteadyClock) {
  TickClock clock;
  auto t0 = std::chrono::steady_clock::now();
  uint64_t c0 = TickClock::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  uint64_t c1 = TickClock::Now();
  auto steady = std::chrono::steady_clock::now() - t0;
  auto ticks = clock.Between(c0, c1);
  EXPECT_NEAR(static_cast<double>(ticks.count()), static_cast<double>(steady.count()),
              0.2 * static_cast<double>(steady.count()));
}

TEST(TickClockTest, ABackwardsReadingIsZero) {
  TickClock clock;
  EXPECT_EQ(clock.Between(100, 50).count(), 0);
}

}  // namespace
}  // namespace edgegate::telemetry
