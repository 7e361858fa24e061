// Registers GET /metrics (Prometheus text format 0.0.4) on the admin API, and the collectors of
// the gateway's own figures. Other modules add their collectors to the same MetricsRegistry
// (service actors: edgegate_service_*).
//
// Families written by AddGatewayCollectors (labels: endpoint = endpoint id, route = "METHOD
// /path/{template}", version = handler version; never raw request paths, so cardinality is
// bounded by endpoints × loaded versions; a deleted endpoint's series disappear, as do those of
// an unloaded version):
//   edgegate_requests_total{endpoint,route,version,class}    counter, class 1xx..5xx
//   edgegate_request_duration_seconds{endpoint,route,version} histogram (telemetry::kLatencyBuckets)
//   edgegate_requests_in_flight{endpoint,route,version}      gauge
//   edgegate_handler_versions{state="loaded"|"draining"}     gauge
//   edgegate_compiles_total{result}, edgegate_compile_duration_seconds
//   edgegate_data_plane_requests_total, edgegate_data_plane_not_found_total,
//   edgegate_data_plane_handler_errors_total, edgegate_uptime_seconds,
//   edgegate_open_connections{listener="data"|"admin"}, edgegate_endpoints{status},
//   edgegate_access_log_dropped_total (with --access-log)
#pragma once

#include <cstdint>
#include <functional>

#include "admin/routes.h"
#include "admin/stats_api.h"
#include "store/store.h"
#include "telemetry/access_log.h"
#include "telemetry/metrics.h"

namespace edgegate::admin {

struct MetricsRouteOptions {
  // False (default): scrapers need no key (the admin listener is loopback by default). True:
  // a key with endpoints:read is required, like GET /api/stats.
  bool require_key = false;
};

// GET /metrics. `metrics` must outlive the routes.
void AddMetricsRoutes(AdminRoutes& routes, telemetry::MetricsRegistry& metrics,
                      MetricsRouteOptions options = {});

// Where the gateway's figures come from; each callee thread-safe and outliving the registry.
struct GatewayMetricsSources {
  StatsSources stats;                                // data-plane counters, registry, start time
  std::function<uint64_t()> data_connections;        // open data-plane connections
  std::function<uint64_t()> admin_connections;       // open admin connections
  const telemetry::CompileStats* compiles = nullptr;  // null: no compile families
  const telemetry::AccessLog* access_log = nullptr;   // null: access log off
};

// Adds the collectors of the families listed above. `store` must outlive `metrics`.
void AddGatewayCollectors(telemetry::MetricsRegistry& metrics, store::Store& store,
                          GatewayMetricsSources sources);

}  // namespace edgegate::admin
