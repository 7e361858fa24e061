// The data plane: the http::Dispatcher that routes each request through the current route table
// snapshot to its endpoint's active handler version and calls it through the C ABI.
//
// Snapshots are published by the admin side (Publish) off the request path. Each connection's
// session keeps its own reference to the snapshot and refreshes it only when the published
// generation changes, so the request path takes no lock and touches no shared reference count.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "base/sharded_counter.h"
#include "base/status.h"
#include "handlers/registry.h"
#include "http/dispatcher.h"
#include "router/route_table.h"

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

// Thread-safe.
class DataPlane : public http::Dispatcher {
 public:
  DataPlane();
  // Builds a table from `routes` and publishes it. InvalidArgument / AlreadyExists from the
  // router; nothing is published on error.
  base::Status Publish(std::vector<handlers::RouteEntry> routes);
  std::unique_ptr<http::Session> NewSession() override;

  DataPlaneStats& stats() { return stats_; }
  // The current snapshot and its generation.
  std::shared_ptr<const RouteSnapshot> Current(uint64_t* generation);
  // Cheap check for sessions: the generation last published.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::mutex mu_;
  std::shared_ptr<const RouteSnapshot> current_;  // guarded by mu_
  std::atomic<uint64_t> generation_{0};
  DataPlaneStats stats_;
};

}  // namespace edgegate::host
