// Streamed responses: a Session may take over the connection's writing for one response (live
// log tails as Server-Sent Events). It sends the status and headers, then writes chunks from the
// request's coroutine, and between chunks suspends in Wait until it is woken (from any thread,
// through a Waker), a timeout passes, or the stream must end (the client went away, the server is
// shutting down). Nothing blocks the loop: writes and waits suspend only the coroutine.
//
// Framing: HTTP/1.1 clients get `Transfer-Encoding: chunked` (the stream ends with the last
// chunk), HTTP/1.0 clients a body delimited by the close; either way the connection closes after
// a streamed response (`Connection: close`). The ordinary response path does not change: a
// Session that never calls Begin costs the connection one flag test.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string_view>

#include "http/request.h"

namespace edgegate::http {

// Loop-affine (the request's coroutine), except the Waker it hands out.
class ResponseStream {
 public:
  enum class WaitResult {
    kWoken,    // a Waker was called (or a spurious wake-up: re-check the source)
    kTimeout,  // `timeout` passed
    kClosed,   // the stream must end: client gone or server shutting down
  };

  virtual ~ResponseStream() = default;

  // Sends the status line and `headers` (filtered like Response::AddHeader; the server's own
  // framing headers are added). After Begin, the Response the Session fills is ignored and the
  // connection closes once Serve returns. False if nothing more can be written (write failed, or
  // a HEAD request: the head was the whole answer), and false without doing anything when the
  // request has no coroutine (Session::Serve answers kNeedsCoroutine for requests that stream).
  // REQUIRES: called at most once per request.
  virtual bool Begin(int status, std::span<const Header> headers) = 0;
  // Writes `data` as one chunk, suspending until it is written. False if the stream must end.
  virtual bool Write(std::string_view data) = 0;
  // Suspends until woken, `timeout`, or the end of the stream; see WaitResult. A wake that
  // arrived while the coroutine was not waiting is not lost: the next Wait returns at once.
  virtual WaitResult Wait(std::chrono::milliseconds timeout) = 0;
  // A callable that wakes Wait. Thread-safe, cheap (wakes are coalesced: one post to the loop
  // per Wait), and safe to call after the stream or the connection ended (then a no-op).
  virtual std::function<void()> Waker() = 0;
};

}  // namespace edgegate::http
