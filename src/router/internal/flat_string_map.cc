// The flat map's out-of-line key store; the map itself is a template in the header.
#include "router/internal/flat_string_map.h"

namespace edgegate::router::internal {

uint32_t KeyStore::Intern(std::string_view key) {
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
