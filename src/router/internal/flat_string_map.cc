// FastHash and the flat map's probing and growth.
#include "router/internal/flat_string_map.h"

#include <cstring>

namespace edgegate::router::internal {
namespace {

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Multiplies as 128 bits and folds the halves (the wyhash mixer).
uint64_t Mix(uint64_t a, uint64_t b) {
  __extension__ using Uint128 = unsigned __int128;
  Uint128 product = static_cast<Uint128>(a ^ 0xa0761d6478bd642full) * (b ^ 0xe7037ed1a0b428dbull);
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

}  // namespace

// Eight bytes at a time; the 0 to 8 byte tail is read with overlapping loads, not a byte loop.
uint64_t FastHash(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x8ebc6af09c88c6e3ull ^ n;
  for (; n > 8; n -= 8, p += 8) {
    h = Mix(h, Load64(p));
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

uint32_t FlatStringMap::Find(uint32_t scope, std::string_view key) const {
  if (slots_.empty()) {
    return kNone;
  }
  return slots_[Probe(HashOf(scope, key), scope, key)].value;
}

uint32_t FlatStringMap::Insert(uint32_t scope, std::string_view key, uint32_t value) {
  if ((size_ + 1) * 2 > slots_.size()) {
    Grow();
  }
  uint64_t hash = HashOf(scope, key);
  Slot& slot = slots_[Probe(hash, scope, key)];
  if (slot.value != kNone) {
    return slot.value;
  }
  slot = Slot{hash, scope, value, 0, static_cast<uint32_t>(key.size())};
  if (key.size() <= kInlineKey) {
    std::memcpy(slot.inline_key, key.data(), key.size());
  } else {
    slot.key_offset = Intern(key);
  }
  ++size_;
  return value;
}

// Short keys are compared inline: a memcmp call costs more than the few bytes it compares.
bool FlatStringMap::KeyEquals(const Slot& slot, std::string_view key) const {
  if (slot.key_length != key.size()) {
    return false;
  }
  if (key.size() > kInlineKey) {
    return std::memcmp(keys_.data() + slot.key_offset, key.data(), key.size()) == 0;
  }
  for (size_t i = 0; i < key.size(); ++i) {
    if (slot.inline_key[i] != key[i]) {
      return false;
    }
  }
  return true;
}

size_t FlatStringMap::Probe(uint64_t hash, uint32_t scope, std::string_view key) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.value == kNone || (slot.hash == hash && slot.scope == scope && KeyEquals(slot, key))) {
      return i;
    }
  }
}

void FlatStringMap::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 8 : old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.value == kNone) {
      continue;
    }
    size_t i = slot.hash & mask;
    while (slots_[i].value != kNone) {
      i = (i + 1) & mask;
    }
    slots_[i] = slot;
  }
}

uint32_t FlatStringMap::Intern(std::string_view key) {
  auto it = interned_.find(key);
  if (it != interned_.end()) {
    return it->second;
  }
  auto offset = static_cast<uint32_t>(keys_.size());
  keys_.append(key);
  interned_.emplace(std::string(key), offset);
  return offset;
}

}  // namespace edgegate::router::internal
