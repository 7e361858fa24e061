// Hash maps keyed by std::string that are looked up with a std::string_view, without building a
// std::string per lookup (C++20 heterogeneous lookup): a key longer than the string's inline
// buffer (15 bytes), an endpoint id for one, would otherwise cost an allocation per find.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace edgegate::base {

// Hashes std::string keys and std::string_view probes alike.
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, TransparentStringHash, std::equal_to<>>;

}  // namespace edgegate::base
