// The admin API's own OpenAPI 3.1 document, served at GET /api/openapi.json. Its `paths` are
// generated from the registered route list (method, path, path parameters, scope), so the
// document cannot drift from what the server answers; a static table per known route adds a
// summary, query parameters, a request body schema and the success status. A route missing from
// the table still appears, with a generic summary.
#pragma once

#include <boost/json/object.hpp>
#include <span>
#include <string_view>

#include "admin/routes.h"

namespace edgegate::admin {

// Returns the OpenAPI 3.1 document describing exactly `routes`. `version` goes to info.version.
// Scoped routes get `x-required-scope` and a bearer security requirement; unscoped routes an
// empty `security` list. Pure; thread-compatible.
boost::json::object BuildOpenApiDocument(std::span<const AdminRoute> routes,
                                         std::string_view version);

// "/api/endpoints/{id}" → "/api/endpoints/{id}"; a rest parameter "{*path}" becomes "{path}".
std::string OpenApiPath(std::string_view router_pattern);

}  // namespace edgegate::admin
