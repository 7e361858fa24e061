// Response filling and header hygiene.
#include "http/response.h"

#include <array>
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

bool IsValidValue(std::string_view value) {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;  // CR, LF, NUL, other controls
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
  header_block_.append(name).append(": ").append(value).append("\r\n");
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
