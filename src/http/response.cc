// Response filling and header hygiene.
#include "http/response.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <ostream>  // boost/core string_view needs it before Beast

#include <boost/beast/http/status.hpp>

#include "base/strings.h"

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
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!kTokenChar[c]) return false;
  }
  return true;
}

bool IsValidValueByte(unsigned char c) { return (c >= 0x20 || c == '\t') && c != 0x7f; }

// No CR, LF, NUL or other control character (tab is fine). Eight bytes at a time: a word with no
// byte below 0x20 and none equal to 0x7f needs no byte loop, and header values rarely have one.
bool IsValidValue(std::string_view value) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const char* p = value.data();
  size_t n = value.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    uint64_t x = w ^ (kOnes * 0x7f);  // a 0x7f byte becomes 0
    uint64_t is_del = (x - kOnes) & ~x & kHighs;
    if ((below_space | is_del) != 0) {
      for (size_t j = i; j < i + 8; ++j) {
        if (!IsValidValueByte(static_cast<unsigned char>(p[j]))) return false;
      }
    }
  }
  for (; i < n; ++i) {
    if (!IsValidValueByte(static_cast<unsigned char>(p[i]))) return false;
  }
  return true;
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
  // One resize and three copies: this runs for every header of every response.
  size_t at = header_block_.size();
  header_block_.resize(at + name.size() + value.size() + 4);
  char* p = header_block_.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

void Response::Clear() {
  status_ = 500;
  header_block_.clear();
  body_.clear();
  dropped_headers_ = 0;
}

std::string_view ReasonPhrase(int status) {
  auto reason = boost::beast::http::obsolete_reason(
      static_cast<boost::beast::http::status>(status));
  return {reason.data(), reason.size()};
}

}  // namespace edgegate::http
