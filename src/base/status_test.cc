#include "base/status.h"

#include <gtest/gtest.h>

#include "base/random.h"
#include "base/strings.h"

namespace edgegate::base {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) {
    return FieldError("x", "must be even");
  }
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(StatusTest, ResultCarriesValueOrFieldError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "x");
  EXPECT_EQ(HttpStatusOf(r.status().code()), 400);
}

TEST(RandomTest, UuidHasVersionFourShape) {
  std::string id = NewUuid();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(NewUuid(), id);
}

TEST(RandomTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
}

TEST(StringsTest, IsValidUtf8AcceptsWellFormedAndRejectsMalformed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("b\xC3\xA4r \xE2\x82\xAC \xF0\x9F\x98\x80"));  // ä € 😀
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                          // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xC3"));                                     // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));                                 // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));                             // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));                             // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));                         // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(StringsTest, HasControlCharacterFindsC0AndDelete) {
  EXPECT_FALSE(HasControlCharacter("text/plain; charset=utf-8"));
  EXPECT_TRUE(HasControlCharacter("text/plain\r\nX-Injected: 1"));
  EXPECT_TRUE(HasControlCharacter("a\tb"));
  EXPECT_TRUE(HasControlCharacter(std::string_view("a\0b", 3)));
  EXPECT_TRUE(HasControlCharacter("a\x7f"));
}

}  // namespace
}  // namespace edgegate::base
