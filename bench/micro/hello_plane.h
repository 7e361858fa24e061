// A real data plane serving the real `hello` example handler, for the dispatch benchmarks.
//
// Why real: "match + pin + call + unpin" is only worth measuring through the code a request takes
// (DataSession::Serve, EndpointSlot::Pin, the C ABI, the SDK's Invoke, http::Response), with the
// handler in its own dlopen'ed library built with the runtime handler flags, not a stub.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "base/test_util.h"
#include "handlers/registry.h"
#include "host/data_plane.h"
#include "http/request.h"

namespace edgegate::bench {

// Routes GET "/hello/{name}" (host "*") and a few sibling routes to endpoint "hello", whose
// version 1 is the hello library, loaded and active. Thread-compatible; sessions from plane()
// must be destroyed before this object.
class HelloPlane {
 public:
  // Copies `library_path` into a temp dir (the registry wants a file of its own per version),
  // loads and activates it, and publishes the routes. FailedPrecondition from the loader,
  // InvalidArgument / AlreadyExists from the router.
  static base::Result<std::unique_ptr<HelloPlane>> Create(const std::string& library_path);

  host::DataPlane& plane() { return plane_; }
  handlers::EndpointSlot& slot() { return *slot_; }
  // Publishes the hello routes again plus `extra` (every one served by hello), as the admin
  // side does after a route change.
  base::Status Republish(const std::vector<router::RouteSpec>& extra);

 private:
  HelloPlane();

  // Destruction order: the plane drops its snapshot, the registry closes the library, then the
  // temp dir (and the library's copy) goes.
  base::TempDir temp_;
  handlers::Registry registry_;
  std::shared_ptr<handlers::EndpointSlot> slot_;
  host::DataPlane plane_;
};

// A GET request for `path` on host "bench.example.com" with a few typical headers; the views
// point at static storage. `coroutine` is null: the hello handler never suspends.
http::Request HelloRequest(std::string_view path);

}  // namespace edgegate::bench
