// The service routes of the admin API (/api/services..., /api/endpoints/{id}/services...,
// /api/service-types) and ServiceAdmin, which keeps the running actors (services::ServiceManager)
// in step with the store: create/update/delete, activate/deactivate, bindings, and restoring
// the activated services at start-up.
#pragma once

#include "admin/routes.h"
#include "services/manager.h"
#include "store/store.h"

namespace edgegate::telemetry {
class MetricsRegistry;
}

namespace edgegate::admin {

// Thread-safe (the store and the manager are).
class ServiceAdmin {
 public:
  ServiceAdmin(store::Store& store, services::ServiceManager& manager)
      : store_(store), manager_(manager) {}

  // Loads every service and binding into the manager and activates the services stored as
  // enabled. A service whose stored config no longer validates is left stopped (logged).
  base::Status RestoreAll();
  // Re-reads services and bindings from the store into the manager (after any change).
  base::Status Sync();

  store::Store& store() { return store_; }
  services::ServiceManager& manager() { return manager_; }

 private:
  store::Store& store_;
  services::ServiceManager& manager_;
};

// Scopes services:read / services:write (bindings: endpoints:write, they change an endpoint).
// `admin` must outlive the routes.
void AddServiceRoutes(AdminRoutes& routes, ServiceAdmin& admin);

// Adds the edgegate_service_* families (per active service: calls, errors, timeouts, busy
// refusals, call latency histogram, inbox depth, connections open and in use) to `metrics`.
// Labels: service name and type (bounded by the services configured).
void AddServiceCollector(telemetry::MetricsRegistry& metrics, services::ServiceManager& manager);

// The manager's view of a stored service (type resolved, config parsed and validated).
base::Result<services::ServiceSpec> SpecOf(const store::ServiceRecord& record);

}  // namespace edgegate::admin
