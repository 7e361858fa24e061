// The flat map's insertion and growth; lookups are inline in the header.
#include "router/internal/flat_string_map.h"

#include <cstring>

namespace edgegate::router::internal {

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
