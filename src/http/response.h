// A reusable response buffer that a Dispatcher fills and the connection serialises. Reused across
// the requests of a connection so that steady-state serving does not allocate.
// Thread-compatible (owned by one connection).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/append_buffer.h"
#include "http/request.h"

namespace edgegate::http {

class Response {
 public:
  // Replaces the whole response. Headers the server owns (Content-Length, Date, Connection,
  // Transfer-Encoding) are dropped; a header whose value contains a control character (CR, LF, NUL...; tab is fine), or whose
  // name is not an HTTP token, is dropped (no header injection) and counted in dropped_headers().
  void Set(int status, std::span<const Header> headers, std::string_view body);
  // Convenience: a JSON body with Content-Type application/json.
  void SetJson(int status, std::string_view json);
  // Adds one header after Set (same filtering).
  void AddHeader(std::string_view name, std::string_view value);
  void Clear();

  int status() const { return status_; }
  std::string_view header_block() const { return header_block_.view(); }  // "Name: value\r\n"...
  const std::string& body() const { return body_; }
  int dropped_headers() const { return dropped_headers_; }

 private:
  int status_ = 500;
  base::AppendBuffer header_block_;
  std::string body_;
  int dropped_headers_ = 0;
};

// Returns the reason phrase for `status` ("Not Found"), or "Unknown".
std::string_view ReasonPhrase(int status);

}  // namespace edgegate::http
