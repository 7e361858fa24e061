// A synthetic route table shaped like a multi-tenant gateway's, and requests that hit it, for the
// route-matching benchmarks.
//
// Why synthetic but mixed: matching cost depends on the shape of the table (literal edges,
// parameters, catch-alls, exact / wildcard / "*" hosts), so a table of N copies of one literal
// route would flatter the router. And why requests spread over the whole table: at 10,000 routes
// the cost is cache misses, which a handful of hot requests never pays. Everything here is
// deterministic (fixed seeds), so two runs measure the same work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "router/route_table.h"

namespace edgegate::bench {

// Returns `count` valid, pairwise distinct route specs with ids 0..count-1. Routes spread over
// max(3, count / 50) hosts: "*", exact "api<g>.example.com" and wildcard "*.tenant<g>.example.com".
// Path shapes cycle through a literal route ("/api/v1/users<n>/list"), a parameter route
// ("/api/v<n>/items/{id}"), a catch-all ("/static<n>/{*rest}") and a mixed one
// ("/orgs/{org}/repos<n>/{repo}/issues"); one route in five is POST, the rest GET.
std::vector<router::RouteSpec> MixedRoutes(size_t count);

// One request as the router sees it, and the route it must match.
struct BenchRequest {
  std::string_view host;  // as a Host header: some carry ":8080"
  std::string_view method;
  std::string_view path;  // raw path, no query
  uint32_t route_id = 0;  // the RouteSpec::id a correct match returns
};

// A fixed list of requests whose bytes live in one contiguous arena, in iteration order, as they
// would in a connection's read buffer. Thread-compatible; immovable (requests point into arena_).
class RequestSet {
 public:
  // `count` requests, each for a route drawn uniformly at random (fixed seed) from `routes`,
  // with varied parameter values and host names.
  // REQUIRES: `routes` came from MixedRoutes and is not empty.
  RequestSet(const std::vector<router::RouteSpec>& routes, size_t count);
  RequestSet(const RequestSet&) = delete;
  RequestSet& operator=(const RequestSet&) = delete;

  const std::vector<BenchRequest>& requests() const { return requests_; }

 private:
  std::string arena_;
  std::vector<BenchRequest> requests_;
};

// Matches every request of `requests` against `table` with `match`. Returns an empty string if
// every one is kFound with its expected route id, else a description of the first that is not.
std::string CheckAllMatch(const router::RouteTable& table, const RequestSet& requests,
                          router::RouteMatch& match);

}  // namespace edgegate::bench
