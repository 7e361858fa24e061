// Query strings: splitting into parameters and decoding their parts ('+' as space, %XX).
// Decoding uses Boost.URL; the split is done here because Boost.URL 1.81's params view reads past
// the end of a query that is not NUL-terminated, and ours point into the request buffer.
#pragma once

#include <string>
#include <string_view>

namespace edgegate::http {

// Appends the decoded form of `encoded` to `*out` (never more than encoded.size() bytes).
// False, appending nothing, on a malformed escape.
bool DecodeQueryComponent(std::string_view encoded, std::string* out);

// Calls visit(raw_key, raw_value) for each "key=value" (or "key") part of `query`, in order,
// skipping empty parts. The parts are still percent-encoded.
template <typename Visit>
void ForEachQueryParam(std::string_view query, Visit&& visit) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    size_t eq = part.find('=');
    visit(part.substr(0, eq),
          eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
  }
}

}  // namespace edgegate::http
