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
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace edgegate::router::internal {

inline constexpr uint32_t kNone = UINT32_MAX;

// Returns a 64-bit hash of `s`. Several times faster than std::hash on the
// short strings of host names and path segments. Not flood-resistant, which is fine here: the
// keys are routes from the admin API, so a client cannot lengthen a probe sequence.
uint64_t FastHash(std::string_view s);

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
  // Returns the value stored for (scope, key), or kNone.
  uint32_t Find(uint32_t scope, std::string_view key) const;
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
  size_t Probe(uint64_t hash, uint32_t scope, std::string_view key) const;
  void Grow();
  // Returns the offset of `key` in keys_, appending it the first time.
  uint32_t Intern(std::string_view key);

  std::vector<Slot> slots_;  // size a power of two (or zero)
  std::string keys_;         // every distinct key once
  size_t size_ = 0;
  StringMap<uint32_t> interned_;  // build only: key → offset in keys_
};

}  // namespace edgegate::router::internal
