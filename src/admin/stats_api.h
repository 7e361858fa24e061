// Registers GET /api/stats: a one-call summary of the gateway for dashboards and `edgegate
// status` (endpoint counts, data-plane request counters, uptime, handler versions). The data
// plane lives in host/, which admin may not include: server/ passes its counters in through
// StatsSources.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "admin/routes.h"
#include "handlers/registry.h"
#include "store/store.h"

namespace edgegate::admin {

// The data plane's counters since start-up (sums of its sharded counters).
struct DataPlaneCounters {
  uint64_t requests = 0;        // every request the data plane answered
  uint64_t handler_errors = 0;  // 5xx answered by or for a handler
  uint64_t not_found = 0;       // no route matched
};

// Where the figures come from. Each callee must be thread-safe and outlive the routes.
struct StatsSources {
  std::function<DataPlaneCounters()> data_plane;  // empty = all zero
  handlers::Registry* registry = nullptr;         // null = versions 0
  std::chrono::steady_clock::time_point started;  // the gateway's start-up time
};

// GET /api/stats (scope endpoints:read) →
//   {endpoints_total, endpoints_running, requests_handled, errors, not_found, uptime_seconds,
//    versions_loaded, versions_draining}
// `store` must outlive the routes.
void AddStatsRoutes(AdminRoutes& routes, store::Store& store, StatsSources sources);

}  // namespace edgegate::admin
