// Building the path forest. Matching is in route_table.cc.
#include "router/internal/path_tree.h"

namespace edgegate::router::internal {
namespace {

// Returns the Allow value for the methods whose bits are set in `mask` (HEAD is in the mask
// when it is served, including through GET).
std::string AllowValue(unsigned mask) {
  std::string allow;
  for (int i = 0; i < kMethodCount; ++i) {
    if ((mask & (1u << i)) != 0) {
      allow += allow.empty() ? "" : ", ";
      allow += kMethodNames[i];
    }
  }
  return allow;
}

}  // namespace

// By length first: every request pays for this, and each length has at most two methods.
int MethodIndex(std::string_view method) {
  auto is = [method](int index) { return method == kMethodNames[index] ? index : -1; };
  switch (method.size()) {
    case 3: return method[0] == 'G' ? is(kGet) : is(kPut);
    case 4: return method[0] == 'H' ? is(kHead) : is(kPost);
    case 5: return is(kPatch);
    case 6: return is(kDelete);
    case 7: return is(kOptions);
    default: return -1;
  }
}

const RouteRef* Endpoint::RouteFor(int method) const {
  if (method < 0) {
    return nullptr;
  }
  if (routes[method].present()) {
    return &routes[method];
  }
  return method == kHead && routes[kGet].present() ? &routes[kGet] : nullptr;
}

PathForest::PathForest() {
  for (unsigned mask = 0; mask < (1u << kMethodCount); ++mask) {
    allow_by_mask_.push_back(AllowValue(mask));
  }
}

uint32_t PathForest::AddTree() { return AddNode(); }

void PathForest::FinishBuild() {
  for (PathNode& node : nodes_) {
    if (node.endpoint == kNone) {
      continue;
    }
    const Endpoint& e = endpoints_[node.endpoint];
    int methods = 0;
    for (int m = 0; m < kMethodCount; ++m) {
      if (e.routes[m].present()) {
        ++methods;
        node.only = e.routes[m];
        node.only_method = static_cast<uint8_t>(m);
      }
    }
    if (methods != 1) {
      node.only = RouteRef{};
    }
  }
  // Last: the edges keep copies of the finished nodes.
  literals_.FinishBuild([this](uint32_t child) { return nodes_[child]; });
}

const RouteRef* PathForest::Insert(uint32_t root, const PathPattern& pattern, int method,
                                   RouteRef route) {
  uint32_t node = root;
  for (const PatternSegment& segment : pattern.segments) {
    node = Child(node, segment);
  }
  if (nodes_[node].endpoint == kNone) {
    nodes_[node].endpoint = static_cast<uint32_t>(endpoints_.size());
    endpoints_.emplace_back();
  }
  RouteRef& slot = endpoints_[nodes_[node].endpoint].routes[method];
  if (slot.present()) {
    return &slot;
  }
  slot = route;
  return nullptr;
}

std::string_view PathForest::allow(uint32_t endpoint) const {
  const Endpoint& e = endpoints_[endpoint];
  unsigned mask = 0;
  for (int i = 0; i < kMethodCount; ++i) {
    if (e.RouteFor(i) != nullptr) {
      mask |= 1u << i;
    }
  }
  return allow_by_mask_[mask];
}

uint32_t PathForest::Child(uint32_t parent, const PatternSegment& segment) {
  switch (segment.kind) {
    case SegmentKind::kLiteral: {
      auto next = static_cast<uint32_t>(nodes_.size());
      uint32_t child = literals_.Insert(parent, segment.text, next);
      if (child == next) {
        AddNode();
        nodes_[parent].has_literals = true;
      }
      return child;
    }
    case SegmentKind::kParam:
      if (nodes_[parent].param == kNone) {
        uint32_t child = AddNode();  // invalidates references into nodes_
        nodes_[parent].param = child;
      }
      return nodes_[parent].param;
    case SegmentKind::kCatchAll:
      if (nodes_[parent].catch_all == kNone) {
        uint32_t child = AddNode();
        nodes_[parent].catch_all = child;
      }
      return nodes_[parent].catch_all;
  }
  return 0;  // unreachable: every kind is handled above
}

uint32_t PathForest::AddNode() {
  nodes_.emplace_back();
  return static_cast<uint32_t>(nodes_.size() - 1);
}

}  // namespace edgegate::router::internal
