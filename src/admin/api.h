// The admin REST API as an http::Dispatcher: routing of /api/... (with the router module),
// bearer-key authentication and scopes per route, the JSON envelope, and the endpoint routes of
// the serving core. Runs on the admin listener's loop; compiles are offloaded to a worker pool so
// the loop keeps answering while a build runs.
#pragma once

#include <memory>
#include <string>

#include "admin/auth.h"
#include "admin/endpoints.h"
#include "http/dispatcher.h"

namespace edgegate::admin {

struct AdminApiOptions {
  std::string version;   // reported by /api/health
  int compile_workers = 2;
};

class AdminApiImpl;

// Thread-safe to construct sessions; requests are served on the admin loop.
class AdminApi : public http::Dispatcher {
 public:
  AdminApi(const AdminApiOptions& options, KeyRing& keys, EndpointService& endpoints);
  ~AdminApi() override;

  std::unique_ptr<http::Session> NewSession() override;
  // Runs `work` on the worker pool and waits for it (for start-up, outside any coroutine).
  Offloader& blocking_offloader();

 private:
  std::unique_ptr<AdminApiImpl> impl_;
};

}  // namespace edgegate::admin
