// The seam between the HTTP server and what serves requests (the data plane's router + handler
// registry, or the admin API). The server asks for one Session per connection and calls it for
// each request of that connection, in order, on the connection's loop.
#pragma once

#include <memory>

#include "http/request.h"
#include "http/response.h"

namespace edgegate::http {

// Per-connection state of a dispatcher (caches, scratch). Loop-affine.
class Session {
 public:
  virtual ~Session() = default;
  // Serves `request` into `response` (already cleared). Must not throw. May suspend the request's
  // coroutine (request.coroutine), never block the loop.
  virtual void Serve(const Request& request, Response& response) = 0;
};

// Thread-safe: NewSession is called from every loop.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual std::unique_ptr<Session> NewSession() = 0;
};

}  // namespace edgegate::http
