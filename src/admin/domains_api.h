// Registers the domain and collection routes (/api/domains..., /api/collections...) of the admin
// API. A domain groups collections under one host; a collection puts its base_path in front of
// its endpoints' paths. Both are enable switches for routing: every change that affects routing
// republishes the whole route table, and a delete retires the deleted endpoints (their routes go
// first, their in-flight requests drain, then their libraries unload).
#pragma once

#include "admin/endpoints.h"
#include "admin/routes.h"

namespace edgegate::admin {

// Scopes domains:read / domains:write. `service` must outlive the routes.
void AddDomainRoutes(AdminRoutes& routes, EndpointService& service);
// Scopes collections:read / collections:write. `service` must outlive the routes.
void AddCollectionRoutes(AdminRoutes& routes, EndpointService& service);

}  // namespace edgegate::admin
