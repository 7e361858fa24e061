// Tests for MakeThisThreadBackground: the thread goes 10 nicer than the process, once.
#include "base/thread_priority.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace edgegate::base {
namespace {

TEST(ThreadPriorityTest, BackgroundThreadIsNicerThanTheProcessOnlyOnce) {
  const int process = ThisThreadNice();  // the test's main thread
  ASSERT_NE(process, -100);
  int first = 0;
  int second = 0;
  int after_inherit = 0;
  std::thread worker([&] {
    first = MakeThisThreadBackground();
    second = MakeThisThreadBackground();
    std::thread child([&] { after_inherit = MakeThisThreadBackground(); });
    child.join();
  });
  worker.join();
  const int expected = std::min(process + kBackgroundNiceIncrement, 19);
  EXPECT_EQ(first, expected);
  EXPECT_EQ(second, expected) << "a second call must not lower it further";
  EXPECT_EQ(after_inherit, expected) << "a thread started by a background thread stays there";
  EXPECT_EQ(ThisThreadNice(), process) << "other threads keep their priority";
}

}  // namespace
}  // namespace edgegate::base
