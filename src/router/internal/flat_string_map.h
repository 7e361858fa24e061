// An immutable-after-build hash map from (scope, string) to uint32_t, for the route table's hot
// lookups: literal path segments (scope = parent node) and host names (scope = exact/wildcard).
//
// Why not std::unordered_map: a node-based map costs three dependent cache misses per lookup
// (bucket, previous node, node), which made matching against 10,000 routes several times slower
// than against 10 when requests spread over many routes. Here a lookup reads one 24-byte slot
// (the full 64-bit hash is compared first) and, for keys longer than 8 bytes, the key, which
// is stored once however many slots share it. Lookups take string_view and never allocate.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/swar.h"

namespace edgegate::router::internal {

inline constexpr uint32_t kNone = UINT32_MAX;

// Returns a 64-bit hash of `s`. Several times faster than std::hash on the
// short strings of host names and path segments. Not flood-resistant, which is fine here: the
// keys are routes from the admin API, so a client cannot lengthen a probe sequence.
inline uint64_t FastHash(std::string_view s);

// Hashes std::string keys and std::string_view probes alike, so lookups do not allocate.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return FastHash(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Open addressing with linear probing, at most half full. Thread-compatible; const methods
// are safe to call concurrently once building is over.
class FlatStringMap {
 public:
  // Returns the value stored for (scope, key), or kNone. Inline: one call per path segment.
  uint32_t Find(uint32_t scope, std::string_view key) const {
    if (slots_.empty()) {
      return kNone;
    }
    const Slot& slot = slots_[Probe(HashOf(scope, key), scope, key)];
    return slot.value;
  }
  // Stores `value` for (scope, key) unless a value is there; returns the value now stored.
  // REQUIRES: value != kNone.
  uint32_t Insert(uint32_t scope, std::string_view key, uint32_t value);
  // Frees the build-time index of keys. Call after the last Insert.
  void FinishBuild() { interned_ = {}; }

 private:
  static constexpr size_t kInlineKey = 8;

  // Two slots per cache line; keys up to kInlineKey bytes are compared without leaving the slot.
  struct alignas(32) Slot {
    uint64_t hash = 0;
    uint32_t scope = 0;
    uint32_t value = kNone;   // kNone: empty slot
    uint32_t key_offset = 0;  // in keys_, for keys longer than kInlineKey
    uint32_t key_length = 0;
    char inline_key[kInlineKey] = {};
  };

  static uint64_t HashOf(uint32_t scope, std::string_view key) {
    return FastHash(key) ^ (scope * 0x9e3779b97f4a7c15ull);
  }
  bool KeyEquals(const Slot& slot, std::string_view key) const;
  // Returns the index of the slot holding (scope, key), or of the empty slot ending its probe.
  // REQUIRES: !slots_.empty().
  size_t Probe(uint64_t hash, uint32_t scope, std::string_view key) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.value == kNone ||
          (slot.hash == hash && slot.scope == scope && KeyEquals(slot, key))) {
        return i;
      }
    }
  }
  void Grow();
  // Returns the offset of `key` in keys_, appending it the first time.
  uint32_t Intern(std::string_view key);

  std::vector<Slot> slots_;  // size a power of two (or zero)
  std::string keys_;         // every distinct key once
  size_t size_ = 0;
  StringMap<uint32_t> interned_;  // build only: key → offset in keys_
};

namespace hash_internal {

using base::swar::Load32;
using base::swar::Load64;

// Multiplies as 128 bits and folds the halves (the wyhash mixer).
inline uint64_t Mix(uint64_t a, uint64_t b) {
  __extension__ using Uint128 = unsigned __int128;
  Uint128 product = static_cast<Uint128>(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

// True if the `n` bytes at a and b are equal, for n <= 8, without a byte loop: two overlapping
// 4-byte loads cover 4 to 8 bytes; bytes 0, n/2 and n-1 cover 1 to 3.
inline bool ShortEquals(const char* a, const char* b, size_t n) {
  if (n >= 4) {
    return Load32(a) == Load32(b) && Load32(a + n - 4) == Load32(b + n - 4);
  }
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

}  // namespace hash_internal

// Eight bytes at a time; the 0 to 8 byte tail is read with overlapping loads, not a byte loop.
inline uint64_t FastHash(std::string_view s) {
  using base::swar::Load32;
  using hash_internal::Mix;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x8ebc6af09c88c6e3ull ^ n;
  for (; n > 8; n -= 8, p += 8) {
    h = Mix(h, base::swar::Load64(p));
  }
  uint64_t tail = 0;
  if (n >= 4) {
    tail = (Load32(p) << 32) | Load32(p + n - 4);
  } else if (n > 0) {
    tail = (static_cast<uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
           (static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
           static_cast<unsigned char>(p[n - 1]);
  }
  return Mix(h, tail);
}

// Short keys are compared inline: a memcmp call costs more than the few bytes it compares.
inline bool FlatStringMap::KeyEquals(const Slot& slot, std::string_view key) const {
  if (slot.key_length != key.size()) {
    return false;
  }
  if (key.size() > kInlineKey) {
    return std::memcmp(keys_.data() + slot.key_offset, key.data(), key.size()) == 0;
  }
  return hash_internal::ShortEquals(slot.inline_key, key.data(), key.size());
}

}  // namespace edgegate::router::internal
