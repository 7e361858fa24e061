// Tests for FlatStringMap: keys of every length on both sides of the inline limit, scopes, and
// payloads (the hash and the compare are tested with base/string_map.h and base/swar.h).
#include "router/internal/flat_string_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/test_text.h"

namespace edgegate::router::internal {
namespace {

struct Node {
  uint32_t a = 0;
  uint32_t b = 0;
  uint64_t c = 0;
};

TEST(FlatStringMapTest, FindsEveryKeyInItsScopeOnly) {
  FlatStringMap<Node> map;
  // Lengths on both sides of the slot's inline key (24 bytes with this payload), several
  // keys per length, the same keys in two scopes with other values.
  std::vector<std::string> keys;
  for (size_t n = 0; n <= 64; ++n) {
    for (char seed : {'a', 'b', 'c'}) {
      keys.push_back(base::TestText(n, seed));
    }
  }
  keys.erase(keys.begin() + 1, keys.begin() + 3);  // one empty key, not three
  for (uint32_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(map.Insert(7, keys[i], i), i);
    EXPECT_EQ(map.Insert(9, keys[i], 1000 + i), 1000 + i);
  }
  EXPECT_EQ(map.Insert(7, keys[5], 12345), 5u) << "an existing key keeps its value";
  map.FinishBuild([](uint32_t value) { return Node{value, value * 2, value * 3ull}; });
  for (uint32_t i = 0; i < keys.size(); ++i) {
    const auto* entry = map.Find(7, keys[i]);
    ASSERT_NE(entry, nullptr) << keys[i];
    EXPECT_EQ(entry->value, i);
    EXPECT_EQ(entry->payload.a, i);
    EXPECT_EQ(entry->payload.b, i * 2);
    EXPECT_EQ(entry->payload.c, i * 3ull);
    ASSERT_NE(map.Find(9, keys[i]), nullptr);
    EXPECT_EQ(map.Find(9, keys[i])->value, 1000 + i);
    EXPECT_EQ(map.Find(8, keys[i]), nullptr);
    // The same length, one byte off at the start and at the end.
    if (!keys[i].empty()) {
      std::string other = keys[i];
      other.front() = '#';
      EXPECT_EQ(map.Find(7, other), nullptr) << other;
      other = keys[i];
      other.back() = '#';
      EXPECT_EQ(map.Find(7, other), nullptr) << other;
    }
    EXPECT_EQ(map.Find(7, keys[i] + "#"), nullptr);  // no key has a '#'
  }
}

TEST(FlatStringMapTest, EmptyMapFindsNothing) {
  FlatStringMap<> map;
  EXPECT_EQ(map.Find(0, "a"), nullptr);
  EXPECT_EQ(map.Find(0, ""), nullptr);
}

TEST(FlatStringMapTest, LongKeysSharingStorageStayDistinct) {
  FlatStringMap<> map;
  std::string long_key(100, 'x');
  EXPECT_EQ(map.Insert(1, long_key, 1), 1u);
  EXPECT_EQ(map.Insert(2, long_key, 2), 2u);  // stored once, two slots
  map.FinishBuild();
  ASSERT_NE(map.Find(1, long_key), nullptr);
  EXPECT_EQ(map.Find(1, long_key)->value, 1u);
  EXPECT_EQ(map.Find(2, long_key)->value, 2u);
  EXPECT_EQ(map.Find(1, std::string(99, 'x') + "y"), nullptr);
}

}  // namespace
}  // namespace edgegate::router::internal
