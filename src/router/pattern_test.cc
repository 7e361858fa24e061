// Tests for host, method and path pattern validation, parsing and normalisation.
#include "router/pattern.h"

#include <gtest/gtest.h>

namespace edgegate::router {
namespace {

using base::Code;

void ExpectFieldError(const Status& status, std::string_view field, std::string_view input) {
  EXPECT_EQ(status.code(), Code::kInvalidArgument) << input;
  EXPECT_EQ(status.field(), field) << input;
  EXPECT_FALSE(status.message().empty()) << input;
}

TEST(HostPatternTest, AcceptsExactWildcardAnyAndIpv6) {
  for (std::string_view ok : {"api.example.com", "API.Example.COM", "*.example.com", "*", "*.com",
                              "localhost", "my_host-1.internal", "[::1]", "[2001:db8::1]"}) {
    EXPECT_TRUE(ValidateHostPattern(ok).ok()) << ok << ": " << ValidateHostPattern(ok).message();
  }
}

TEST(HostPatternTest, RejectsMalformedHostsNamingTheDomainField) {
  for (std::string_view bad :
       {"", " ", "api .example.com", "example.com:8080", "api.*.example.com", "**.example.com",
        "**", "*example.com", "example.*", "example.com.", ".example.com", "a..b", "ex/ample",
        "exämple.com", "*.", "[::1]:80", "[zz]", "*.*.example.com"}) {
    ExpectFieldError(ValidateHostPattern(bad), "domain", bad);
  }
}

TEST(HostPatternTest, NormalizationLowerCases) {
  EXPECT_EQ(NormalizeHostPattern("*.Example.COM"), "*.example.com");
}

TEST(RequestHostTest, StripsPortTrailingDotAndCase) {
  std::string scratch;
  EXPECT_EQ(NormalizeRequestHost("api.example.com", &scratch), "api.example.com");
  EXPECT_TRUE(scratch.empty()) << "no copy when already lower-case";
  EXPECT_EQ(NormalizeRequestHost("api.example.com:8080", &scratch), "api.example.com");
  EXPECT_EQ(NormalizeRequestHost("API.Example.com:8080", &scratch), "api.example.com");
  EXPECT_EQ(NormalizeRequestHost("example.com.", &scratch), "example.com");
  EXPECT_EQ(NormalizeRequestHost("[::1]:8080", &scratch), "[::1]");
  EXPECT_EQ(NormalizeRequestHost("[2001:DB8::1]", &scratch), "[2001:db8::1]");
  EXPECT_EQ(NormalizeRequestHost("", &scratch), "");
}

// The host is scanned eight bytes at a time with an overlapping last word: compare with a
// byte-by-byte reference for hosts of every length, with an upper-case letter, a ':' and a
// non-ASCII byte at every position.
TEST(RequestHostTest, MatchesAByteByByteReferenceAtEveryLengthAndPosition) {
  auto reference = [](std::string_view host) {
    host = host.substr(0, std::min(host.find(':'), host.size()));
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    std::string out(host);
    for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return out;
  };
  std::string scratch;
  for (size_t length = 0; length <= 24; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (char special : {'A', 'Z', 'M', ':', '@', '[', '\x80', '\xc1', '.'}) {
        std::string host(length, 'a');
        for (size_t i = 0; i < length; ++i) host[i] = "abcxyz09-."[i % 10];
        host[at] = special;
        if (host[0] == '[') continue;  // IPv6 literals take another path
        std::string with_z = host;
        if (at + 1 < length) with_z[at + 1] = 'Z';  // an upper-case letter after the special
        for (const std::string& h : {host, with_z}) {
          ASSERT_EQ(NormalizeRequestHost(h, &scratch), reference(h))
              << "host '" << h << "' length " << length << " at " << at;
        }
      }
    }
  }
}

TEST(MethodTest, AcceptsTheSevenMethodsInAnyCase) {
  for (std::string_view ok : {"GET", "get", "Post", "PUT", "PATCH", "DELETE", "HEAD", "options"}) {
    EXPECT_TRUE(ValidateMethod(ok).ok()) << ok;
  }
  for (std::string_view bad : {"", "TRACE", "CONNECT", "GETS", " GET"}) {
    ExpectFieldError(ValidateMethod(bad), "method", bad);
  }
  EXPECT_EQ(NormalizeMethod("patch"), "PATCH");
}

TEST(PathPatternTest, ParsesLiteralsParamsAndCatchAll) {
  Result<PathPattern> p = ParsePathPattern("/pets/{id}/files/{*rest}");
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->segments.size(), 4u);
  EXPECT_EQ(p->segments[0].kind, SegmentKind::kLiteral);
  EXPECT_EQ(p->segments[0].text, "pets");
  EXPECT_EQ(p->segments[1].kind, SegmentKind::kParam);
  EXPECT_EQ(p->segments[1].text, "id");
  EXPECT_EQ(p->segments[3].kind, SegmentKind::kCatchAll);
  EXPECT_EQ(p->segments[3].text, "rest");
}

TEST(PathPatternTest, RootHasNoSegments) {
  Result<PathPattern> p = ParsePathPattern("/");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->segments.empty());
  EXPECT_EQ(RouteShape(*p), "/");
}

TEST(PathPatternTest, LiteralEscapesAreDecoded) {
  Result<PathPattern> p = ParsePathPattern("/caf%C3%A9/a%20b");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->segments[0].text, "caf\xC3\xA9");
  EXPECT_EQ(p->segments[1].text, "a b");
}

TEST(PathPatternTest, RejectsMalformedPatternsNamingThePathField) {
  for (std::string_view bad :
       {"",          "pets",          "/pets/",     "/pets//{id}", "//",       "/a{id}",
        "/{id}a",    "/{id",          "/id}",       "/{}",         "/{*}",     "/{1id}",
        "/{i-d}",    "/{*rest}/more", "/{id}/{id}", "/{id}/{*id}", "/{{id}}",  "/pets?x=1",
        "/pets#top", "/a b",          "/./a",       "/a/..",       "/files/*", "/bad%zz",
        "/bad%2",    "/{ id}"}) {
    ExpectFieldError(ParsePathPattern(bad).status(), "path", bad);
  }
}

TEST(PathPatternTest, RejectsTooManySegments) {
  std::string path;
  for (size_t i = 0; i <= kMaxPathPatternSegments; ++i) {
    path += "/s";
  }
  ExpectFieldError(ParsePathPattern(path).status(), "path", "65 segments");
}

TEST(PathPatternTest, ErrorMessagesSayWhatIsWrong) {
  EXPECT_NE(ParsePathPattern("/{*rest}/x").status().message().find("last segment"),
            std::string::npos);
  EXPECT_NE(ParsePathPattern("/{a}/{a}").status().message().find("used twice"), std::string::npos);
  EXPECT_NE(ParsePathPattern("/{a").status().message().find("unbalanced"), std::string::npos);
}

TEST(RouteShapeTest, ErasesParameterNames) {
  EXPECT_EQ(RouteShape(*ParsePathPattern("/pets/{id}")), "/pets/{}");
  EXPECT_EQ(RouteShape(*ParsePathPattern("/pets/{petId}")), "/pets/{}");
  EXPECT_EQ(RouteShape(*ParsePathPattern("/files/{*rest}")), "/files/{*}");
}

TEST(RouteShapeTest, CanonicalizesLiteralEscapes) {
  EXPECT_EQ(RouteShape(*ParsePathPattern("/%61b")), RouteShape(*ParsePathPattern("/ab")));
  EXPECT_EQ(RouteShape(*ParsePathPattern("/a%2fb")), "/a%2Fb");
  EXPECT_EQ(RouteShape(*ParsePathPattern("/%7Bx%7D")), "/%7Bx%7D");
}

TEST(PercentDecodeTest, DecodesValidAndRejectsInvalidEscapes) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%20b+c%2F", &out));
  EXPECT_EQ(out, "a b+c/");
  for (std::string_view bad : {"%", "%2", "%zz", "a%g0"}) {
    std::string ignored;
    EXPECT_FALSE(PercentDecode(bad, &ignored)) << bad;
  }
}

}  // namespace
}  // namespace edgegate::router
