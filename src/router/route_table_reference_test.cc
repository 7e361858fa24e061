// RouteTable against a reference matcher on random tables: the reference applies the documented
// rules (route_table.h, pattern.h) to each route on its own, with no tree, no shared edges and no
// precomputed hashes, so the two agree only if the table's search is right: host precedence,
// literal > {param} > {*catch_all} with backtracking, HEAD through GET, 405 with Allow, decoded
// values, trailing slashes, empty segments.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "router/pattern.h"
#include "router/route_table.h"

namespace edgegate::router {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

struct Expected {
  RouteMatch::Outcome outcome = RouteMatch::Outcome::kNotFound;
  uint32_t id = 0;
  Params params;
  std::string allow;
};

struct RefRoute {
  std::string host;    // normalised pattern
  std::string method;  // upper case
  PathPattern path;
  uint32_t id;
};

// The request path as the rules see it: its segments (decoded) and where each starts in the raw
// path.
struct SplitPath {
  std::vector<std::string> segments;
  std::vector<size_t> starts;
};

std::string Decoded(std::string_view raw) {
  std::string out;
  EXPECT_TRUE(PercentDecode(raw, &out)) << raw;
  return out;
}

// Nullopt if the path matches nothing: no leading '/', or a bad escape.
std::optional<SplitPath> Split(std::string_view raw) {
  std::string ignored;
  if (raw.empty() || raw[0] != '/' || !PercentDecode(raw, &ignored)) {
    return std::nullopt;
  }
  size_t n = raw.size();
  if (n > 1 && raw[n - 1] == '/') {
    --n;  // one trailing slash is ignored
  }
  SplitPath split;
  if (n == 1) {
    return split;  // the root
  }
  size_t start = 1;
  while (true) {
    size_t slash = raw.find('/', start);
    size_t end = slash == std::string_view::npos || slash >= n ? n : slash;
    split.starts.push_back(start);
    split.segments.push_back(Decoded(raw.substr(start, end - start)));
    if (end == n) {
      return split;
    }
    start = end + 1;
  }
}

// The parameters if `pattern` matches the whole path on its own, else nullopt.
std::optional<Params> MatchPattern(const PathPattern& pattern, const SplitPath& path,
                                   std::string_view raw) {
  Params params;
  for (size_t i = 0; i < pattern.segments.size(); ++i) {
    const PatternSegment& p = pattern.segments[i];
    if (p.kind == SegmentKind::kCatchAll) {  // the rest, verbatim (decoded), or ""
      params.emplace_back(p.text,
                          i < path.segments.size() ? Decoded(raw.substr(path.starts[i])) : "");
      return params;
    }
    if (i >= path.segments.size()) {
      return std::nullopt;
    }
    if (p.kind == SegmentKind::kLiteral && p.text != path.segments[i]) {
      return std::nullopt;
    }
    if (p.kind == SegmentKind::kParam) {
      if (path.segments[i].empty()) {
        return std::nullopt;
      }
      params.emplace_back(p.text, path.segments[i]);
    }
  }
  if (pattern.segments.size() != path.segments.size()) {
    return std::nullopt;
  }
  return params;
}

// A route of the request's host whose pattern matches the path on its own.
struct Candidate {
  // The order the search tries patterns in: segment by segment, literal before {param} before
  // {*catch_all}; a pattern before its extensions (a node's own routes before its catch-all's).
  // Two matching patterns with the same kinds have the same literals: one endpoint.
  std::vector<SegmentKind> kinds;
  const RefRoute* route;
  Params params;
};

Expected Reference(const std::vector<RefRoute>& routes, std::string_view host_header,
                   std::string_view method, std::string_view raw) {
  Expected e;
  std::optional<SplitPath> path = Split(raw);
  if (!path) {
    return e;
  }
  std::string scratch;
  const std::string host(NormalizeRequestHost(host_header, &scratch));
  std::vector<std::string> hosts = {host};
  for (size_t dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1)) {
    hosts.push_back("*." + host.substr(dot + 1));
  }
  hosts.push_back("*");
  for (const std::string& pattern : hosts) {
    std::vector<Candidate> found;
    for (const RefRoute& r : routes) {
      std::optional<Params> params;
      if (r.host == pattern && (params = MatchPattern(r.path, *path, raw))) {
        Candidate c{{}, &r, std::move(*params)};
        for (const PatternSegment& s : r.path.segments) {
          c.kinds.push_back(s.kind);
        }
        found.push_back(std::move(c));
      }
    }
    if (found.empty()) {
      continue;
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const Candidate& a, const Candidate& b) { return a.kinds < b.kinds; });
    // Endpoint by endpoint in search order: the first serving the method (HEAD through GET).
    for (size_t i = 0, end; i < found.size(); i = end) {
      const Candidate* exact = nullptr;
      const Candidate* get = nullptr;
      for (end = i; end < found.size() && found[end].kinds == found[i].kinds; ++end) {
        exact = found[end].route->method == method ? &found[end] : exact;
        get = found[end].route->method == "GET" ? &found[end] : get;
      }
      if (const Candidate* c = exact != nullptr ? exact : method == "HEAD" ? get : nullptr) {
        e.outcome = RouteMatch::Outcome::kFound;
        e.id = c->route->id;
        e.params = c->params;
        return e;
      }
    }
    // 405: the Allow of the first endpoint reached, in the alphabetical method order.
    std::vector<std::string> methods;
    for (size_t i = 0; i < found.size() && found[i].kinds == found[0].kinds; ++i) {
      methods.push_back(found[i].route->method);
      if (methods.back() == "GET") {
        methods.push_back("HEAD");
      }
    }
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    e.outcome = RouteMatch::Outcome::kMethodNotAllowed;
    for (const std::string& m : methods) {
      e.allow += (e.allow.empty() ? "" : ", ") + m;
    }
    return e;
  }
  return e;
}

template <typename T, size_t N>
const T& Pick(std::mt19937& random, const T (&items)[N]) {
  return items[std::uniform_int_distribution<size_t>(0, N - 1)(random)];
}

TEST(RouteTableReferenceTest, RandomTablesMatchLikeTheRulesApplyToEachRoute) {
  const char* const kHosts[] = {"*", "x.com", "*.x.com", "*.y.x.com", "a.x.com"};
  const char* const kMethods[] = {"GET", "POST", "HEAD", "PUT"};
  const char* const kLiterals[] = {"a", "b", "ab", "%41", "a%2Fb"};
  const char* const kRequestHosts[] = {"x.com",      "a.x.com", "b.y.x.com",
                                       "X.COM:8080", "z.org",   "a.x.com."};
  const char* const kRequestMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "get"};
  const char* const kRequestSegments[] = {"a",   "b", "ab", "A",     "%41",
                                          "%61", "x", "",   "a%2Fb", "a/b"};
  std::mt19937 random(20261127);
  auto below = [&random](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  size_t found = 0, not_allowed = 0, not_found = 0;
  for (int table = 0; table < 300; ++table) {
    std::vector<RouteSpec> specs;
    std::vector<RefRoute> routes;
    std::vector<std::string> keys;  // (host, method, shape): Build rejects duplicates
    for (int i = 0, count = 1 + below(16); i < count; ++i) {
      std::string pattern;
      for (int s = 0, depth = below(5); s < depth; ++s) {
        int kind = below(6);
        if (kind == 0 && s == depth - 1) {
          pattern += "/{*rest" + std::to_string(s) + "}";
        } else if (kind <= 2) {
          pattern += "/{p" + std::to_string(s) + "}";
        } else {
          pattern += std::string("/") + Pick(random, kLiterals);
        }
      }
      if (pattern.empty()) {
        pattern = "/";
      }
      RouteSpec spec{Pick(random, kHosts), Pick(random, kMethods), pattern,
                     static_cast<uint32_t>(i)};
      Result<PathPattern> parsed = ParsePathPattern(spec.path);
      ASSERT_TRUE(parsed.ok()) << spec.path;
      std::string key = spec.host + " " + spec.method + " " + RouteShape(*parsed);
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
        continue;
      }
      keys.push_back(key);
      routes.push_back({NormalizeHostPattern(spec.host), spec.method, *parsed, spec.id});
      specs.push_back(std::move(spec));
    }
    auto built = RouteTable::Build(specs);
    ASSERT_TRUE(built.ok()) << built.status().message();
    RouteMatch match;
    for (int request = 0; request < 300; ++request) {
      std::string path;
      for (int s = 0, depth = below(5); s < depth; ++s) {
        path += std::string("/") + Pick(random, kRequestSegments);
      }
      if (path.empty() || below(4) == 0) {
        path += "/";
      }
      if (below(50) == 0) {
        path += "%zz";
      }
      const std::string host = Pick(random, kRequestHosts);
      const std::string method = Pick(random, kRequestMethods);
      const Expected e = Reference(routes, host, method, path);
      (*built)->Match(host, method, path, match);
      std::string context =
          method + " " + host + " " + path + " in table " + std::to_string(table) + ":";
      for (const RouteSpec& s : specs) {
        context += "\n  " + std::to_string(s.id) + " " + s.method + " " + s.host + " " + s.path;
      }
      ASSERT_EQ(match.outcome, e.outcome) << context;
      switch (e.outcome) {
        case RouteMatch::Outcome::kFound: {
          ++found;
          ASSERT_EQ(match.route_id, e.id) << context;
          Params params;
          for (const PathParam& p : match.params()) {
            params.emplace_back(p.name, p.value);
          }
          ASSERT_EQ(params, e.params) << context;
          break;
        }
        case RouteMatch::Outcome::kMethodNotAllowed:
          ++not_allowed;
          ASSERT_EQ(match.allow(), e.allow) << context;
          break;
        case RouteMatch::Outcome::kNotFound:
          ++not_found;
          break;
      }
    }
  }
  // The random tables must exercise every outcome, or the comparison proves little.
  EXPECT_GT(found, 5000u);
  EXPECT_GT(not_allowed, 10000u);
  EXPECT_GT(not_found, 10000u);
}

}  // namespace
}  // namespace edgegate::router
