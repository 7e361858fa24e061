// GET /metrics and the gateway's collectors. Per-endpoint series are joined from two reads per
// scrape: the store's endpoint list (route labels; a deleted endpoint is absent) and the
// registry's live versions (their RequestStats, summed over the shards).
#include "admin/metrics_api.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace edgegate::admin {
namespace {

using telemetry::Label;
using telemetry::MetricsWriter;

constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

// One live version with its labels and figures, read once per scrape.
struct VersionSeries {
  std::string endpoint;
  std::string route;
  std::string version;
  telemetry::RequestStats::Snapshot stats;
  int64_t in_flight = 0;
};

std::vector<VersionSeries> ReadSeries(store::Store& store, handlers::Registry& registry) {
  std::map<std::string, std::string> routes;  // endpoint id → "METHOD /path"
  store::EndpointFilter filter;
  filter.include_code = false;
  if (auto endpoints = store.ListEndpoints(filter); endpoints.ok()) {
    for (const auto& e : *endpoints) routes[e.id] = e.method + " " + e.path;
  }
  std::vector<VersionSeries> out;
  for (const auto& v : registry.LiveVersions()) {
    auto route = routes.find(v->endpoint_id());
    if (route == routes.end()) continue;  // deleted: its series are gone
    out.push_back({v->endpoint_id(), route->second, std::to_string(v->number()),
                   v->stats().Read(), v->in_flight()});
  }
  return out;
}

void WriteEndpointFamilies(MetricsWriter& w, const std::vector<VersionSeries>& series) {
  w.Family("edgegate_requests_total", "counter",
           "Requests answered by a handler version, by status class");
  for (const auto& s : series) {
    for (size_t c = 0; c < std::size(kClasses); ++c) {
      Label labels[] = {{"endpoint", s.endpoint}, {"route", s.route}, {"version", s.version},
                        {"class", kClasses[c]}};
      w.Sample("edgegate_requests_total", labels, static_cast<double>(s.stats.by_class[c]));
    }
  }
  w.Family("edgegate_request_duration_seconds", "histogram",
           "Time from dispatch to the handler's response being ready");
  for (const auto& s : series) {
    Label labels[] = {{"endpoint", s.endpoint}, {"route", s.route}, {"version", s.version}};
    w.Histogram("edgegate_request_duration_seconds", labels, telemetry::kLatencyBuckets,
                s.stats.buckets, s.stats.sum_seconds);
  }
  w.Family("edgegate_requests_in_flight", "gauge", "Requests inside a handler version now");
  for (const auto& s : series) {
    Label labels[] = {{"endpoint", s.endpoint}, {"route", s.route}, {"version", s.version}};
    w.Sample("edgegate_requests_in_flight", labels, static_cast<double>(s.in_flight));
  }
}

void WriteCounter(MetricsWriter& w, std::string_view name, std::string_view help, double value,
                  std::string_view type = "counter") {
  w.Family(name, type, help);
  w.Sample(name, {}, value);
}

void WriteEndpointCounts(MetricsWriter& w, store::Store& store) {
  std::map<std::string, uint64_t> by_status;
  for (const char* status : {"created", "compiled", "running", "stopped", "error"}) {
    by_status[status] = 0;
  }
  store::EndpointFilter filter;
  if (auto endpoints = store.ListEndpoints(filter); endpoints.ok()) {
    for (const auto& e : *endpoints) ++by_status[e.status];
  }
  w.Family("edgegate_endpoints", "gauge", "Stored endpoints by status");
  for (const auto& [status, n] : by_status) {
    Label label{"status", status};
    w.Sample("edgegate_endpoints", {&label, 1}, static_cast<double>(n));
  }
}

void WriteGateway(MetricsWriter& w, store::Store& store, const GatewayMetricsSources& s) {
  DataPlaneCounters counters = s.stats.data_plane ? s.stats.data_plane() : DataPlaneCounters{};
  WriteCounter(w, "edgegate_data_plane_requests_total",
               "Requests the data plane answered (unrouted included)",
               static_cast<double>(counters.requests));
  WriteCounter(w, "edgegate_data_plane_not_found_total", "Requests no route matched",
               static_cast<double>(counters.not_found));
  WriteCounter(w, "edgegate_data_plane_handler_errors_total",
               "5xx answered by or for a handler", static_cast<double>(counters.handler_errors));
  handlers::RegistryStats versions =
      s.stats.registry ? s.stats.registry->Stats() : handlers::RegistryStats{};
  w.Family("edgegate_handler_versions", "gauge",
           "Handler libraries in memory (loaded: all of them; draining: replaced, finishing)");
  Label loaded{"state", "loaded"}, draining{"state", "draining"};
  w.Sample("edgegate_handler_versions", {&loaded, 1}, static_cast<double>(versions.loaded));
  w.Sample("edgegate_handler_versions", {&draining, 1}, static_cast<double>(versions.draining));
  WriteEndpointCounts(w, store);
  double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                s.stats.started).count();
  WriteCounter(w, "edgegate_uptime_seconds", "Seconds since the gateway started", uptime, "gauge");
  w.Family("edgegate_open_connections", "gauge", "Open client connections per listener");
  Label data{"listener", "data"}, admin{"listener", "admin"};
  w.Sample("edgegate_open_connections", {&data, 1},
           static_cast<double>(s.data_connections ? s.data_connections() : 0));
  w.Sample("edgegate_open_connections", {&admin, 1},
           static_cast<double>(s.admin_connections ? s.admin_connections() : 0));
  if (s.access_log != nullptr) {
    WriteCounter(w, "edgegate_access_log_dropped_total",
                 "Access log lines dropped because the writer could not keep up",
                 static_cast<double>(s.access_log->dropped()));
  }
}

}  // namespace

void AddMetricsRoutes(AdminRoutes& routes, telemetry::MetricsRegistry& metrics,
                      MetricsRouteOptions options) {
  telemetry::MetricsRegistry* m = &metrics;
  routes.Add("GET", "/metrics", options.require_key ? "endpoints:read" : "", [m](AdminCall&) {
    Reply reply;
    reply.raw_body = m->Render();
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return reply;
  });
}

void AddGatewayCollectors(telemetry::MetricsRegistry& metrics, store::Store& store,
                          GatewayMetricsSources sources) {
  auto s = std::make_shared<const GatewayMetricsSources>(std::move(sources));
  store::Store* st = &store;
  if (s->stats.registry != nullptr) {
    metrics.Add([s, st](MetricsWriter& w) {
      WriteEndpointFamilies(w, ReadSeries(*st, *s->stats.registry));
    });
  }
  if (s->compiles != nullptr) {
    metrics.Add([s](MetricsWriter& w) { s->compiles->Collect(w); });
  }
  metrics.Add([s, st](MetricsWriter& w) { WriteGateway(w, *st, *s); });
}

}  // namespace edgegate::admin
