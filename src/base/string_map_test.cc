// Tests for FastHash (every byte of every length counts) and for the string maps' lookups by
// string_view, short keys and keys past std::string's inline buffer alike.
#include "base/string_map.h"

#include <gtest/gtest.h>

#include <string>

#include "base/test_text.h"

namespace edgegate::base {
namespace {

TEST(FastHashTest, EveryByteOfEveryLengthChangesTheHash) {
  for (size_t n = 1; n <= 40; ++n) {
    std::string key = TestText(n, 'h');
    uint64_t hash = FastHash(key);
    for (size_t i = 0; i < n; ++i) {
      std::string other = key;
      other[i] = '#';
      EXPECT_NE(FastHash(other), hash) << n << " at " << i;
    }
  }
}

template <typename Map>
void FindsEveryKeyByView() {
  Map map;
  for (size_t n = 0; n <= 40; ++n) {
    map.emplace(TestText(n, 'm'), static_cast<int>(n));
  }
  for (size_t n = 0; n <= 40; ++n) {
    const std::string key = TestText(n, 'm');
    auto it = map.find(std::string_view(key));
    ASSERT_NE(it, map.end()) << n;
    EXPECT_EQ(it->second, static_cast<int>(n));
    EXPECT_TRUE(map.contains(std::string_view(key)));
    if (n > 0) {  // "" is a key
      EXPECT_EQ(map.find(std::string_view(TestText(n, 'x'))), map.end()) << n;
    }
  }
}

TEST(StringMapTest, FindsEveryKeyByView) { FindsEveryKeyByView<StringMap<int>>(); }
TEST(FastStringMapTest, FindsEveryKeyByView) { FindsEveryKeyByView<FastStringMap<int>>(); }

}  // namespace
}  // namespace edgegate::base
