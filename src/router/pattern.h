// Route patterns: validation and parsing of the three parts of a route (host, method, path).
//
// Why a separate file: the admin API validates user input with exactly the rules the route table
// builds with, so an endpoint that was accepted can always be published, and its error names the
// offending field ("domain", "method", "path"). The few helpers used on the request path
// (NormalizeRequestHost, PercentDecode) live here too so both sides agree on normalisation.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace edgegate::router {

using base::Result;
using base::Status;

// ---- Hosts ---------------------------------------------------------------------------------

// Returns OK if `pattern` is a valid host pattern:
//   "api.example.com"  an exact host name (letters, digits, '-', '_'; labels separated by '.'),
//   "[::1]"            an exact IPv6 literal in brackets,
//   "*.example.com"    any host with one or more labels before ".example.com" (not the apex),
//   "*"                any host.
// InvalidArgument with field "domain" otherwise: empty, spaces, a port, '*' anywhere but as the
// whole first label, "**", empty labels, a leading or trailing dot, other characters.
Status ValidateHostPattern(std::string_view pattern);

// Returns `pattern` lower-cased (host names compare case-insensitively).
// REQUIRES: ValidateHostPattern(pattern).ok().
std::string NormalizeHostPattern(std::string_view pattern);

// Returns the host part of a request's Host header value in the form host patterns are stored:
// without ":port" (also for "[v6]:port"), without one trailing dot, lower-cased. Returns a view of
// `host_header` when it is already lower-case; otherwise writes into `*scratch` and returns a view
// of it (valid until `*scratch` changes). Never fails: a malformed header just matches nothing.
// Hot path: allocates only when `*scratch` has to grow.
std::string_view NormalizeRequestHost(std::string_view host_header, std::string* scratch);

// ---- Methods -------------------------------------------------------------------------------

// Returns OK if `method` is one of GET POST PUT PATCH DELETE HEAD OPTIONS, in any letter case;
// InvalidArgument with field "method" otherwise.
Status ValidateMethod(std::string_view method);

// Returns `method` upper-cased. REQUIRES: ValidateMethod(method).ok().
std::string NormalizeMethod(std::string_view method);

// ---- Paths ---------------------------------------------------------------------------------

enum class SegmentKind {
  kLiteral,   // matches exactly its (percent-decoded) text, case-sensitively
  kParam,     // "{name}": matches one non-empty segment
  kCatchAll,  // "{*name}": matches the rest of the path, zero or more segments; last only
};

struct PatternSegment {
  SegmentKind kind;
  std::string text;  // kLiteral: the decoded bytes; kParam / kCatchAll: the parameter name
};

// A parsed path pattern. The root pattern "/" has no segments.
struct PathPattern {
  std::vector<PatternSegment> segments;
};

// Longest accepted path pattern, in characters and in segments. Bounds the matcher's recursion.
inline constexpr size_t kMaxPathPatternLength = 2048;
inline constexpr size_t kMaxPathPatternSegments = 64;

// Parses a path pattern such as "/pets/{id}" or "/files/{*rest}". Rules: starts with '/'; no
// empty segment ("//") and no trailing slash except the root "/"; a parameter is a whole segment;
// names match [A-Za-z_][A-Za-z0-9_]* and are unique within the pattern; a catch-all is the last
// segment; literals use RFC 3986 path characters and %XX escapes (decoded here); no query,
// fragment, "." or ".." segment, and no bare "*" segment (write "{*name}").
// InvalidArgument with field "path" and a message saying what is wrong otherwise.
Result<PathPattern> ParsePathPattern(std::string_view pattern);

// Returns the canonical shape of `pattern`: parameter names erased ("/pets/{}", "/files/{*}")
// and literals in one canonical percent-encoding. Two patterns with the same shape match exactly
// the same paths, so (host, method, shape) identifies a route.
std::string RouteShape(const PathPattern& pattern);

// ---- Percent-encoding ----------------------------------------------------------------------

// Appends the percent-decoding of `in` to `*out` ("%20" → ' '; '+' stays '+'). Returns false,
// leaving `*out` with a partial result, if `in` holds an invalid escape ("%2", "%zz").
// Appends at most in.size() bytes.
bool PercentDecode(std::string_view in, std::string* out);

}  // namespace edgegate::router
