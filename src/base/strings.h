// Small string helpers shared by the gateway's modules (not by handlers: the SDK has its own).
#pragma once

#include <string_view>

namespace edgegate::base {

// ASCII case-insensitive equality, as HTTP header names and tokens are compared.
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) {
      return false;
    }
  }
  return true;
}

}  // namespace edgegate::base
