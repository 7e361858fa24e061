// An immutable-after-build hash map from (scope, string) to a uint32_t value plus a small payload,
// for the route table's hot lookups: literal path segments (scope = parent node, payload = the
// child node) and host names (scope = exact/wildcard, no payload).
//
// Why not std::unordered_map: a node-based map costs three dependent cache misses per lookup
// (bucket, previous node, node), which made matching against 10,000 routes several times slower
// than against 10 when requests spread over many routes. Here a lookup reads one 64-byte slot,
// one cache line: half the 64-bit hash is compared first, keys up to kInlineKey bytes are
// compared inside the slot (longer ones are stored once, however many slots share them), and the
// payload is there too, so the caller's next read (the path tree's child node) is no second
// miss. Lookups take string_view and never allocate.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/string_map.h"
#include "base/swar.h"

namespace edgegate::router::internal {

inline constexpr uint32_t kNone = UINT32_MAX;

// The keys are routes from the admin API, which a client cannot choose: base::FastHash (not
// flood-resistant) is safe here.
using base::FastHash;
template <typename V>
using StringMap = base::FastStringMap<V>;

// The payload of a map that has none.
struct NoPayload {};

// The out-of-line keys of a FlatStringMap: every distinct long key once. Not a template, so its
// code lives in the .cc.
class KeyStore {
 public:
  // Returns the offset of `key` in data(), appending it the first time.
  uint32_t Intern(std::string_view key);
  // Frees the build-time index of keys. Call after the last Intern.
  void FinishBuild() { interned_ = {}; }
  const char* data() const { return keys_.data(); }

 private:
  std::string keys_;
  StringMap<uint32_t> interned_;  // build only: key → offset in keys_
};

// Open addressing with linear probing, at most half full. Thread-compatible; const methods
// are safe to call concurrently once building is over. `Payload` is trivially copyable and
// at most 28 bytes; the larger it is, the shorter the keys kept inside a slot.
template <typename Payload = NoPayload>
class FlatStringMap {
 public:
  struct Entry {
    uint32_t value = kNone;  // kNone: an empty slot
    [[no_unique_address]] Payload payload{};
  };

  // Returns the entry stored for (scope, key), or null. Inline: one call per path segment.
  const Entry* Find(uint32_t scope, std::string_view key) const {
    if (slots_.empty()) {
      return nullptr;
    }
    const Slot& slot = slots_[Probe(HashOf(scope, key), scope, key)];
    return slot.entry.value == kNone ? nullptr : &slot.entry;
  }
  // Stores `value` for (scope, key) unless a value is there; returns the value now stored.
  // REQUIRES: value != kNone.
  uint32_t Insert(uint32_t scope, std::string_view key, uint32_t value);
  // Sets every entry's payload to fill(value), then frees what only building needed. Call after
  // the last Insert.
  template <typename Fill>
  void FinishBuild(Fill fill) {
    for (Slot& slot : slots_) {
      if (slot.entry.value != kNone) {
        slot.entry.payload = fill(slot.entry.value);
      }
    }
    keys_.FinishBuild();
  }
  void FinishBuild() { keys_.FinishBuild(); }

 private:
  static constexpr size_t kSlotSize = 64;  // a cache line

  struct SlotHead {
    uint32_t hash_high = 0;  // the hash's upper half (its lower bits chose the slot)
    uint32_t scope = 0;
    uint32_t key_length = 0;
    Entry entry;
  };
  // The rest of the cache line holds the key when it fits, else the key's offset in keys_.
  static constexpr size_t kInlineKey = kSlotSize - sizeof(SlotHead);
  static_assert(kInlineKey >= 16, "a payload this large leaves too little room for keys");

  struct alignas(kSlotSize) Slot : SlotHead {
    char inline_key[kInlineKey] = {};

    uint32_t key_offset() const {
      uint32_t offset;
      std::memcpy(&offset, inline_key, sizeof offset);
      return offset;
    }
  };
  static_assert(sizeof(Slot) == kSlotSize, "one slot per cache line");

  static uint64_t HashOf(uint32_t scope, std::string_view key) {
    return FastHash(key) ^ (scope * 0x9e3779b97f4a7c15ull);
  }
  static uint32_t HighHalf(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  std::string_view KeyOf(const Slot& slot) const {
    const char* data = slot.key_length > kInlineKey ? keys_.data() + slot.key_offset()
                                                    : slot.inline_key;
    return {data, slot.key_length};
  }
  bool KeyEquals(const Slot& slot, std::string_view key) const {
    if (slot.key_length != key.size()) {
      return false;
    }
    return base::swar::Equal(KeyOf(slot).data(), key.data(), key.size());
  }
  // Returns the index of the slot holding (scope, key), or of the empty slot ending its probe.
  // REQUIRES: !slots_.empty().
  size_t Probe(uint64_t hash, uint32_t scope, std::string_view key) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.entry.value == kNone ||
          (slot.hash_high == HighHalf(hash) && slot.scope == scope && KeyEquals(slot, key))) {
        return i;
      }
    }
  }
  void Grow();

  std::vector<Slot> slots_;  // size a power of two (or zero)
  KeyStore keys_;
  size_t size_ = 0;
};

template <typename Payload>
uint32_t FlatStringMap<Payload>::Insert(uint32_t scope, std::string_view key, uint32_t value) {
  if ((size_ + 1) * 2 > slots_.size()) {
    Grow();
  }
  uint64_t hash = HashOf(scope, key);
  Slot& slot = slots_[Probe(hash, scope, key)];
  if (slot.entry.value != kNone) {
    return slot.entry.value;
  }
  slot = Slot{};
  slot.hash_high = HighHalf(hash);
  slot.scope = scope;
  slot.key_length = static_cast<uint32_t>(key.size());
  slot.entry.value = value;
  if (key.size() <= kInlineKey) {
    std::memcpy(slot.inline_key, key.data(), key.size());
  } else {
    const uint32_t offset = keys_.Intern(key);
    std::memcpy(slot.inline_key, &offset, sizeof offset);
  }
  ++size_;
  return value;
}

template <typename Payload>
void FlatStringMap<Payload>::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 8 : old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.entry.value == kNone) {
      continue;
    }
    size_t i = HashOf(slot.scope, KeyOf(slot)) & mask;
    while (slots_[i].entry.value != kNone) {
      i = (i + 1) & mask;
    }
    slots_[i] = slot;
  }
}

}  // namespace edgegate::router::internal
