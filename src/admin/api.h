// The admin REST API as an http::Dispatcher: matches /api/... routes (registered in an
// AdminRoutes list by each resource's *_api.cc) with the router module, authenticates bearer
// keys, checks each route's scope, and writes the JSON envelope. Serves GET /api/health and
// GET /api/openapi.json (the document of every registered route) itself.
// Runs on the admin listener's loop; blocking work (compiles) goes to a worker pool through the
// Offloader, suspending only the request's coroutine.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "admin/auth.h"
#include "admin/routes.h"
#include "http/dispatcher.h"

namespace edgegate::admin {

// Runs blocking work off the I/O loop, suspending only the calling coroutine.
class Offloader {
 public:
  virtual ~Offloader() = default;
  virtual void Run(const std::function<void()>& work) = 0;
};

struct AdminApiOptions {
  std::string version;      // reported by /api/health
  int blocking_workers = 2;  // threads for Offloader work (compiles)
};

class AdminApiImpl;

// Thread-safe to construct sessions; requests are served on the admin loop.
class AdminApi : public http::Dispatcher {
 public:
  // CHECK-fails on an invalid or duplicate route in `routes` (a programming error).
  AdminApi(const AdminApiOptions& options, KeyRing& keys, AdminRoutes routes);
  ~AdminApi() override;

  std::unique_ptr<http::Session> NewSession() override;
  // Runs work inline: for start-up, before the loops run.
  static Offloader& InlineOffloader();

 private:
  std::unique_ptr<AdminApiImpl> impl_;
};

}  // namespace edgegate::admin
