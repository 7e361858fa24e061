// GET /api/stats (see stats_api.h). Endpoint counts come from the store, the rest from the
// sources server/ wires in; every figure is read fresh per request (cheap: sums of a few shards
// and one registry lock).
#include "admin/stats_api.h"

#include <boost/json/object.hpp>
#include <memory>
#include <utility>

namespace edgegate::admin {
namespace json = boost::json;

namespace {

// Route handler; borrows the store, owns the sources.
class StatsRoutes {
 public:
  StatsRoutes(store::Store& store, StatsSources sources)
      : store_(store), sources_(std::move(sources)) {}

  Reply Get(AdminCall&) {
    auto total = store_.ListEndpoints({});
    if (!total.ok()) return Error(total.status());
    store::EndpointFilter running_filter;
    running_filter.status = "running";
    auto running = store_.ListEndpoints(running_filter);
    if (!running.ok()) return Error(running.status());
    DataPlaneCounters counters = sources_.data_plane ? sources_.data_plane() : DataPlaneCounters{};
    handlers::RegistryStats versions =
        sources_.registry ? sources_.registry->Stats() : handlers::RegistryStats{};
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - sources_.started);
    return Ok(json::object{{"endpoints_total", total->size()},
                           {"endpoints_running", running->size()},
                           {"requests_handled", counters.requests},
                           {"errors", counters.handler_errors},
                           {"not_found", counters.not_found},
                           {"uptime_seconds", uptime.count()},
                           {"versions_loaded", versions.loaded},
                           {"versions_draining", versions.draining}});
  }

 private:
  store::Store& store_;
  const StatsSources sources_;
};

}  // namespace

void AddStatsRoutes(AdminRoutes& routes, store::Store& store, StatsSources sources) {
  auto r = std::make_shared<StatsRoutes>(store, std::move(sources));
  routes.Add("GET", "/api/stats", "endpoints:read", [r](AdminCall& call) { return r->Get(call); });
}

}  // namespace edgegate::admin
