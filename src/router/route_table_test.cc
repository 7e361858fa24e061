// Tests for RouteTable: building, host selection, path precedence, methods, params, errors.
#include "router/route_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgegate::router {
namespace {

using Outcome = RouteMatch::Outcome;

std::shared_ptr<const RouteTable> MustBuild(std::vector<RouteSpec> specs) {
  auto table = RouteTable::Build(std::move(specs));
  EXPECT_TRUE(table.ok()) << table.status().message();
  return table.ok() ? *table : nullptr;
}

// Matches and returns the route id, or -404 / -405 for the other outcomes.
int64_t MatchId(const RouteTable& table, std::string_view host, std::string_view method,
                std::string_view path, RouteMatch& match) {
  table.Match(host, method, path, match);
  switch (match.outcome) {
    case Outcome::kFound:
      return match.route_id;
    case Outcome::kMethodNotAllowed:
      return -405;
    case Outcome::kNotFound:
      return -404;
  }
  return 0;
}

int64_t MatchId(const RouteTable& table, std::string_view method, std::string_view path) {
  RouteMatch match;
  return MatchId(table, "example.com", method, path, match);
}

TEST(RouteTableTest, LiteralSegmentBeatsParameter) {
  auto t = MustBuild({{"*", "GET", "/pets/{id}", 1}, {"*", "GET", "/pets/mine", 2}});
  EXPECT_EQ(MatchId(*t, "GET", "/pets/mine"), 2);
  EXPECT_EQ(MatchId(*t, "GET", "/pets/7"), 1);
}

TEST(RouteTableTest, ParameterBeatsCatchAll) {
  auto t = MustBuild({{"*", "GET", "/f/{*rest}", 1}, {"*", "GET", "/f/{name}", 2}});
  EXPECT_EQ(MatchId(*t, "GET", "/f/a"), 2);
  EXPECT_EQ(MatchId(*t, "GET", "/f/a/b"), 1);
}

TEST(RouteTableTest, BacktracksWhenTheLiteralBranchDeadEnds) {
  auto t = MustBuild({{"*", "GET", "/a/b/c", 1}, {"*", "GET", "/a/{x}/d", 2}});
  EXPECT_EQ(MatchId(*t, "GET", "/a/b/c"), 1);
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "example.com", "GET", "/a/b/d", match), 2);
  ASSERT_EQ(match.params().size(), 1u);
  EXPECT_EQ(match.params()[0].name, "x");
  EXPECT_EQ(match.params()[0].value, "b");
}

TEST(RouteTableTest, BacktracksPastANodeWithoutTheMethod) {
  auto t = MustBuild({{"*", "POST", "/a/b", 1}, {"*", "GET", "/a/{x}", 2}});
  EXPECT_EQ(MatchId(*t, "GET", "/a/b"), 2);
  EXPECT_EQ(MatchId(*t, "POST", "/a/b"), 1);
}

TEST(RouteTableTest, UnknownPathIsNotFound) {
  auto t = MustBuild({{"*", "GET", "/pets", 1}});
  EXPECT_EQ(MatchId(*t, "GET", "/cats"), -404);
  EXPECT_EQ(MatchId(*t, "GET", "/pets/1"), -404);
  EXPECT_EQ(MatchId(*t, "GET", "/"), -404);
}

TEST(RouteTableTest, KnownPathWithOtherMethodIsMethodNotAllowedWithAllow) {
  auto t = MustBuild({{"*", "POST", "/pets", 1}, {"*", "GET", "/pets", 2}});
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "example.com", "DELETE", "/pets", match), -405);
  EXPECT_EQ(match.allow(), "GET, HEAD, POST");
  EXPECT_TRUE(match.params().empty());
  EXPECT_EQ(MatchId(*t, "example.com", "get", "/pets", match), -405) << "methods are exact";
}

TEST(RouteTableTest, MethodNotAllowedReportsTheFirstMatchedNode) {
  auto t = MustBuild({{"*", "PUT", "/a/b", 1}, {"*", "DELETE", "/a/{x}", 2}});
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "example.com", "GET", "/a/b", match), -405);
  EXPECT_EQ(match.allow(), "PUT");
}

TEST(RouteTableTest, HeadFallsBackToGet) {
  auto t = MustBuild({{"*", "GET", "/a", 1}, {"*", "GET", "/b", 2}, {"*", "HEAD", "/b", 3}});
  EXPECT_EQ(MatchId(*t, "HEAD", "/a"), 1);
  EXPECT_EQ(MatchId(*t, "HEAD", "/b"), 3);
}

TEST(RouteTableTest, ParamsArePercentDecoded) {
  auto t = MustBuild({{"*", "GET", "/pets/{name}/toys/{toy}", 1}});
  RouteMatch match;
  ASSERT_EQ(MatchId(*t, "example.com", "GET", "/pets/a%20b/toys/x%2Fy", match), 1);
  EXPECT_EQ(match.param("name"), "a b");
  EXPECT_EQ(match.param("toy"), "x/y");
  EXPECT_EQ(match.param("missing"), "");
}

TEST(RouteTableTest, LiteralsMatchDecodedSegments) {
  auto t = MustBuild({{"*", "GET", "/a%20b", 1}, {"*", "GET", "/caf%C3%A9", 2}});
  EXPECT_EQ(MatchId(*t, "GET", "/a%20b"), 1);
  EXPECT_EQ(MatchId(*t, "GET", "/caf%c3%a9"), 2);
}

// The path is decoded while the tree is searched: a decoded segment that a dead-end branch
// matched is decoded again for the next branch, and the values kept must all stay valid.
TEST(RouteTableTest, BacktrackingOverEscapedSegmentsKeepsDecodedValues) {
  auto t = MustBuild({{"*", "GET", "/a/b%20c/d/e", 1},
                      {"*", "GET", "/a/{x}/d/{y}/z", 2},
                      {"*", "GET", "/a/{x}/{*rest}", 3}});
  RouteMatch match;
  ASSERT_EQ(MatchId(*t, "example.com", "GET", "/a/b%20c/d/%65%65/z", match), 2);
  EXPECT_EQ(match.param("x"), "b c");
  EXPECT_EQ(match.param("y"), "ee");
  ASSERT_EQ(MatchId(*t, "example.com", "GET", "/a/b%20c/d/%65%65/%7A%7a/", match), 3);
  EXPECT_EQ(match.param("x"), "b c");
  EXPECT_EQ(match.param("rest"), "d/ee/zz/");
  EXPECT_EQ(MatchId(*t, "example.com", "GET", "/a/b%20c/d/e", match), 1);
  EXPECT_TRUE(match.params().empty());
}

// Hundreds of dead-end branches that each decode a segment: decoding must reuse the space a
// failed branch used, or it outgrows what Reset reserved and the values already captured
// dangle (caught by the value checks, and reliably by an EDGEGATE_SANITIZE build).
TEST(RouteTableTest, DeepBacktrackingOverEscapesKeepsEarlierValues) {
  constexpr int kDepth = 20;
  std::vector<RouteSpec> specs;
  // Route k: k literal "AAAA" segments, then parameters to depth kDepth, then "never". Every
  // node of the literal chain has a literal child and a parameter child; all of them dead-end.
  for (int k = 0; k < kDepth; ++k) {
    std::string pattern;
    for (int j = 0; j < kDepth; ++j) {
      pattern += j < k ? "/%41%41%41%41" : "/{p" + std::to_string(j) + "}";
    }
    specs.push_back({"*", "GET", pattern + "/never", static_cast<uint32_t>(k + 1)});
  }
  specs.push_back({"*", "GET", "/{a}/{*rest}", 100});
  auto t = MustBuild(std::move(specs));
  std::string path;
  std::string rest;
  for (int j = 0; j < kDepth; ++j) {
    path += "/%41%41%41%41";
    rest += j == 0 ? "" : j == 1 ? "AAAA" : "/AAAA";
  }
  RouteMatch match;
  ASSERT_EQ(MatchId(*t, "example.com", "GET", path, match), 100);
  EXPECT_EQ(match.param("a"), "AAAA");
  EXPECT_EQ(match.param("rest"), rest);
}

// Segments are found eight bytes at a time, with overlapping reads near the end of the path:
// every segment length at every offset, in paths shorter and longer than a word, must split
// exactly as a byte-by-byte split does.
TEST(RouteTableTest, SplitsSegmentsOfEveryLengthAtEveryOffset) {
  constexpr int kMaxSegments = 4;
  std::vector<RouteSpec> specs;
  std::string pattern;
  for (int k = 1; k <= kMaxSegments; ++k) {
    pattern += "/{p" + std::to_string(k) + "}";
    specs.push_back({"*", "GET", pattern, static_cast<uint32_t>(k)});
  }
  auto t = MustBuild(std::move(specs));
  RouteMatch match;
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> segments(1 + next(kMaxSegments));
    std::string path;
    for (std::string& segment : segments) {
      for (uint32_t len = 1 + next(13); segment.size() < len;) {
        segment += "abcdefgh"[next(8)];
      }
      path += "/" + segment;
    }
    if (next(4) == 0) {
      path += "/";
    }
    ASSERT_EQ(MatchId(*t, "example.com", "GET", path, match),
              static_cast<int64_t>(segments.size())) << path;
    ASSERT_EQ(match.params().size(), segments.size()) << path;
    for (size_t i = 0; i < segments.size(); ++i) {
      ASSERT_EQ(match.params()[i].value, segments[i]) << path << " segment " << i;
    }
  }
}

TEST(RouteTableTest, EveryMethodMatchesExactlyItself) {
  std::vector<RouteSpec> specs;
  const std::vector<std::string> methods = {"GET", "PUT", "POST", "HEAD", "PATCH", "DELETE",
                                            "OPTIONS"};
  for (uint32_t i = 0; i < methods.size(); ++i) {
    specs.push_back({"*", methods[i], "/m", i + 1});
  }
  auto t = MustBuild(std::move(specs));
  for (uint32_t i = 0; i < methods.size(); ++i) {
    EXPECT_EQ(MatchId(*t, methods[i], "/m"), i + 1) << methods[i];
  }
  for (std::string_view other : {"get", "GEt", "PUX", "HEAP", "PATCHY", "", "CONNECT", "TRACE",
                                 "DELETe", "OPTIONs", "POSt"}) {
    EXPECT_EQ(MatchId(*t, other, "/m"), -405) << other;
  }
}

// An endpoint of one method keeps its route in the node (no Endpoint read); one of several
// methods does not. Both must answer alike, at literal, param and catch-all ends.
TEST(RouteTableTest, SingleMethodEndpointsAnswerLikeMultiMethodOnes) {
  const std::vector<std::string> methods = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST",
                                            "PUT"};  // Allow order
  const std::vector<std::string> shapes = {"/lit", "/par/{x}", "/cat/{*rest}"};
  const std::vector<std::string> requests = {"/lit", "/par/1", "/cat/a/b"};
  for (size_t m = 0; m < methods.size(); ++m) {
    std::vector<RouteSpec> specs;
    for (size_t s = 0; s < shapes.size(); ++s) {
      specs.push_back({"*", methods[m], shapes[s], static_cast<uint32_t>(10 * m + s)});
    }
    auto t = MustBuild(std::move(specs));
    for (size_t s = 0; s < shapes.size(); ++s) {
      for (const std::string& method : methods) {
        RouteMatch match;
        int64_t id = MatchId(*t, "example.com", method, requests[s], match);
        bool served = method == methods[m] || (method == "HEAD" && methods[m] == "GET");
        if (served) {
          EXPECT_EQ(id, static_cast<int64_t>(10 * m + s)) << method << " " << requests[s];
        } else {
          EXPECT_EQ(id, -405) << method << " " << requests[s];
          EXPECT_EQ(match.allow(), methods[m] == "GET" ? "GET, HEAD" : methods[m]);
        }
      }
      EXPECT_EQ(MatchId(*t, "BREW", requests[s]), -405);
    }
  }
  // Two methods at each end: the Endpoint is read.
  auto t = MustBuild({{"*", "GET", "/lit", 1}, {"*", "POST", "/lit", 2},
                      {"*", "GET", "/par/{x}", 3}, {"*", "POST", "/par/{y}", 4},
                      {"*", "PUT", "/cat/{*rest}", 5}, {"*", "DELETE", "/cat/{*r}", 6}});
  EXPECT_EQ(MatchId(*t, "HEAD", "/lit"), 1);
  EXPECT_EQ(MatchId(*t, "POST", "/lit"), 2);
  EXPECT_EQ(MatchId(*t, "POST", "/par/1"), 4);
  EXPECT_EQ(MatchId(*t, "DELETE", "/cat/a/b"), 6);
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "example.com", "GET", "/cat/x", match), -405);
  EXPECT_EQ(match.allow(), "DELETE, PUT");
}

// Host lookups are skipped for lengths no pattern has; names of 63 characters and more share
// one length class, so long names must still be looked up and told apart.
TEST(RouteTableTest, HostsOfEveryLengthIncludingLongOnesMatch) {
  std::vector<RouteSpec> specs;
  std::vector<std::string> exact;
  char letter = 'a';  // a letter per host, so that no host is a suffix of another
  for (size_t length : {1, 2, 8, 30, 62, 63, 64, 70, 100}) {
    std::string host(length, letter++);  // labels of up to 9 letters: "aaaaaaaaa.aaaaaaaaa.aa"
    for (size_t i = 9; i + 1 < length; i += 10) host[i] = '.';
    exact.push_back(host);
    specs.push_back({host, "GET", "/e", static_cast<uint32_t>(length)});
    specs.push_back({"*." + host, "GET", "/w", static_cast<uint32_t>(1000 + length)});
  }
  auto t = MustBuild(std::move(specs));
  RouteMatch match;
  for (const std::string& host : exact) {
    const auto length = static_cast<int64_t>(host.size());
    EXPECT_EQ(MatchId(*t, host, "GET", "/e", match), length) << host;
    EXPECT_EQ(MatchId(*t, "a.b." + host + ":80", "GET", "/w", match), 1000 + length) << host;
    EXPECT_EQ(MatchId(*t, host + "x", "GET", "/e", match), -404) << host;
    EXPECT_EQ(MatchId(*t, host, "GET", "/w", match), -404) << "the apex is not a wildcard match";
  }
}

TEST(RouteTableTest, CatchAllMatchesEmptyAndManySegments) {
  auto t = MustBuild({{"*", "GET", "/files/{*rest}", 1}});
  RouteMatch match;
  for (auto [path, rest] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"/files", ""},
           {"/files/", ""},
           {"/files/a", "a"},
           {"/files/a/b", "a/b"},
           {"/files/a/b/", "a/b/"},
           {"/files/a%20b/c%2Fd", "a b/c/d"}}) {
    ASSERT_EQ(MatchId(*t, "example.com", "GET", path, match), 1) << path;
    ASSERT_EQ(match.params().size(), 1u);
    EXPECT_EQ(match.params()[0].name, "rest");
    EXPECT_EQ(match.params()[0].value, rest) << path;
  }
  EXPECT_EQ(MatchId(*t, "GET", "/filesystem"), -404);
}

// A tree is at most kMaxPathPatternSegments deep: a request path deeper than the deepest pattern
// can end only in a catch-all, which must still get the whole rest, decoded.
TEST(RouteTableTest, PathsDeeperThanTheDeepestPatternReachOnlyACatchAll) {
  std::string prefix;  // 63 segments
  for (int i = 0; i < 63; ++i) {
    prefix += "/s" + std::to_string(i);
  }
  auto t = MustBuild({{"*", "GET", prefix + "/last", 1}, {"*", "GET", prefix + "/{*rest}", 2}});
  ASSERT_NE(t, nullptr) << "patterns of 64 segments are allowed";
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "example.com", "GET", prefix + "/last", match), 1);
  EXPECT_EQ(MatchId(*t, "example.com", "GET", prefix + "/last/", match), 1);
  for (auto [rest, value] :
       std::vector<std::pair<std::string, std::string>>{{"/last/more", "last/more"},
                                                        {"/x/y/z/", "x/y/z/"},
                                                        {"/a%2Fb/c/d%20e/f", "a/b/c/d e/f"}}) {
    ASSERT_EQ(MatchId(*t, "example.com", "GET", prefix + rest, match), 2) << rest;
    ASSERT_EQ(match.params().size(), 1u);
    EXPECT_EQ(match.params()[0].name, "rest");
    EXPECT_EQ(match.params()[0].value, value);
  }
}

TEST(RouteTableTest, ExactLiteralBeatsCatchAllAtTheSameNode) {
  auto t = MustBuild({{"*", "GET", "/files/{*rest}", 1}, {"*", "GET", "/files", 2}});
  EXPECT_EQ(MatchId(*t, "GET", "/files"), 2);
  EXPECT_EQ(MatchId(*t, "GET", "/files/x"), 1);
}

TEST(RouteTableTest, TrailingSlashInTheRequestIsIgnored) {
  auto t = MustBuild({{"*", "GET", "/a", 1}, {"*", "GET", "/", 2}, {"*", "GET", "/p/{id}", 3}});
  EXPECT_EQ(MatchId(*t, "GET", "/a/"), 1);
  EXPECT_EQ(MatchId(*t, "GET", "/"), 2);
  EXPECT_EQ(MatchId(*t, "GET", "/p/7/"), 3);
  EXPECT_EQ(MatchId(*t, "GET", "/a//"), -404);
  EXPECT_EQ(MatchId(*t, "GET", "/p//"), -404) << "a parameter never matches an empty segment";
}

TEST(RouteTableTest, BadPercentEscapesAndOddPathsAreNotFound) {
  auto t = MustBuild({{"*", "GET", "/{x}", 1}, {"*", "GET", "/f/{*rest}", 2}});
  for (std::string_view path : {"/%", "/%2", "/%zz", "/f/a%g1", "", "pets", "*", "/f/%%"}) {
    EXPECT_EQ(MatchId(*t, "GET", path), -404) << path;
  }
  EXPECT_EQ(MatchId(*t, "GET", "/%00"), 1);
}

TEST(RouteTableTest, ExactHostBeatsLongestWildcardBeatsAnyHost) {
  auto t = MustBuild({{"*", "GET", "/", 1},
                      {"*.com", "GET", "/", 2},
                      {"*.example.com", "GET", "/", 3},
                      {"*.b.example.com", "GET", "/", 4},
                      {"a.b.example.com", "GET", "/", 5}});
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "a.b.example.com", "GET", "/", match), 5);
  EXPECT_EQ(MatchId(*t, "x.b.example.com", "GET", "/", match), 4);
  EXPECT_EQ(MatchId(*t, "x.y.b.example.com", "GET", "/", match), 4);
  EXPECT_EQ(MatchId(*t, "b.example.com", "GET", "/", match), 3);
  EXPECT_EQ(MatchId(*t, "example.com", "GET", "/", match), 2);
  EXPECT_EQ(MatchId(*t, "example.org", "GET", "/", match), 1);
  EXPECT_EQ(MatchId(*t, "", "GET", "/", match), 1);
}

TEST(RouteTableTest, WildcardNeedsAtLeastOneLabel) {
  auto t = MustBuild({{"*.example.com", "GET", "/", 1}});
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "a.example.com", "GET", "/", match), 1);
  EXPECT_EQ(MatchId(*t, "a.b.example.com", "GET", "/", match), 1);
  EXPECT_EQ(MatchId(*t, "example.com", "GET", "/", match), -404);
  EXPECT_EQ(MatchId(*t, "badexample.com", "GET", "/", match), -404);
}

TEST(RouteTableTest, HostIsCaseInsensitiveAndPortIsIgnored) {
  auto t = MustBuild({{"API.Example.com", "GET", "/", 1}, {"[::1]", "GET", "/", 2}});
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "api.example.com", "GET", "/", match), 1);
  EXPECT_EQ(MatchId(*t, "API.EXAMPLE.COM:8443", "GET", "/", match), 1);
  EXPECT_EQ(MatchId(*t, "api.example.com.", "GET", "/", match), 1);
  EXPECT_EQ(MatchId(*t, "[::1]:8080", "GET", "/", match), 2);
  EXPECT_EQ(MatchId(*t, "other.example.com", "GET", "/", match), -404);
}

TEST(RouteTableTest, FirstHostWhosePathMatchesDecidesEvenWithAnotherMethod) {
  auto t = MustBuild({{"api.example.com", "POST", "/pets", 1},
                      {"*.example.com", "GET", "/pets", 2},
                      {"*.example.com", "GET", "/cats", 3},
                      {"*", "GET", "/dogs", 4}});
  RouteMatch match;
  EXPECT_EQ(MatchId(*t, "api.example.com", "GET", "/pets", match), -405);
  EXPECT_EQ(match.allow(), "POST");
  EXPECT_EQ(MatchId(*t, "api.example.com", "GET", "/cats", match), 3);
  EXPECT_EQ(MatchId(*t, "api.example.com", "GET", "/dogs", match), 4);
  EXPECT_EQ(MatchId(*t, "api.example.com", "GET", "/birds", match), -404);
}

TEST(RouteTableTest, DuplicateShapesAreRejected) {
  auto dup = RouteTable::Build(
      {{"*.example.com", "GET", "/pets/{id}", 1}, {"*.EXAMPLE.com", "get", "/pets/{petId}", 2}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), base::Code::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("route 2 duplicates route 1"), std::string::npos)
      << dup.status().message();
  EXPECT_TRUE(RouteTable::Build({{"*", "GET", "/pets/{id}", 1},
                                 {"*", "HEAD", "/pets/{id}", 2},
                                 {"a.com", "GET", "/pets/{id}", 3},
                                 {"*", "GET", "/pets/{*id}", 4}})
                  .ok());
}

TEST(RouteTableTest, InvalidSpecsAreRejectedNamingTheField) {
  struct Case {
    RouteSpec spec;
    std::string_view field;
  };
  for (const Case& c : std::vector<Case>{{{"bad host", "GET", "/", 7}, "domain"},
                                         {{"*", "FETCH", "/", 7}, "method"},
                                         {{"*", "GET", "/a/{*r}/b", 7}, "path"},
                                         {{"*", "GET", "/a/", 7}, "path"}}) {
    auto t = RouteTable::Build({{"*", "GET", "/ok", 1}, c.spec});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), base::Code::kInvalidArgument);
    EXPECT_EQ(t.status().field(), c.field);
    EXPECT_EQ(t.status().message().rfind("route 7: ", 0), 0u) << t.status().message();
  }
}

TEST(RouteTableTest, ParamNamesComeFromTheMatchedRoute) {
  auto t = MustBuild({{"*", "GET", "/pets/{id}", 1}, {"*", "GET", "/pets/{petId}/toys", 2}});
  RouteMatch match;
  ASSERT_EQ(MatchId(*t, "example.com", "GET", "/pets/7", match), 1);
  EXPECT_EQ(match.param("id"), "7");
  ASSERT_EQ(MatchId(*t, "example.com", "GET", "/pets/8/toys", match), 2);
  EXPECT_EQ(match.param("petId"), "8");
  EXPECT_EQ(match.param("id"), "");
}

TEST(RouteTableTest, ReusedMatchIsResetBetweenCalls) {
  auto t = MustBuild({{"*", "GET", "/p/{id}", 1}, {"*", "POST", "/q", 2}});
  RouteMatch match;
  ASSERT_EQ(MatchId(*t, "h", "GET", "/p/%41", match), 1);
  EXPECT_EQ(match.param("id"), "A");
  ASSERT_EQ(MatchId(*t, "h", "GET", "/q", match), -405);
  EXPECT_TRUE(match.params().empty());
  ASSERT_EQ(MatchId(*t, "h", "GET", "/nope", match), -404);
  EXPECT_EQ(match.allow(), "");
}

TEST(RouteTableTest, EmptyTableMatchesNothing) {
  auto t = MustBuild({});
  EXPECT_EQ(t->size(), 0u);
  EXPECT_EQ(MatchId(*t, "GET", "/"), -404);
}

TEST(RouteTableTest, TenThousandRoutesBuildAndMatch) {
  std::vector<RouteSpec> specs;
  for (uint32_t i = 0; i < 10000; ++i) {
    std::string n = std::to_string(i);
    switch (i % 4) {
      case 0:
        specs.push_back({"*", "GET", "/svc" + n + "/items/{id}", i});
        break;
      case 1:
        specs.push_back({"h" + n + ".example.com", "POST", "/things/{a}/x", i});
        break;
      case 2:
        specs.push_back({"*.d" + n + ".example.com", "PUT", "/f/{*rest}", i});
        break;
      case 3:
        specs.push_back({"*", "DELETE", "/svc" + n + "/items/{id}/sub/" + n, i});
        break;
    }
  }
  auto t = MustBuild(std::move(specs));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->size(), 10000u);
  RouteMatch match;
  for (uint32_t i = 0; i < 10000; ++i) {
    std::string n = std::to_string(i);
    switch (i % 4) {
      case 0:
        EXPECT_EQ(MatchId(*t, "x.com", "GET", "/svc" + n + "/items/9", match), i);
        break;
      case 1:
        EXPECT_EQ(MatchId(*t, "h" + n + ".example.com", "POST", "/things/1/x", match), i);
        break;
      case 2:
        EXPECT_EQ(MatchId(*t, "a.d" + n + ".example.com", "PUT", "/f/a/b", match), i);
        break;
      case 3:
        EXPECT_EQ(MatchId(*t, "x", "DELETE", "/svc" + n + "/items/1/sub/" + n, match), i);
        break;
    }
  }
  EXPECT_EQ(MatchId(*t, "x.com", "GET", "/svc10000/items/1", match), -404);
}

}  // namespace
}  // namespace edgegate::router
