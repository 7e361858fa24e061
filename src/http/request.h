// The view of one parsed HTTP request that the server hands to a Dispatcher. Everything points
// into the connection's buffers and is valid only for the duration of the Serve call.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace edgegate::http {

struct Header {
  std::string_view name;
  std::string_view value;
};

// The stackful coroutine a request runs in (defined in http/coroutine.h, which pulls in Asio).
// Code that must wait (service calls, compiles) suspends through it instead of blocking the loop.
struct Coroutine;
// A response written in pieces (http/stream.h), for Sessions that stream.
class ResponseStream;

struct Request {
  std::string_view method;  // as sent, e.g. "GET"
  std::string_view target;  // raw request target
  std::string_view path;    // target up to '?'
  std::string_view query;   // after '?', raw; empty if none
  std::string_view host;    // Host header as sent (may carry a port)
  std::span<const Header> headers;  // in order; repeated names kept
  std::string_view body;    // de-chunked, binary safe
  std::string_view client_ip;
  unsigned version = 11;    // 10 or 11
  Coroutine* coroutine = nullptr;  // null: served on the loop's stack, must not suspend
  // Non-null inside Serve on a server connection; begins a stream only with a coroutine.
  ResponseStream* stream = nullptr;
};

}  // namespace edgegate::http
