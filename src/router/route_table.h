// The route table: an immutable snapshot mapping (host, method, path) to a route id.
//
// Why immutable: every request on every I/O loop reads the table, and the admin API changes it
// rarely. So the admin side builds and validates a whole new table off the request path
// (RouteTable::Build) and publishes it as a shared_ptr<const RouteTable>; a request pins one
// snapshot and matches against it without locks. Matching is allocation-free once the caller's
// RouteMatch has warmed up, and costs O(labels in the host + segments in the path), independent
// of the number of routes.
//
// Lookup order: host (exact, then "*.suffix" longest first, then "*"), then path (literal >
// {param} > {*catch_all}, with backtracking), then method (HEAD falls back to GET). See Match.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/swar.h"

namespace edgegate::router {
namespace internal {
struct PathNode;
}  // namespace internal

// One route to build into a table. Host, method and path follow the rules in pattern.h.
struct RouteSpec {
  std::string host;    // "api.example.com", "*.example.com" or "*"
  std::string method;  // GET POST PUT PATCH DELETE HEAD OPTIONS, any letter case
  std::string path;    // "/pets/{id}", "/files/{*rest}"
  uint32_t id = 0;     // the caller's payload index, returned by a match; need not be unique
};

// A path parameter of a match. `name` points into the table (valid while the table lives);
// `value` is percent-decoded and points into the request path or into the RouteMatch (valid
// until the next Match with that RouteMatch, and while the request path's buffer lives).
struct PathParam {
  std::string_view name;
  std::string_view value;
};

// The result of RouteTable::Match plus the scratch space that keeps matching allocation-free:
// reuse one RouteMatch per connection or loop. Thread-compatible.
class RouteMatch {
 public:
  enum class Outcome { kFound, kMethodNotAllowed, kNotFound };

  // Set by every Match.
  Outcome outcome = Outcome::kNotFound;
  // The matched route's RouteSpec::id. Valid when outcome == kFound.
  uint32_t route_id = 0;

  // The path parameters in pattern order (a catch-all last). Empty unless kFound.
  std::span<const PathParam> params() const { return {params_.data(), param_count_}; }
  // Returns the decoded value of parameter `name`, or an empty view if there is none.
  std::string_view param(std::string_view name) const;
  // For kMethodNotAllowed: the path's methods for an Allow header, sorted, HEAD included when
  // GET is present, e.g. "GET, HEAD, POST". Points into the table. Empty otherwise.
  std::string_view allow() const { return allow_; }
  // The request's host as matched: port and trailing dot stripped, lower-cased. Points into the
  // Host header or into this match. Empty if the path was rejected before host matching.
  std::string_view host() const { return host_; }

 private:
  friend class RouteTable;

  // Prepares for matching `raw_path`. False if it cannot match anything: it does not start
  // with '/', or has an invalid percent-escape.
  bool Reset(std::string_view raw_path);
  // Reset's part for a path with a '%': false if an escape is invalid.
  bool PrepareDecoding();
  // Returns the segment starting at raw offset `pos` (decoded if the path has escapes) and sets
  // *next to where the following one starts. REQUIRES: !AtEnd(pos). Inline: once per segment.
  std::string_view SegmentAt(size_t pos, size_t* next) {
    const size_t end = base::swar::FindByte(raw_path_.data(), pos, limit_, '/');
    *next = end + 1;
    const std::string_view text(raw_path_.data() + pos, end - pos);
    return escaped_ ? Decode(text) : text;
  }
  // True when no segment starts at `pos`: the path is used up.
  bool AtEnd(size_t pos) const { return pos > limit_; }
  // Returns the decoded rest of the raw path from offset `pos` ("" once AtEnd(pos)).
  std::string_view RestFrom(size_t pos);
  // Returns `raw` percent-decoded: `raw` itself if it has no '%', else a view of decoded_.
  // REQUIRES: escaped_ (decoded_ has its capacity reserved).
  std::string_view Decode(std::string_view raw);

  // The path is walked in place: segments are found (and decoded, if the path has a '%') while
  // the tree is searched, never split into a list first. Parameter values are bounded by the
  // tree's depth, which patterns bound to kMaxPathPatternSegments.
  static constexpr size_t kMaxParams = 64;  // == kMaxPathPatternSegments (checked in the .cc)

  std::string_view raw_path_;
  size_t limit_ = 0;       // a segment starts at every pos <= limit_ (see AtEnd)
  bool escaped_ = false;   // the path has a '%': segments are decoded into decoded_
  uint32_t capture_count_ = 0;
  uint32_t param_count_ = 0;
  std::array<std::string_view, kMaxParams> captures_;  // param values on the search path
  std::array<PathParam, kMaxParams> params_;
  std::string decoded_;  // decoded segments; capacity reserved up front so views never dangle
  std::string host_scratch_;
  std::string_view allow_;
  std::string_view host_;
  // Host resolution cache: a connection sends the same Host again and again, so the normalised
  // host and the tree roots to try (in precedence order) are kept for the last Host header seen
  // with the table whose id is cached_table_id_ (ids are unique per process: never reused).
  uint64_t cached_table_id_ = 0;
  std::string cached_host_raw_;
  std::string cached_host_;
  std::vector<uint32_t> cached_roots_;
};

// An immutable set of routes. Thread-safe: all methods are const and lock-free.
class RouteTable {
 public:
  // Builds a table from `specs`. InvalidArgument naming the field ("domain", "method", "path")
  // on a bad pattern; AlreadyExists if two specs share (host, method, path shape), where the
  // shape ignores parameter names (/pets/{id} and /pets/{petId} collide). Messages name the ids.
  static base::Result<std::shared_ptr<const RouteTable>> Build(std::vector<RouteSpec> specs);

  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // Matches a request and writes the outcome into `match`.
  //  - `host` is the Host header value as received (port, case and a trailing dot are handled).
  //  - `method` is compared exactly (HTTP methods are case-sensitive); a HEAD request falls back
  //    to the GET route when the path has no HEAD route.
  //  - `raw_path` is the request target's path without the query string, still percent-encoded.
  //    A path not starting with '/' or with an invalid escape is kNotFound. One trailing slash
  //    is ignored ("/a/" matches "/a"), except that a catch-all captures the rest verbatim.
  // The first host candidate (exact, longest wildcard, ..., "*") whose tree matches the path
  // decides: kFound, or kMethodNotAllowed with allow() set. No candidate matches: kNotFound.
  // Allocation-free once `match` has seen paths as long as this one. Thread-safe.
  void Match(std::string_view host, std::string_view method, std::string_view raw_path,
             RouteMatch& match) const;

  // Returns the number of routes in the table.
  size_t size() const { return route_count_; }

 private:
  struct Tables;  // hosts → path trees → routes
  struct Search;  // the state of one path search

  RouteTable();
  // True if the tree at `root` decides the outcome: a route for the method, or the path with
  // other methods only.
  bool MatchTree(uint32_t root, int method, RouteMatch& match) const;
  // Fills match's host cache for `host`: the normalised host and the roots to try, in order.
  void ResolveHost(std::string_view host, RouteMatch& match) const;
  // Depth-first search from node `index`, whose fields are `node`, with the path's next segment
  // at raw offset `pos`; true once a route is found.
  bool Visit(Search& search, uint32_t index, const internal::PathNode& node, size_t pos) const;
  // Tries `node` as the end of the path; `catch_all_pos` is the raw offset a catch-all node's
  // value starts at, or kNoCatchAll. True if the node has a route for the method.
  bool TryEnd(Search& search, const internal::PathNode& node, size_t catch_all_pos) const;

  static constexpr size_t kNoCatchAll = SIZE_MAX;

  std::unique_ptr<Tables> tables_;  // immutable after Build
  const uint64_t id_;               // unique per table in this process (host cache key)
  size_t route_count_ = 0;
};

}  // namespace edgegate::router
