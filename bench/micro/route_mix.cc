// The route mix and its requests; see route_mix.h for why they look like this.
#include "route_mix.h"

#include <algorithm>
#include <random>

namespace edgegate::bench {
namespace {

using router::RouteMatch;
using router::RouteSpec;

enum class PathKind { kLiteral, kParam, kCatchAll, kMixed };
constexpr size_t kPathKinds = 4;
constexpr size_t kRoutesPerHost = 50;

// The placement of route `i` in a table of `count` routes: its host group and path kind.
struct Placement {
  size_t group;  // 0: "*"; odd: an exact host; even: a wildcard host
  PathKind kind;
};

size_t HostGroups(size_t count) { return std::max<size_t>(3, count / kRoutesPerHost); }

Placement PlacementOf(size_t i, size_t count) {
  size_t groups = HostGroups(count);
  return {i % groups, static_cast<PathKind>((i / groups) % kPathKinds)};
}

// One route in five is POST. A literal, so requests may keep views of it.
std::string_view MethodOf(size_t i) { return i % 5 == 4 ? "POST" : "GET"; }

std::string HostPattern(size_t group) {
  if (group == 0) {
    return "*";
  }
  std::string g = std::to_string(group);
  return group % 2 == 1 ? "api" + g + ".example.com" : "*.tenant" + g + ".example.com";
}

std::string PathPatternOf(size_t n, PathKind kind) {
  std::string id = std::to_string(n);
  switch (kind) {
    case PathKind::kLiteral:
      return "/api/v1/users" + id + "/list";
    case PathKind::kParam:
      return "/api/v" + id + "/items/{id}";
    case PathKind::kCatchAll:
      return "/static" + id + "/{*rest}";
    case PathKind::kMixed:
      return "/orgs/{org}/repos" + id + "/{repo}/issues";
  }
  return "/";
}

// A Host header that the route's host pattern accepts; `k` varies the name and the port.
std::string RequestHost(size_t group, uint64_t k) {
  std::string host;
  if (group == 0) {
    host = "www" + std::to_string(k % 1000) + ".example.org";
  } else if (group % 2 == 1) {
    host = "api" + std::to_string(group) + ".example.com";
  } else {
    host = "shop" + std::to_string(k % 1000) + ".tenant" + std::to_string(group) + ".example.com";
  }
  return k % 4 == 0 ? host + ":8080" : host;
}

// A raw path that the route's path pattern accepts; `k` varies the parameter values.
std::string RequestPath(size_t n, PathKind kind, uint64_t k) {
  std::string id = std::to_string(n);
  switch (kind) {
    case PathKind::kLiteral:
      return "/api/v1/users" + id + "/list";
    case PathKind::kParam:
      return "/api/v" + id + "/items/" + std::to_string(k % 100000);
    case PathKind::kCatchAll:
      return "/static" + id + "/css/site." + std::to_string(k % 1000) + ".css";
    case PathKind::kMixed:
      return "/orgs/acme" + std::to_string(k % 100) + "/repos" + id + "/widget" +
             std::to_string(k % 10) + "/issues";
  }
  return "/";
}

}  // namespace

std::vector<RouteSpec> MixedRoutes(size_t count) {
  std::vector<RouteSpec> routes;
  routes.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Placement p = PlacementOf(i, count);
    routes.push_back({HostPattern(p.group), std::string(MethodOf(i)), PathPatternOf(i, p.kind),
                      static_cast<uint32_t>(i)});
  }
  return routes;
}

RequestSet::RequestSet(const std::vector<RouteSpec>& routes, size_t count) {
  struct Offsets {
    size_t host, host_size, path, path_size;
    size_t route;  // index in `routes`
  };
  std::mt19937_64 random(20240601);
  std::uniform_int_distribution<size_t> pick(0, routes.size() - 1);
  std::vector<Offsets> offsets;
  for (size_t r = 0; r < count; ++r) {
    size_t i = pick(random);
    uint64_t k = random();
    Placement p = PlacementOf(i, routes.size());
    std::string host = RequestHost(p.group, k);
    std::string path = RequestPath(i, p.kind, k);
    offsets.push_back({arena_.size(), host.size(), arena_.size() + host.size(), path.size(), i});
    arena_.append(host).append(path);
  }
  // Views are taken only now that the arena no longer grows.
  std::string_view arena = arena_;
  for (size_t r = 0; r < count; ++r) {
    const Offsets& o = offsets[r];
    requests_.push_back({arena.substr(o.host, o.host_size), MethodOf(o.route),
                         arena.substr(o.path, o.path_size), routes[o.route].id});
  }
}

std::string CheckAllMatch(const router::RouteTable& table, const RequestSet& requests,
                          RouteMatch& match) {
  for (const BenchRequest& r : requests.requests()) {
    table.Match(r.host, r.method, r.path, match);
    if (match.outcome != RouteMatch::Outcome::kFound || match.route_id != r.route_id) {
      return "request " + std::string(r.method) + " " + std::string(r.host) +
             std::string(r.path) + " did not match route " + std::to_string(r.route_id);
    }
  }
  return "";
}

}  // namespace edgegate::bench
