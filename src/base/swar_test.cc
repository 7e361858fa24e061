// Tests for the word-at-a-time helpers against byte-by-byte references: every length up to past
// four words, every position of the byte that differs or is searched for. The searched buffers
// are exactly as long as the text, so a read past the end is an error in an EDGEGATE_SANITIZE
// build.
#include "base/swar.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/test_text.h"

namespace edgegate::base::swar {
namespace {

TEST(SwarEqualTest, AgreesWithMemcmpForEveryLengthAndDifferingByte) {
  for (size_t n = 0; n <= 70; ++n) {
    std::string a = TestText(n, 'k');
    std::string b = a;
    EXPECT_TRUE(Equal(a.data(), b.data(), n)) << n;
    for (size_t i = 0; i < n; ++i) {
      b[i] ^= 0x20;
      EXPECT_FALSE(Equal(a.data(), b.data(), n)) << n << " at " << i;
      b[i] = a[i];
    }
  }
}

TEST(SwarFindByteTest, FindsTheFirstOccurrenceFromEveryStart) {
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t at = 0; at <= n; ++at) {  // at == n: no '/' in the range
      std::string text = TestText(n, 'f');
      if (at < n) {
        text[at] = '/';
        if (at + 3 < n) text[at + 3] = '/';  // a later one must not win
      }
      // Exactly n bytes on the heap, so that reading past the end is a sanitizer error.
      std::vector<char> buffer(text.begin(), text.end());
      for (size_t pos = 0; pos <= n; ++pos) {
        const size_t found = text.find('/', pos);
        const size_t expected = found == std::string::npos ? n : found;
        EXPECT_EQ(FindByte(buffer.data(), pos, n, '/'), expected)
            << "n=" << n << " at=" << at << " pos=" << pos;
      }
    }
  }
}

TEST(SwarFindByteTest, StopsAtTheLimitAndIgnoresBytesBeforeTheStart) {
  const std::string text = "%abcdefghijklmno%";
  EXPECT_EQ(FindByte(text.data(), 1, 16, '%'), 16u);  // the '%' at 16 is past the limit
  EXPECT_EQ(FindByte(text.data(), 1, 17, '%'), 16u);
  EXPECT_EQ(FindByte(text.data(), 10, 12, '%'), 12u);  // the tail word starts before pos
  EXPECT_EQ(FindByte(text.data(), 0, 3, '%'), 0u);
}

TEST(SwarCopyTest, CopiesEveryLengthExactly) {
  for (size_t n = 0; n <= 70; ++n) {
    const std::string source = TestText(n, 'c');
    // Guard bytes on both sides of the destination must stay as they were.
    std::string target(n + 16, '#');
    Copy(target.data() + 8, source.data(), n);
    EXPECT_EQ(target.substr(8, n), source) << n;
    EXPECT_EQ(target.substr(0, 8), std::string(8, '#')) << n;
    EXPECT_EQ(target.substr(8 + n), std::string(8, '#')) << n;
  }
}

}  // namespace
}  // namespace edgegate::base::swar
