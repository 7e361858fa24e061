// Header hygiene of http::Response: what a handler may not put on the wire.
#include "http/response.h"

#include <gtest/gtest.h>

#include <string>

namespace edgegate::http {
namespace {

std::string Block(std::string_view name, std::string_view value) {
  Response response;
  response.Set(200, {}, "");
  response.AddHeader(name, value);
  return std::string(response.header_block());
}

TEST(ResponseTest, KeepsValidHeadersInOrder) {
  Header headers[] = {{"Content-Type", "text/plain; charset=utf-8"}, {"X-A", ""}, {"x-b", "1"}};
  Response response;
  response.Set(201, headers, "body");
  EXPECT_EQ(response.status(), 201);
  EXPECT_EQ(response.header_block(),
            "Content-Type: text/plain; charset=utf-8\r\nX-A: \r\nx-b: 1\r\n");
  EXPECT_EQ(response.body(), "body");
  EXPECT_EQ(response.dropped_headers(), 0);
}

// Names and values are copied word by word (base::swar::Copy): every length on both sides of
// the 4, 8, 16 and 32 byte steps, with several headers in one block.
TEST(ResponseTest, CopiesNamesAndValuesOfEveryLength) {
  for (size_t n = 1; n <= 40; ++n) {
    std::string name, value;
    for (size_t i = 0; i < n; ++i) {
      name += static_cast<char>('a' + i % 26);
      value += static_cast<char>('A' + (i * 5) % 26);
    }
    Response response;
    response.Set(200, {}, "");
    response.AddHeader(name, value);
    response.AddHeader("X-After", value.substr(0, n / 2));
    EXPECT_EQ(response.header_block(),
              name + ": " + value + "\r\nX-After: " + value.substr(0, n / 2) + "\r\n")
        << n;
  }
}

TEST(ResponseTest, AllowsTabAndNonAsciiBytesInValues) {
  EXPECT_EQ(Block("X-V", "a\tb"), "X-V: a\tb\r\n");
  EXPECT_EQ(Block("X-V", "a\tbcdefghi\tklmn\t"), "X-V: a\tbcdefghi\tklmn\t\r\n");
  EXPECT_EQ(Block("X-V", "caf\xc3\xa9 \xe2\x82\xac and more than eight bytes"),
            "X-V: caf\xc3\xa9 \xe2\x82\xac and more than eight bytes\r\n");
  EXPECT_EQ(Block("X-V", std::string(40, '\x80')), "X-V: " + std::string(40, '\x80') + "\r\n");
  EXPECT_EQ(Block("X-V", std::string(40, '\xff')), "X-V: " + std::string(40, '\xff') + "\r\n");
  const std::string tabs = "\tfirst chunk\t....second chunk.\t\tand tail\t";  // 40 bytes
  EXPECT_EQ(Block("X-V", tabs), "X-V: " + tabs + "\r\n");
}

// Every control byte, at every position of values long enough to cover the eight-byte words,
// the sixteen-byte chunks and the tails of the scan.
TEST(ResponseTest, DropsValuesWithAControlByteAnywhere) {
  for (int c = 0; c < 0x80; ++c) {
    if (c >= 0x20 && c != 0x7f) continue;
    if (c == '\t') continue;
    for (size_t length : {1, 7, 8, 9, 15, 16, 17, 30, 32, 33, 47}) {
      for (size_t at = 0; at < length; ++at) {
        std::string value(length, 'v');
        value[at] = static_cast<char>(c);
        Response response;
        response.Set(200, {}, "");
        response.AddHeader("X-Bad", value);
        ASSERT_EQ(response.header_block(), "") << "byte " << c << " at " << at << "/" << length;
        ASSERT_EQ(response.dropped_headers(), 1);
      }
    }
  }
}

TEST(ResponseTest, DropsInvalidNamesAndCountsThem) {
  Header headers[] = {{"", "x"}, {"Bad Name", "x"}, {"Bad:Name", "x"}, {"N\xc3\xa9", "x"},
                      {"Good", "x"}};
  Response response;
  response.Set(200, headers, "");
  EXPECT_EQ(response.header_block(), "Good: x\r\n");
  EXPECT_EQ(response.dropped_headers(), 4);
}

TEST(ResponseTest, DropsHeadersTheServerWritesItself) {
  Header headers[] = {{"content-length", "5"}, {"Date", "x"}, {"CONNECTION", "close"},
                      {"Transfer-Encoding", "chunked"}, {"X-Kept", "1"}};
  Response response;
  response.Set(200, headers, "");
  EXPECT_EQ(response.header_block(), "X-Kept: 1\r\n");
  EXPECT_EQ(response.dropped_headers(), 0);  // dropped silently: not an injection attempt
}

TEST(ResponseTest, SetReplacesEverythingAndClampsTheStatus) {
  Response response;
  response.Set(404, {}, "first");
  response.AddHeader("X-Old", "1");
  response.Set(42, {}, "");
  EXPECT_EQ(response.status(), 500);
  EXPECT_EQ(response.header_block(), "");
  EXPECT_EQ(response.body(), "");
}

}  // namespace
}  // namespace edgegate::http
