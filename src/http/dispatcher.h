// The seam between the HTTP server and what serves requests (the data plane's router + handler
// registry, or the admin API). Each loop of the server keeps Sessions for its serving connections:
// a connection takes one when a request arrives and gives it back when it goes idle, so a Session
// serves requests of many connections of one loop over its life, one request at a time.
#pragma once

#include <memory>

#include "http/request.h"
#include "http/response.h"

namespace edgegate::http {

// What Session::Serve did with a request.
enum class Served {
  kDone,            // answered in the response (or streamed)
  kNeedsCoroutine,  // untouched: it may suspend and came without a coroutine; serve it again in one
};

// State a dispatcher keeps for one request at a time (caches, scratch); nothing in it may belong
// to a connection. Loop-affine.
class Session {
 public:
  virtual ~Session() = default;
  // Serves `request` into `response` (already cleared). Must not throw, never blocks the loop.
  // The server first offers each request without a coroutine (request.coroutine null), on the
  // loop's own stack: most requests never wait, and a coroutine's start and end cost about 3 %
  // of a small request's CPU. A request that may have to wait (suspend) then answers
  // kNeedsCoroutine before doing anything (no response, no statistics), and the server offers it
  // again with a coroutine, which Serve may suspend.
  virtual Served Serve(const Request& request, Response& response) = 0;
};

// Thread-safe: NewSession is called from every loop.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual std::unique_ptr<Session> NewSession() = 0;
};

}  // namespace edgegate::http
