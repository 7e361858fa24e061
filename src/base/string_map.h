// Hash maps keyed by std::string that are looked up with a std::string_view, without building a
// std::string per lookup (C++20 heterogeneous lookup): a key longer than the string's inline
// buffer (15 bytes), an endpoint id for one, would otherwise cost an allocation per find.
//
// StringMap hashes with std::hash, for keys that come from requests (a handler's cache keys).
// FastStringMap hashes with FastHash, about a quarter of std::hash's instructions on a 36-byte
// id, for keys a client cannot choose (routes, endpoint ids from the admin API).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/swar.h"

namespace edgegate::base {

// Returns a 64-bit hash of `s`: eight bytes at a time, the 0 to 8 byte tail read with
// overlapping loads, not a byte loop. Several times faster than std::hash on short strings (host
// names, path segments, ids). Not flood-resistant: only for keys a client cannot choose.
inline uint64_t FastHash(std::string_view s) {
  using swar::Load32;
  // Multiplies as 128 bits and folds the halves (the wyhash mixer).
  auto mix = [](uint64_t a, uint64_t b) {
    __extension__ using Uint128 = unsigned __int128;
    Uint128 product =
        static_cast<Uint128>(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
  };
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x8ebc6af09c88c6e3ull ^ n;
  for (; n > 8; n -= 8, p += 8) {
    h = mix(h, swar::Load64(p));
  }
  uint64_t tail = 0;
  if (n >= 4) {
    tail = (Load32(p) << 32) | Load32(p + n - 4);
  } else if (n > 0) {
    tail = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
           (static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
           static_cast<unsigned char>(p[n - 1]);
  }
  return mix(h, tail);
}

// Hashes std::string keys and std::string_view probes alike, with std::hash.
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// The same with FastHash.
struct FastStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return FastHash(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, TransparentStringHash, std::equal_to<>>;

template <typename V>
using FastStringMap = std::unordered_map<std::string, V, FastStringHash, std::equal_to<>>;

}  // namespace edgegate::base
