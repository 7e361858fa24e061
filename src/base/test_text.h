// For tests of string code: deterministic text of any length.
#pragma once

#include <cstddef>
#include <string>

namespace edgegate::base {

// `length` lower-case letters, distinct for each (length, seed); never '/', '%' or zero.
inline std::string TestText(size_t length, char seed) {
  std::string text(length, 'a');
  for (size_t i = 0; i < length; ++i) {
    text[i] = static_cast<char>('a' + (i * 7 + static_cast<size_t>(seed)) % 26);
  }
  return text;
}

}  // namespace edgegate::base
