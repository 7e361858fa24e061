// Registers the import routes of the admin API (scope import:write):
//   POST /api/import/openapi   JSON {spec, domain?, domain_id?, collection_id?, create_collection?}
//   POST /api/import/bundle    a ZIP (raw application/zip, or a multipart/form-data part named
//                              "file" or "bundle"), ?domain=&domain_id=&collection_id=
//                              &create_collection=&compile=&start=
// Both write all their endpoints in one transaction or nothing (every problem listed); a
// bundle's compile and start run after that commit, per endpoint. See docs/admin-api.md.
#pragma once

#include "admin/bundle.h"
#include "admin/endpoints.h"
#include "admin/openapi.h"
#include "admin/routes.h"

namespace edgegate::admin {

struct ImportApiOptions {
  SpecLimits spec;      // bounds on one spec (nodes, depth, operations)
  BundleLimits bundle;  // bounds on one bundle ZIP (entries, bytes, ratio)
};

// `service` must outlive the routes.
void AddImportRoutes(AdminRoutes& routes, EndpointService& service,
                     const ImportApiOptions& options = {});

}  // namespace edgegate::admin
