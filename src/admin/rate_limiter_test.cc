// Tests for the failed-authentication limiter with a fake monotonic clock (no sleeps).
#include "admin/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace edgegate::admin {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiterOptions Options(int max_failures = 3, size_t max_addresses = 100) {
    RateLimiterOptions options;
    options.max_failures = max_failures;
    options.window = seconds(60);
    options.max_addresses = max_addresses;
    options.now = [this] { return now_; };
    return options;
  }

  void Fail(RateLimiter& limiter, const std::string& address, int times) {
    for (int i = 0; i < times; ++i) limiter.RecordFailure(address);
  }

  RateLimiter::Clock::time_point now_{seconds(1000)};
};

TEST_F(RateLimiterTest, AnAddressIsLockedOutAfterMaxFailuresWithinTheWindow) {
  RateLimiter limiter(Options(3));
  Fail(limiter, "10.0.0.1", 2);
  EXPECT_FALSE(limiter.RetryAfter("10.0.0.1"));
  limiter.RecordFailure("10.0.0.1");
  ASSERT_TRUE(limiter.RetryAfter("10.0.0.1"));  // locked, with the whole window left
  EXPECT_EQ(*limiter.RetryAfter("10.0.0.1"), seconds(60));
}

TEST_F(RateLimiterTest, RetryAfterCountsDownInWholeSecondsRoundedUp) {
  RateLimiter limiter(Options(3));
  Fail(limiter, "a", 3);
  now_ += milliseconds(30'500);
  ASSERT_TRUE(limiter.RetryAfter("a"));
  EXPECT_EQ(*limiter.RetryAfter("a"), seconds(30));  // 29.5 s left
  now_ += milliseconds(29'400);
  ASSERT_TRUE(limiter.RetryAfter("a"));
  EXPECT_EQ(*limiter.RetryAfter("a"), seconds(1));  // 0.1 s left: never "0"
}

TEST_F(RateLimiterTest, TheLockOutEndsWithTheWindowAndCountingStartsAfresh) {
  RateLimiter limiter(Options(3));
  Fail(limiter, "a", 3);
  now_ += seconds(60);
  EXPECT_FALSE(limiter.RetryAfter("a"));
  EXPECT_EQ(limiter.tracked(), 0u);
  Fail(limiter, "a", 2);
  EXPECT_FALSE(limiter.RetryAfter("a"));
}

TEST_F(RateLimiterTest, FailuresSpreadOverMoreThanOneWindowDoNotLockOut) {
  RateLimiter limiter(Options(3));
  Fail(limiter, "a", 2);
  now_ += seconds(61);
  Fail(limiter, "a", 2);
  EXPECT_FALSE(limiter.RetryAfter("a"));
}

TEST_F(RateLimiterTest, AddressesAreCountedSeparately) {
  RateLimiter limiter(Options(3));
  Fail(limiter, "a", 3);
  Fail(limiter, "b", 2);
  EXPECT_TRUE(limiter.RetryAfter("a"));
  EXPECT_FALSE(limiter.RetryAfter("b"));
  EXPECT_FALSE(limiter.RetryAfter("c"));
}

TEST_F(RateLimiterTest, MoreFailuresWhileLockedOutDoNotExtendTheWindow) {
  RateLimiter limiter(Options(3));
  Fail(limiter, "a", 3);
  now_ += seconds(50);
  Fail(limiter, "a", 5);
  ASSERT_TRUE(limiter.RetryAfter("a"));
  EXPECT_EQ(*limiter.RetryAfter("a"), seconds(10));
}

TEST_F(RateLimiterTest, TheTableIsCappedByEvictingTheOldestWindow) {
  RateLimiter limiter(Options(1, 3));
  for (const char* address : {"a", "b", "c"}) {
    limiter.RecordFailure(address);
    now_ += seconds(1);
  }
  EXPECT_EQ(limiter.tracked(), 3u);
  limiter.RecordFailure("d");
  EXPECT_EQ(limiter.tracked(), 3u);
  EXPECT_FALSE(limiter.RetryAfter("a"));  // evicted: the oldest window
  EXPECT_TRUE(limiter.RetryAfter("b"));
  EXPECT_TRUE(limiter.RetryAfter("d"));
}

TEST_F(RateLimiterTest, ExpiredEntriesAreDroppedSoAnIdleTableShrinks) {
  RateLimiter limiter(Options(3));
  Fail(limiter, "a", 1);
  now_ += seconds(30);
  Fail(limiter, "b", 1);
  now_ += seconds(30);
  EXPECT_FALSE(limiter.RetryAfter("x"));
  EXPECT_EQ(limiter.tracked(), 1u);  // a's window ended; b's has 30 s left
}

TEST_F(RateLimiterTest, TheDefaultsAreTenFailuresPerMinuteAndTenThousandAddresses) {
  RateLimiterOptions defaults;
  EXPECT_EQ(defaults.max_failures, 10);
  EXPECT_EQ(defaults.window, seconds(60));
  EXPECT_EQ(defaults.max_addresses, 10000u);
}

}  // namespace
}  // namespace edgegate::admin
