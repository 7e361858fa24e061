// The admin API's route list: each resource file adds its routes (method, path pattern, scope,
// handler) with AdminRoutes::Add; the AdminApi dispatcher matches, authenticates, checks the
// scope and calls the handler. Adding a resource = one *_api.cc file + one line in server/.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/auth.h"
#include "admin/reply.h"
#include "http/request.h"
#include "router/route_table.h"

namespace edgegate::admin {

class Offloader;

// One admin request, as a route handler sees it. Loop-affine.
struct AdminCall {
  const http::Request& request;
  const router::RouteMatch& match;
  Offloader& offloader;            // to run blocking work (compiles) off the loop
  const Principal* principal;      // null on unauthenticated routes

  // The decoded path parameter `name` of the route pattern ("" if absent).
  std::string param(std::string_view name) const { return std::string(match.param(name)); }
  // The decoded query parameter `name`, if present (first value).
  std::optional<std::string> query(std::string_view name) const;
  // The first value of header `name` (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
};

using RouteHandler = std::function<Reply(AdminCall&)>;

struct AdminRoute {
  std::string method;
  std::string path;   // router pattern, e.g. "/api/endpoints/{id}"
  std::string scope;  // required scope ("endpoints:read"); empty = no authentication
  RouteHandler handler;
};

// Thread-compatible: filled at start-up, read-only afterwards.
class AdminRoutes {
 public:
  void Add(std::string method, std::string path, std::string scope, RouteHandler handler) {
    routes_.push_back({std::move(method), std::move(path), std::move(scope), std::move(handler)});
  }
  const std::vector<AdminRoute>& all() const { return routes_; }

 private:
  std::vector<AdminRoute> routes_;
};

}  // namespace edgegate::admin
