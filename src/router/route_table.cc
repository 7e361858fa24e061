// Building the route table from specs, and matching requests against it.
#include "router/route_table.h"

#include <algorithm>
#include <atomic>

#include "base/swar.h"
#include "router/internal/path_tree.h"
#include "router/pattern.h"

namespace edgegate::router {

using base::Result;
using base::Status;
using internal::kNone;
using internal::PathForest;
using internal::PathNode;

namespace {

// Scopes of the host map.
constexpr uint32_t kExactHost = 0;     // "api.example.com"
constexpr uint32_t kWildcardHost = 1;  // "*.example.com", keyed by "example.com"

uint64_t LengthBit(size_t length) { return uint64_t{1} << std::min<size_t>(length, 63); }

// The parameter names of a route: param_names[first, first + count).
struct NameList {
  uint32_t first;
  uint32_t count;
};

}  // namespace

struct RouteTable::Tables {
  PathForest forest;
  internal::FlatStringMap<> hosts;  // (kExactHost | kWildcardHost, name) → tree root
  uint32_t any_host_root = kNone;  // the tree of "*"
  // The lengths of the exact host names and of the wildcards' suffixes (bit min(length, 63)):
  // a request's host, or a suffix of it, of another length is not looked up at all.
  uint64_t exact_lengths = 0;
  uint64_t wildcard_lengths = 0;
  // Distinct lists of parameter names (most routes share a few), indexed by RouteRef::names.
  std::vector<NameList> name_lists;
  std::vector<std::string> param_names;

  // Returns the root of the tree for the normalised host pattern `host`, creating it if needed.
  uint32_t TreeFor(std::string_view host);
  // Returns the index in name_lists of the parameter names of `pattern`, adding them if new.
  // `index` maps the names joined by '/' to the index, during Build.
  uint32_t NamesOf(const PathPattern& pattern, internal::StringMap<uint32_t>& index);
};

uint32_t RouteTable::Tables::NamesOf(const PathPattern& pattern,
                                     internal::StringMap<uint32_t>& index) {
  std::string key;
  for (const PatternSegment& segment : pattern.segments) {
    if (segment.kind != SegmentKind::kLiteral) {
      key += segment.text + "/";
    }
  }
  auto [it, added] = index.try_emplace(key, static_cast<uint32_t>(name_lists.size()));
  if (added) {
    NameList list{static_cast<uint32_t>(param_names.size()), 0};
    for (const PatternSegment& segment : pattern.segments) {
      if (segment.kind != SegmentKind::kLiteral) {
        param_names.push_back(segment.text);
        ++list.count;
      }
    }
    name_lists.push_back(list);
  }
  return it->second;
}

uint32_t RouteTable::Tables::TreeFor(std::string_view host) {
  if (host == "*") {
    if (any_host_root == kNone) {
      any_host_root = forest.AddTree();
    }
    return any_host_root;
  }
  bool wildcard = host.starts_with("*.");
  uint32_t scope = wildcard ? kWildcardHost : kExactHost;
  std::string_view name = wildcard ? host.substr(2) : host;
  (wildcard ? wildcard_lengths : exact_lengths) |= LengthBit(name.size());
  if (const auto* entry = hosts.Find(scope, name)) {
    return entry->value;
  }
  uint32_t root = forest.AddTree();
  hosts.Insert(scope, name, root);
  return root;
}

struct RouteTable::Search {
  int method;
  RouteMatch& match;
  uint32_t first_endpoint = kNone;  // the first endpoint the path reached
};

namespace {

// Returns `status` with "route <id>: " before its message, keeping code and field.
Status ForRoute(const Status& status, uint32_t id) {
  return Status(status.code(), "route " + std::to_string(id) + ": " + status.message())
      .WithField(status.field());
}

// The validated, normalised parts of one spec.
struct ParsedSpec {
  std::string host;
  int method;
  PathPattern path;
};

Result<ParsedSpec> ParseSpec(const RouteSpec& spec) {
  RETURN_IF_ERROR(ValidateHostPattern(spec.host));
  RETURN_IF_ERROR(ValidateMethod(spec.method));
  ASSIGN_OR_RETURN(PathPattern path, ParsePathPattern(spec.path));
  return ParsedSpec{NormalizeHostPattern(spec.host),
                    internal::MethodIndex(NormalizeMethod(spec.method)), std::move(path)};
}

}  // namespace

namespace {
// Source of RouteTable ids. Process-wide on purpose: an id must never be reused, or a connection's
// host cache could outlive its table and apply to a new one allocated at the same address.
std::atomic<uint64_t> g_next_table_id{1};
}  // namespace

RouteTable::RouteTable() : tables_(std::make_unique<Tables>()), id_(g_next_table_id++) {}
RouteTable::~RouteTable() = default;

Result<std::shared_ptr<const RouteTable>> RouteTable::Build(std::vector<RouteSpec> specs) {
  std::shared_ptr<RouteTable> table(new RouteTable());
  Tables& t = *table->tables_;
  internal::StringMap<uint32_t> name_index;
  for (const RouteSpec& spec : specs) {
    Result<ParsedSpec> parsed = ParseSpec(spec);
    if (!parsed.ok()) {
      return ForRoute(parsed.status(), spec.id);
    }
    internal::RouteRef route{spec.id, t.NamesOf(parsed->path, name_index)};
    const internal::RouteRef* existing =
        t.forest.Insert(t.TreeFor(parsed->host), parsed->path, parsed->method, route);
    if (existing != nullptr) {
      return base::AlreadyExists("route " + std::to_string(spec.id) + " duplicates route " +
                                 std::to_string(existing->id) + ": " +
                                 std::string(internal::kMethodNames[parsed->method]) + " " +
                                 parsed->host + " " + RouteShape(parsed->path));
    }
  }
  t.forest.FinishBuild();
  t.hosts.FinishBuild();
  table->route_count_ = specs.size();
  return std::shared_ptr<const RouteTable>(std::move(table));
}

void RouteTable::Match(std::string_view host, std::string_view method, std::string_view raw_path,
                       RouteMatch& match) const {
  if (!match.Reset(raw_path)) {
    return;  // kNotFound
  }
  int method_index = internal::MethodIndex(method);
  if (match.cached_table_id_ != id_ || match.cached_host_raw_.size() != host.size() ||
      !base::swar::Equal(match.cached_host_raw_.data(), host.data(), host.size())) {
    ResolveHost(host, match);
  }
  match.host_ = match.cached_host_;
  for (uint32_t root : match.cached_roots_) {
    if (MatchTree(root, method_index, match)) {
      return;
    }
  }
}

void RouteTable::ResolveHost(std::string_view host, RouteMatch& match) const {
  const Tables& t = *tables_;
  match.cached_table_id_ = id_;
  match.cached_host_raw_.assign(host);
  match.cached_host_.assign(NormalizeRequestHost(host, &match.host_scratch_));
  std::string_view h = match.cached_host_;
  match.cached_roots_.clear();
  if ((t.exact_lengths & LengthBit(h.size())) != 0) {
    if (const auto* entry = t.hosts.Find(kExactHost, h)) match.cached_roots_.push_back(entry->value);
  }
  // "*.example.com" for "a.b.example.com": try "b.example.com", then "example.com", then "com".
  if (t.wildcard_lengths != 0) {
    for (size_t dot = h.find('.'); dot != std::string_view::npos; dot = h.find('.', dot + 1)) {
      if ((t.wildcard_lengths & LengthBit(h.size() - dot - 1)) == 0) {
        continue;
      }
      if (const auto* entry = t.hosts.Find(kWildcardHost, h.substr(dot + 1))) {
        match.cached_roots_.push_back(entry->value);
      }
    }
  }
  if (t.any_host_root != kNone) {
    match.cached_roots_.push_back(t.any_host_root);
  }
}

bool RouteTable::MatchTree(uint32_t root, int method, RouteMatch& match) const {
  Search search{method, match};
  match.capture_count_ = 0;
  if (Visit(search, root, tables_->forest.node(root), 1)) {
    return true;
  }
  if (search.first_endpoint != kNone) {
    match.outcome = RouteMatch::Outcome::kMethodNotAllowed;
    match.allow_ = tables_->forest.allow(search.first_endpoint);
    return true;
  }
  return false;
}

// Precedence at each segment: literal child, then {param} child, then {*catch_all} child, each
// explored fully before the next (backtracking). Every tree node is visited at most once, since
// the segment at each depth is fixed; recursion depth is bounded by kMaxPathPatternSegments.
bool RouteTable::Visit(Search& search, uint32_t index, const PathNode& node, size_t pos) const {
  const PathForest& forest = tables_->forest;
  RouteMatch& match = search.match;
  // The {param} and {*catch_all} children are records of their own, likely cache misses at
  // scale: start loading them now, while this segment is split and looked up.
  if (node.param != kNone) {
    __builtin_prefetch(&forest.node(node.param));
  }
  if (node.catch_all != kNone) {
    __builtin_prefetch(&forest.node(node.catch_all));
  }
  if (match.AtEnd(pos)) {
    if (TryEnd(search, node, kNoCatchAll)) {
      return true;
    }
  } else if (node.has_literals || node.param != kNone) {
    const size_t decoded_mark = match.decoded_.size();
    size_t next;
    std::string_view segment = match.SegmentAt(pos, &next);
    // Visits a child; one at the end of the path is tried here, as Visit would try it, without
    // the call (most matches end at a child).
    auto enter = [&](uint32_t child_index, const PathNode& child) {
      if (!match.AtEnd(next)) {
        return Visit(search, child_index, child, next);
      }
      return TryEnd(search, child, kNoCatchAll) ||
             (child.catch_all != kNone && TryEnd(search, forest.node(child.catch_all), next));
    };
    const PathForest::LiteralEdge* literal = forest.FindLiteral(index, node, segment);
    if (literal != nullptr && enter(literal->value, literal->payload)) {
      return true;
    }
    if (node.param != kNone && !segment.empty()) {
      match.captures_[match.capture_count_++] = segment;
      if (enter(node.param, forest.node(node.param))) {
        return true;
      }
      --match.capture_count_;
    }
    if (match.escaped_) {
      // Nothing kept a view of what this subtree decoded: give the space back, so that
      // backtracking never needs more than the capacity reserved in Reset.
      match.decoded_.resize(decoded_mark);
    }
  }
  return node.catch_all != kNone && TryEnd(search, forest.node(node.catch_all), pos);
}

bool RouteTable::TryEnd(Search& search, const PathNode& node, size_t catch_all_pos) const {
  const Tables& t = *tables_;
  uint32_t endpoint = node.endpoint;
  if (endpoint == kNone) {
    return false;
  }
  const internal::RouteRef* route = t.forest.RouteFor(node, search.method);
  if (route == nullptr) {
    if (search.first_endpoint == kNone) {
      search.first_endpoint = endpoint;
    }
    return false;
  }
  RouteMatch& match = search.match;
  if (catch_all_pos != kNoCatchAll) {
    match.captures_[match.capture_count_++] = match.RestFrom(catch_all_pos);
  }
  const NameList& names = t.name_lists[route->names];
  for (uint32_t i = 0; i < names.count; ++i) {
    match.params_[i] = PathParam{t.param_names[names.first + i], match.captures_[i]};
  }
  match.param_count_ = names.count;
  match.outcome = RouteMatch::Outcome::kFound;
  match.route_id = route->id;
  return true;
}

// ---- RouteMatch ----

std::string_view RouteMatch::param(std::string_view name) const {
  for (const PathParam& p : params()) {
    if (p.name == name) {
      return p.value;
    }
  }
  return {};
}

bool RouteMatch::Reset(std::string_view raw_path) {
  static_assert(kMaxParams == kMaxPathPatternSegments, "a tree is as deep as its longest pattern");
  outcome = Outcome::kNotFound;
  route_id = 0;
  param_count_ = 0;
  allow_ = {};
  host_ = {};
  raw_path_ = raw_path;
  size_t n = raw_path.size();
  if (n == 0 || raw_path[0] != '/') {
    return false;
  }
  if (n > 1 && raw_path[n - 1] == '/') {
    --n;  // "/a/" matches "/a"
  }
  limit_ = n == 1 ? 0 : n;  // the root has no segments
  escaped_ = base::swar::FindByte(raw_path.data(), 0, raw_path.size(), '%') != raw_path.size();
  return !escaped_ || PrepareDecoding();
}

// Rare (only paths with a '%'), so out of line: checks every escape now (a bad one anywhere
// means no match, even past a catch-all's start), and reserves what decoding can take: the
// segments on one search path need at most the raw size, a decoded catch-all as much again. No
// view into decoded_ ever dangles.
bool RouteMatch::PrepareDecoding() {
  decoded_.clear();
  decoded_.reserve(2 * raw_path_.size());
  bool valid = PercentDecode(raw_path_, &decoded_);
  decoded_.clear();
  return valid;
}

std::string_view RouteMatch::Decode(std::string_view raw) {
  if (raw.find('%') == std::string_view::npos) {
    return raw;
  }
  size_t before = decoded_.size();
  PercentDecode(raw, &decoded_);  // cannot fail: Reset checked every escape
  return std::string_view(decoded_).substr(before);
}

std::string_view RouteMatch::RestFrom(size_t pos) {
  if (AtEnd(pos)) {
    return {};
  }
  std::string_view rest = raw_path_.substr(pos);
  return escaped_ ? Decode(rest) : rest;
}

}  // namespace edgegate::router
