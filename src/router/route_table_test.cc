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
