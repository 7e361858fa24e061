// Response filling and header hygiene.
#include "http/response.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <ostream>  // boost/core string_view needs it before Beast

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/beast/http/status.hpp>

#include "base/strings.h"
#include "base/swar.h"

namespace edgegate::http {

using base::EqualsIgnoreCase;
namespace {

// tchar of RFC 9110 §5.6.2, as a table: header validation runs on every response.
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = table[c - 32] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kTokenChar = MakeTokenTable();

bool IsValidName(std::string_view name) {
  if (name == "Content-Type") return true;  // the SDK's spelling, on nearly every response
  if (name.empty()) return false;
  bool valid = true;  // no early exit: names are short and valid, so skip the branch per byte
  for (unsigned char c : name) {
    valid &= kTokenChar[c];
  }
  return valid;
}

bool IsValidValueByte(unsigned char c) { return (c >= 0x20 || c == '\t') && c != 0x7f; }

// True if the eight bytes at `p` have no byte below 0x20 and none equal to 0x7f. A word that
// fails may still be valid (a tab, or a false alarm in a byte above a bad one): check its bytes.
bool WordIsPlain(const char* p) {
  const uint64_t w = base::swar::Load64(p);
  return (base::swar::BytesBelow(w, 0x20) | base::swar::BytesEqual(w, 0x7f)) == 0;
}

bool BytesAreValid(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!IsValidValueByte(static_cast<unsigned char>(p[i]))) return false;
  }
  return true;
}

#if defined(__SSE2__)
// WordIsPlain for the sixteen bytes at `p`: no byte at most 0x1f (unsigned), none equal to 0x7f.
bool ChunkIsPlain(const char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
  const __m128i del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
  return _mm_movemask_epi8(_mm_or_si128(control, del)) == 0;
}
#endif

// No CR, LF, NUL or other control character (tab is fine). Sixteen bytes at a time where SSE2
// is there (a Content-Type with a charset is 25 bytes: two chunks), else eight; the tail as the
// (overlapping) last chunk: header values rarely need a byte loop.
bool IsValidValue(std::string_view value) {
  const char* p = value.data();
  size_t n = value.size();
  if (n < 8) {
    return BytesAreValid(p, n);
  }
#if defined(__SSE2__)
  if (n >= 16) {
    for (size_t i = 0; i + 16 <= n; i += 16) {
      if (!ChunkIsPlain(p + i) && !BytesAreValid(p + i, 16)) return false;
    }
    return n % 16 == 0 || ChunkIsPlain(p + n - 16) || BytesAreValid(p + n - 16, 16);
  }
#endif
  for (size_t i = 0; i + 8 <= n; i += 8) {
    if (!WordIsPlain(p + i) && !BytesAreValid(p + i, 8)) return false;
  }
  return n % 8 == 0 || WordIsPlain(p + n - 8) || BytesAreValid(p + n - 8, 8);
}

// Content-Length, Date, Connection, Transfer-Encoding: the server writes those itself.
bool IsServerOwned(std::string_view name) {
  switch (name.size()) {
    case 4: return EqualsIgnoreCase(name, "date");
    case 10: return EqualsIgnoreCase(name, "connection");
    case 14: return EqualsIgnoreCase(name, "content-length");
    case 17: return EqualsIgnoreCase(name, "transfer-encoding");
    default: return false;
  }
}

}  // namespace

void Response::Set(int status, std::span<const Header> headers, std::string_view body) {
  Clear();
  status_ = (status >= 100 && status <= 999) ? status : 500;
  for (const Header& h : headers) {
    AddHeader(h.name, h.value);
  }
  body_.assign(body.data(), body.size());
}

void Response::SetJson(int status, std::string_view json) {
  Header h{"Content-Type", "application/json"};
  Set(status, std::span<const Header>(&h, 1), json);
}

void Response::AddHeader(std::string_view name, std::string_view value) {
  if (!IsValidName(name) || !IsValidValue(value)) {
    ++dropped_headers_;
    return;
  }
  if (IsServerOwned(name)) {
    return;
  }
  // One capacity check and two copies: this runs for every header of every response.
  char* p = header_block_.Extend(name.size() + value.size() + 4);
  base::swar::Copy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  base::swar::Copy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

void Response::Clear() {
  status_ = 500;
  header_block_.Clear();
  body_.clear();
  dropped_headers_ = 0;
}

std::string_view ReasonPhrase(int status) {
  auto reason = boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(status));
  return {reason.data(), reason.size()};
}

}  // namespace edgegate::http
