// Tests for the multipart/form-data reader: boundaries from Content-Type, well-formed bodies as
// curl sends them, binary content, and malformed framing of every kind.
#include "admin/multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgegate::admin {
namespace {

using namespace std::string_literals;

constexpr const char* kBoundary = "------------------------d74496d66958873e";

std::string Part(const std::string& headers, const std::string& body) {
  return "--"s + kBoundary + "\r\n" + headers + "\r\n\r\n" + body + "\r\n";
}

std::string Close() { return "--"s + kBoundary + "--\r\n"; }

TEST(MultipartBoundaryTest, ReadsPlainAndQuotedBoundaries) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data;boundary=\"a b'()+_,-./:=?\""),
            "a b'()+_,-./:=?");
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; charset=utf-8; BOUNDARY=x"), "x");
}

TEST(MultipartBoundaryTest, RejectsOtherTypesAndBadBoundaries) {
  for (const std::string& type : std::vector<std::string>{
           "application/zip", "multipart/mixed; boundary=x", "multipart/form-data",
           "multipart/form-data; boundary=", "multipart/form-data; boundary=a;b",
           "multipart/form-data; boundary=\"unterminated",
           "multipart/form-data; boundary=" + std::string(71, 'a'),
           "multipart/form-data; boundary=\"ends with space \"",
           "multipart/form-data; boundary=bad<char>"}) {
    auto b = MultipartBoundary(type);
    EXPECT_FALSE(b.ok()) << type;
    if (!b.ok()) {
      EXPECT_EQ(b.status().field(), "Content-Type") << type;
    }
  }
}

TEST(MultipartTest, ParsesCurlStyleBodyWithBinaryContent) {
  std::string zip = "PK\x03\x04\0\r\n--not-the-boundary\r\n\xff"s;
  std::string body = Part("Content-Disposition: form-data; name=\"note\"", "hello") +
                     Part(
                         "Content-Disposition: form-data; name=\"file\"; filename=\"b.zip\"\r\n"
                         "Content-Type: application/zip",
                         zip) +
                     Close();
  auto parts = ParseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "note");
  EXPECT_EQ((*parts)[0].body, "hello");
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].filename, "b.zip");
  EXPECT_EQ((*parts)[1].content_type, "application/zip");
  EXPECT_EQ((*parts)[1].body, zip);
}

TEST(MultipartTest, AcceptsAnEmptyPartBodyAndIgnoresTheEpilogue) {
  std::string body = Part("content-disposition: form-data; name=a", "") + Close() + "epilogue";
  auto parts = ParseMultipart(body, kBoundary);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  EXPECT_EQ((*parts)[0].body, "");
}

TEST(MultipartTest, RejectsMalformedBodies) {
  const std::string disposition = "Content-Disposition: form-data; name=\"file\"";
  const std::string cases[] = {
      "",                                                 // empty
      "preamble\r\n" + Part(disposition, "x") + Close(),  // preamble
      Part(disposition, "x"),                             // no closing delimiter
      "--"s + kBoundary + "\r\n" + disposition + "\r\n",  // headers never end
      Part("Content-Type: text/plain", "x") + Close(),    // no disposition
      Part("Content-Disposition: attachment; name=\"f\"", "x") + Close(),
      Part("Content-Disposition: form-data; filename=\"x\"", "x") + Close(),  // no name
      Part("Content-Disposition: form-data; name=\"f", "x") + Close(),        // open quote
      Part("no colon here", "x") + Close(),
      Part(": empty name", "x") + Close(),
      "--"s + kBoundary + "\r\n\r\nx\r\n" + Close(),  // no headers at all
      "--"s + kBoundary + "garbage\r\n" + disposition + "\r\n\r\nx\r\n" + Close(),
      Part(disposition, "x") + "--"s + kBoundary + "X",  // bad delimiter tail
      Part(disposition + "\r\nX-Long: " + std::string(kMaxPartHeaderBytes, 'a'), "x") + Close(),
  };
  for (const std::string& body : cases) {
    auto parts = ParseMultipart(body, kBoundary);
    EXPECT_FALSE(parts.ok()) << body.substr(0, 200);
    if (!parts.ok()) {
      EXPECT_EQ(parts.status().field(), "body");
    }
  }
}

TEST(MultipartTest, BoundsTheNumberOfParts) {
  std::string body;
  for (size_t i = 0; i <= kMaxParts; ++i) {
    body += Part("Content-Disposition: form-data; name=\"p" + std::to_string(i) + "\"", "x");
  }
  body += Close();
  auto parts = ParseMultipart(body, kBoundary);
  ASSERT_FALSE(parts.ok());
  EXPECT_NE(parts.status().message().find("parts"), std::string::npos);
}

}  // namespace
}  // namespace edgegate::admin
