// Response filling and header hygiene.
#include "http/response.h"

#include <ostream>  // boost/core string_view needs it before Beast

#include <boost/beast/http/status.hpp>

#include "base/strings.h"

namespace edgegate::http {

using base::EqualsIgnoreCase;
namespace {

bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsValidValue(std::string_view value) {
  for (unsigned char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsServerOwned(std::string_view name) {
  return EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "date") ||
         EqualsIgnoreCase(name, "connection") || EqualsIgnoreCase(name, "transfer-encoding");
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
