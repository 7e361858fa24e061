// The path trees behind RouteTable: one tree per host pattern, all stored in one PathForest.
// A node has literal children (found by decoded segment), one {param} child, one {*catch_all}
// child, and at most one endpoint: the routes ending at that node, one per method. Internal to
// the router; RouteTable does the matching.
//
// Why one forest of small records addressed by index: a match walks a few nodes of one tree, and
// at 10,000 routes the cost is cache misses, not instructions. Nodes are 24 bytes, the literal
// edges of every node of every tree share one flat hash map keyed by (parent node, segment),
// whose slot (one cache line) also holds a copy of the child node. A node holds its route when
// its endpoint serves one method; endpoints of several methods and Allow values live apart.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "router/internal/flat_string_map.h"
#include "router/pattern.h"

namespace edgegate::router::internal {

// Methods by index, in the (alphabetical) order an Allow header lists them.
inline constexpr int kMethodCount = 7;
inline constexpr std::array<std::string_view, kMethodCount> kMethodNames = {
    "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"};
inline constexpr int kDelete = 0;
inline constexpr int kGet = 1;
inline constexpr int kHead = 2;
inline constexpr int kOptions = 3;
inline constexpr int kPatch = 4;
inline constexpr int kPost = 5;
inline constexpr int kPut = 6;

// Returns the index of `method` in kMethodNames (exact, case-sensitive), or -1.
int MethodIndex(std::string_view method);

// A route as an endpoint stores it: what a found match needs.
struct RouteRef {
  uint32_t id = 0;         // RouteSpec::id
  uint32_t names = kNone;  // the caller's index of the route's parameter names; kNone: no route
  bool present() const { return names != kNone; }
};

// 24 bytes. Most endpoints serve one method, so that route is kept in the node itself (`only`):
// a match that ends here reads no Endpoint, which at 10,000 routes was a cache miss per match.
struct PathNode {
  uint32_t param = kNone;      // {name} child
  uint32_t catch_all = kNone;  // {*name} child (a leaf)
  uint32_t endpoint = kNone;   // routes ending here (one per method), or kNone
  RouteRef only;               // the endpoint's route if it has exactly one method, else absent
  uint8_t only_method = 0;     // that route's method index
  bool has_literals = false;   // false: skip the edge lookup
};

// The routes ending at one node, one per method index. One cache line.
struct alignas(64) Endpoint {
  std::array<RouteRef, kMethodCount> routes;

  // Returns the route serving `method` (HEAD falls back to GET), or null.
  const RouteRef* RouteFor(int method) const;
};

// Built once, then read-only. Thread-compatible; const methods are safe concurrently.
class PathForest {
 public:
  PathForest();

  // Returns the root node of a new, empty tree.
  uint32_t AddTree();
  // Adds `route` for `method` at the node of `pattern` in the tree at `root`. Returns null, or
  // the route already there (same tree, method and shape) and changes nothing.
  // REQUIRES: route.present().
  const RouteRef* Insert(uint32_t root, const PathPattern& pattern, int method, RouteRef route);
  // Frees build-only state. Call once after the last Insert.
  void FinishBuild();

  using LiteralEdge = FlatStringMap<PathNode>::Entry;  // value: the child's index; payload: it

  const PathNode& node(uint32_t index) const { return nodes_[index]; }
  // Returns the literal edge from node `parent` (whose fields are `node`) for the decoded
  // `segment`, or null. The edge holds a copy of the child node: no second cache miss.
  const LiteralEdge* FindLiteral(uint32_t parent, const PathNode& node,
                                 std::string_view segment) const {
    return node.has_literals ? literals_.Find(parent, segment) : nullptr;
  }
  // Returns the route of `node`'s endpoint serving `method` (HEAD falls back to GET), or null.
  // REQUIRES: node.endpoint != kNone.
  const RouteRef* RouteFor(const PathNode& node, int method) const {
    if (node.only.present()) {
      return method == node.only_method || (method == kHead && node.only_method == kGet)
                 ? &node.only
                 : nullptr;
    }
    return endpoints_[node.endpoint].RouteFor(method);
  }
  // Returns the Allow header value for an endpoint, e.g. "GET, HEAD, POST".
  std::string_view allow(uint32_t endpoint) const;

 private:
  // Returns the index of `parent`'s child for `segment`, creating it if needed.
  uint32_t Child(uint32_t parent, const PatternSegment& segment);
  uint32_t AddNode();

  std::vector<PathNode> nodes_;
  FlatStringMap<PathNode> literals_;  // (parent node, decoded segment) → child node and a copy
  std::vector<Endpoint> endpoints_;
  std::vector<std::string> allow_by_mask_;  // Allow value per bit set of method indexes
};

}  // namespace edgegate::router::internal
