// Registers the endpoint routes (/api/endpoints...) of the admin API.
#pragma once

#include "admin/endpoints.h"
#include "admin/routes.h"

namespace edgegate::admin {

// `service` must outlive the routes.
void AddEndpointRoutes(AdminRoutes& routes, EndpointService& service);

}  // namespace edgegate::admin
