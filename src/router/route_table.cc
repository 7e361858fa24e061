// Building the route table from specs, and matching requests against it.
#include "router/route_table.h"

#include <atomic>

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

// The parameter names of a route: param_names[first, first + count).
struct NameList {
  uint32_t first;
  uint32_t count;
};

}  // namespace

struct RouteTable::Tables {
  PathForest forest;
  internal::FlatStringMap hosts;   // (kExactHost | kWildcardHost, name) → tree root
  uint32_t any_host_root = kNone;  // the tree of "*"
  bool has_exact_hosts = false;
  bool has_wildcard_hosts = false;
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
  (wildcard ? has_wildcard_hosts : has_exact_hosts) = true;
  uint32_t scope = wildcard ? kWildcardHost : kExactHost;
  std::string_view name = wildcard ? host.substr(2) : host;
  uint32_t root = hosts.Find(scope, name);
  if (root == kNone) {
    root = forest.AddTree();
    hosts.Insert(scope, name, root);
  }
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
  match.Reset(raw_path);
  if (!match.SplitPath()) {
    return;  // kNotFound
  }
  int method_index = internal::MethodIndex(method);
  if (match.cached_table_id_ != id_ || match.cached_host_raw_ != host) {
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
  if (t.has_exact_hosts) {
    uint32_t root = t.hosts.Find(kExactHost, h);
    if (root != kNone) match.cached_roots_.push_back(root);
  }
  // "*.example.com" for "a.b.example.com": try "b.example.com", then "example.com", then "com".
  if (t.has_wildcard_hosts) {
    for (size_t dot = h.find('.'); dot != std::string_view::npos; dot = h.find('.', dot + 1)) {
      uint32_t root = t.hosts.Find(kWildcardHost, h.substr(dot + 1));
      if (root != kNone) match.cached_roots_.push_back(root);
    }
  }
  if (t.any_host_root != kNone) {
    match.cached_roots_.push_back(t.any_host_root);
  }
}

bool RouteTable::MatchTree(uint32_t root, int method, RouteMatch& match) const {
  Search search{method, match};
  match.captures_.clear();
  if (Visit(search, root, 0)) {
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
bool RouteTable::Visit(Search& search, uint32_t index, size_t depth) const {
  const PathForest& forest = tables_->forest;
  const PathNode& node = forest.node(index);
  const std::vector<RouteMatch::Segment>& segments = search.match.segments_;
  if (depth == segments.size()) {
    if (TryEnd(search, index, kNoCatchAll)) {
      return true;
    }
  } else {
    std::string_view segment = segments[depth].text;
    uint32_t literal = forest.FindLiteral(index, segment);
    if (literal != kNone && Visit(search, literal, depth + 1)) {
      return true;
    }
    if (node.param != kNone && !segment.empty()) {
      search.match.captures_.push_back(segment);
      if (Visit(search, node.param, depth + 1)) {
        return true;
      }
      search.match.captures_.pop_back();
    }
  }
  return node.catch_all != kNone && TryEnd(search, node.catch_all, depth);
}

bool RouteTable::TryEnd(Search& search, uint32_t index, size_t catch_all_depth) const {
  const Tables& t = *tables_;
  uint32_t endpoint = t.forest.node(index).endpoint;
  if (endpoint == kNone) {
    return false;
  }
  const internal::RouteRef* route = t.forest.endpoint(endpoint).RouteFor(search.method);
  if (route == nullptr) {
    if (search.first_endpoint == kNone) {
      search.first_endpoint = endpoint;
    }
    return false;
  }
  RouteMatch& match = search.match;
  if (catch_all_depth != kNoCatchAll) {
    match.captures_.push_back(match.RestFrom(catch_all_depth));
  }
  const NameList& names = t.name_lists[route->names];
  for (uint32_t i = 0; i < names.count; ++i) {
    match.params_.push_back(PathParam{t.param_names[names.first + i], match.captures_[i]});
  }
  match.outcome = RouteMatch::Outcome::kFound;
  match.route_id = route->id;
  return true;
}

// ---- RouteMatch ----

std::string_view RouteMatch::param(std::string_view name) const {
  for (const PathParam& p : params_) {
    if (p.name == name) {
      return p.value;
    }
  }
  return {};
}

void RouteMatch::Reset(std::string_view raw_path) {
  outcome = Outcome::kNotFound;
  route_id = 0;
  raw_path_ = raw_path;
  segments_.clear();
  captures_.clear();
  params_.clear();
  decoded_.clear();
  allow_ = {};
  host_ = {};
}

bool RouteMatch::AddSegment(std::string_view text, size_t raw_offset, bool escaped) {
  if (escaped) {
    if (decoded_.empty()) {
      // Segments need at most the raw size, a decoded catch-all as much again; reserving it
      // before the first view is taken means no view into decoded_ ever dangles.
      decoded_.reserve(2 * raw_path_.size());
    }
    size_t before = decoded_.size();
    if (!PercentDecode(text, &decoded_)) {
      return false;
    }
    text = std::string_view(decoded_).substr(before);
  }
  segments_.push_back(Segment{text, raw_offset});
  return true;
}

// One pass with a byte loop: paths are short, and a memchr call per segment costs more.
bool RouteMatch::SplitPath() {
  const char* p = raw_path_.data();
  size_t n = raw_path_.size();
  if (n == 0 || p[0] != '/') {
    return false;
  }
  if (n > 1 && p[n - 1] == '/') {
    --n;  // "/a/" matches "/a"
  }
  if (n == 1) {
    return true;  // the root has no segments
  }
  size_t start = 1;
  bool escaped = false;
  for (size_t i = 1; i < n; ++i) {
    if (p[i] == '/') {
      if (!AddSegment(std::string_view(p + start, i - start), start, escaped)) {
        return false;
      }
      start = i + 1;
      escaped = false;
    } else {
      escaped |= p[i] == '%';
    }
  }
  return AddSegment(std::string_view(p + start, n - start), start, escaped);
}

std::string_view RouteMatch::RestFrom(size_t index) {
  if (index >= segments_.size()) {
    return {};
  }
  std::string_view rest = raw_path_.substr(segments_[index].raw_offset);
  if (rest.find('%') == std::string_view::npos) {
    return rest;
  }
  size_t before = decoded_.size();
  PercentDecode(rest, &decoded_);  // cannot fail: SplitPath checked every escape
  return std::string_view(decoded_).substr(before);
}

}  // namespace edgegate::router#include <atomic>

