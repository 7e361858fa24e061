// The data plane: the http::Dispatcher that routes each request through the current route table
// snapshot to its endpoint's active handler version and calls it through the C ABI.
//
// Snapshots are published by the admin side (Publish) off the request path. Each connection's
// session keeps its own reference to the snapshot and refreshes it only when the published
// generation changes, so the request path takes no lock and touches no shared reference count.
// A session hands its old reference to the plane's reclaimer thread instead of dropping it: the
// last owner frees the whole table (about 0.8 ms at 10,000 routes), and that must not be a loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "base/reclaimer.h"
#include "base/sharded_counter.h"
#include "base/status.h"
#include "handlers/registry.h"
#include "http/dispatcher.h"
#include "router/route_table.h"
#include "telemetry/access_log.h"
#include "telemetry/tick_clock.h"

namespace edgegate::services {
class ServiceManager;
}

namespace edgegate::host {

// An immutable routing snapshot: the table, and the slot of each route id.
struct RouteSnapshot {
  std::shared_ptr<const router::RouteTable> table;
  std::vector<std::shared_ptr<handlers::EndpointSlot>> slots;  // index = route id
};

// Counters of the data plane, sharded per thread (no shared cache line on the request path).
// Thread-safe.
struct DataPlaneStats {
  base::ShardedCounter requests;
  base::ShardedCounter handler_errors;  // 5xx answered by or for a handler
  base::ShardedCounter not_found;
};

struct DataPlaneOptions {
  // One JSON line per request when set; must outlive the plane and its sessions.
  telemetry::AccessLog* access_log = nullptr;
};

// Thread-safe. Per request it also records the serving version's RequestStats (status class,
// latency; see HandlerVersion::stats) and, when configured, an access log line.
class DataPlane : public http::Dispatcher {
 public:
  explicit DataPlane(const DataPlaneOptions& options = {});
  // Builds a table from `routes` and publishes it. InvalidArgument / AlreadyExists from the
  // router; nothing is published on error.
  base::Status Publish(std::vector<handlers::RouteEntry> routes);
  std::unique_ptr<http::Session> NewSession() override;

  DataPlaneStats& stats() { return stats_; }
  // The services handlers reach (ctx.db(...)...); null = none. Set before serving starts.
  void SetServices(services::ServiceManager* services) { services_ = services; }
  services::ServiceManager* services() const { return services_; }
  telemetry::AccessLog* access_log() const { return options_.access_log; }
  const telemetry::TickClock& clock() const { return clock_; }  // TickClock::Shared()
  // The current snapshot and its generation.
  std::shared_ptr<const RouteSnapshot> Current(uint64_t* generation);
  // Cheap check for sessions: the generation last published.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Takes a reference to a snapshot its holder no longer needs; it is dropped (and the snapshot
  // freed, if that was the last reference) on the reclaimer thread. Never blocks.
  void Retire(std::shared_ptr<const RouteSnapshot> snapshot) {
    reclaimer_.Retire(std::move(snapshot));
  }

 private:
  const DataPlaneOptions options_;
  const telemetry::TickClock& clock_;  // request latencies (Shared(), calibrated by then)
  std::mutex mu_;
  std::shared_ptr<const RouteSnapshot> current_;  // guarded by mu_
  std::atomic<uint64_t> generation_{0};
  DataPlaneStats stats_;
  services::ServiceManager* services_ = nullptr;
  base::Reclaimer reclaimer_;  // last: destroyed first, dropping what sessions retired
};

}  // namespace edgegate::host
