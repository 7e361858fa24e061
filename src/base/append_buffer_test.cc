// Tests for AppendBuffer: contents survive growth, Clear keeps capacity, copies are deep.
#include "base/append_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace edgegate::base {
namespace {

void Append(AppendBuffer& buffer, std::string_view s) {
  std::memcpy(buffer.Extend(s.size()), s.data(), s.size());
}

TEST(AppendBufferTest, KeepsEverythingAppendedAcrossGrowth) {
  AppendBuffer buffer;
  EXPECT_EQ(buffer.view(), "");
  std::string expected;
  for (int i = 0; i < 500; ++i) {
    std::string piece = std::to_string(i) + (i % 7 == 0 ? std::string(100, 'x') : ",");
    Append(buffer, piece);
    expected += piece;
  }
  EXPECT_EQ(buffer.view(), expected);
  EXPECT_GE(buffer.capacity(), expected.size());
}

TEST(AppendBufferTest, ClearKeepsCapacityForReuse) {
  AppendBuffer buffer;
  Append(buffer, std::string(1000, 'a'));
  size_t capacity = buffer.capacity();
  buffer.Clear();
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.view(), "");
  Append(buffer, "b");
  EXPECT_EQ(buffer.view(), "b");
  EXPECT_EQ(buffer.capacity(), capacity);
}

TEST(AppendBufferTest, CopiesAreDeepAndMovesTransfer) {
  AppendBuffer a;
  Append(a, "hello");
  AppendBuffer b = a;
  Append(b, " world");
  EXPECT_EQ(a.view(), "hello");
  EXPECT_EQ(b.view(), "hello world");
  a = b;
  EXPECT_EQ(a.view(), "hello world");
  AppendBuffer c = std::move(b);
  EXPECT_EQ(c.view(), "hello world");
  AppendBuffer empty;
  c = empty;
  EXPECT_EQ(c.view(), "");
}

}  // namespace
}  // namespace edgegate::base
