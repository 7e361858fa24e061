// Construction and lifecycle of the gateway's components.
#include "server/gateway.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "admin/api.h"
#include "admin/auth.h"
#include "admin/domains_api.h"
#include "admin/endpoints.h"
#include "admin/endpoints_api.h"
#include "admin/import_api.h"
#include "admin/keys_api.h"
#include "admin/logs_api.h"
#include "admin/metrics_api.h"
#include "admin/services_api.h"
#include "admin/stats_api.h"
#include "base/log.h"
#include "handlers/compiler.h"
#include "handlers/registry.h"
#include "host/data_plane.h"
#include "http/server.h"
#include "services/manager.h"
#include "store/store.h"
#include "telemetry/access_log.h"
#include "telemetry/endpoint_log.h"
#include "telemetry/metrics.h"

namespace edgegate::server {
namespace fs = std::filesystem;

// Every component, in construction order; members are destroyed in reverse, so servers (which
// call into everything) go first and the store goes last.
class GatewayParts {
 public:
  config::ServeOptions options;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::unique_ptr<store::Store> store;
  // Telemetry outlives everything that records into it (registry reaper, loops, admin routes).
  std::unique_ptr<telemetry::LogHub> logs;
  std::unique_ptr<telemetry::CompileStats> compiles;
  std::unique_ptr<telemetry::MetricsRegistry> metrics;
  std::unique_ptr<telemetry::AccessLog> access_log;  // null when off
  std::unique_ptr<admin::KeyRing> keys;
  std::unique_ptr<handlers::Compiler> compiler;
  std::unique_ptr<handlers::Registry> registry;
  std::unique_ptr<services::ServiceManager> services;
  std::unique_ptr<admin::ServiceAdmin> service_admin;
  std::unique_ptr<host::DataPlane> data_plane;
  std::unique_ptr<admin::EndpointService> endpoints;
  std::unique_ptr<admin::AdminApi> admin_api;
  std::unique_ptr<http::Server> data_server;
  std::unique_ptr<http::Server> admin_server;
};

namespace {

constexpr const char* kVersion = "0.1.0";

fs::path ExecutableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

int DefaultThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

base::Status CreateDataDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "handlers", ec);
  if (!ec) fs::create_directories(dir / "cache", ec);
  if (ec) {
    return base::FieldError("data-dir", "cannot create data dir " + dir.string() + ": " +
                                            ec.message());
  }
  return base::OkStatus();
}

base::Status BuildTelemetry(GatewayParts& p) {
  const config::ServeOptions& o = p.options;
  telemetry::LogLimits limits;
  limits.max_entries = o.endpoint_log_entries;
  limits.max_bytes = o.endpoint_log_bytes;
  p.logs = std::make_unique<telemetry::LogHub>(limits);
  p.compiles = std::make_unique<telemetry::CompileStats>();
  p.metrics = std::make_unique<telemetry::MetricsRegistry>();
  if (!o.access_log.empty()) {
    telemetry::AccessLogOptions aopts;
    aopts.path = o.access_log;
    aopts.include_query = o.access_log_query;
    ASSIGN_OR_RETURN(p.access_log, telemetry::AccessLog::Open(aopts));
  }
  return base::OkStatus();
}

// /metrics: the gateway's collectors (other modules add theirs to p.metrics).
void AddMetrics(GatewayParts& p, admin::AdminRoutes& routes, admin::StatsSources stats) {
  admin::GatewayMetricsSources sources;
  sources.stats = std::move(stats);
  GatewayParts* parts = &p;
  sources.data_connections = [parts] {
    return parts->data_server ? parts->data_server->open_connections() : 0;
  };
  sources.admin_connections = [parts] {
    return parts->admin_server ? parts->admin_server->open_connections() : 0;
  };
  sources.compiles = p.compiles.get();
  sources.access_log = p.access_log.get();
  admin::AddGatewayCollectors(*p.metrics, *p.store, std::move(sources));
  admin::MetricsRouteOptions mopts;
  mopts.require_key = p.options.metrics_require_key;
  admin::AddMetricsRoutes(routes, *p.metrics, mopts);
}

base::Status BuildCore(GatewayParts& p, std::optional<std::string> env_admin_key) {
  const config::ServeOptions& o = p.options;
  RETURN_IF_ERROR(CreateDataDir(o.data_dir));
  ASSIGN_OR_RETURN(p.store, store::Store::Open(o.data_dir / "edgegate.db"));
  p.keys = std::make_unique<admin::KeyRing>(*p.store);
  ASSIGN_OR_RETURN(std::optional<std::string> generated,
                   p.keys->Bootstrap(o.data_dir, std::move(env_admin_key)));
  if (generated) {
    std::string path = fs::absolute(o.data_dir / "admin.key").string();
    std::printf("Generated the bootstrap admin key (shown once, also saved to %s):\n  %s\n",
                path.c_str(), generated->c_str());
    std::fflush(stdout);
  }
  handlers::CompilerOptions copts;
  copts.cxx = o.cxx;
  ASSIGN_OR_RETURN(std::string sdk, FindSdkDir(o.sdk_dir.string()));
  copts.sdk_dir = sdk;
  copts.cache_dir = o.data_dir / "cache";
  copts.timeout = o.compile_timeout;
  copts.max_parallel = o.max_builds;
  copts.allowed_libs = o.allow_libs;
  ASSIGN_OR_RETURN(p.compiler, handlers::Compiler::Create(copts));
  RETURN_IF_ERROR(BuildTelemetry(p));
  handlers::RegistryOptions ropts;
  ropts.drain_timeout = o.drain_timeout;
  ropts.logs = p.logs.get();
  p.registry = std::make_unique<handlers::Registry>(ropts);
  return base::OkStatus();
}

base::Status BuildServing(GatewayParts& p) {
  const config::ServeOptions& o = p.options;
  host::DataPlaneOptions dopts;
  dopts.access_log = p.access_log.get();
  p.data_plane = std::make_unique<host::DataPlane>(dopts);
  admin::EndpointServiceOptions eopts;
  eopts.handlers_dir = fs::absolute(o.data_dir / "handlers");
  eopts.logs = p.logs.get();
  eopts.compiles = p.compiles.get();
  host::DataPlane* plane = p.data_plane.get();
  eopts.publish = [plane](std::vector<handlers::RouteEntry> routes) {
    return plane->Publish(std::move(routes));
  };
  p.endpoints = std::make_unique<admin::EndpointService>(*p.store, *p.compiler, *p.registry, eopts);
  RETURN_IF_ERROR(p.endpoints->RestoreAll(admin::AdminApi::InlineOffloader()));
  admin::AdminRoutes routes;
  admin::AddEndpointRoutes(routes, *p.endpoints);
  admin::AddKeyRoutes(routes, *p.keys);
  admin::AddDomainRoutes(routes, *p.endpoints);
  admin::AddCollectionRoutes(routes, *p.endpoints);
  admin::AddImportRoutes(routes, *p.endpoints);
  p.services = std::make_unique<services::ServiceManager>();
  p.service_admin = std::make_unique<admin::ServiceAdmin>(*p.store, *p.services);
  RETURN_IF_ERROR(p.service_admin->RestoreAll());
  p.data_plane->SetServices(p.services.get());
  admin::AddServiceRoutes(routes, *p.service_admin);
  admin::AddServiceCollector(*p.metrics, *p.services);
  admin::StatsSources stats;
  stats.data_plane = [plane] {
    host::DataPlaneStats& s = plane->stats();
    return admin::DataPlaneCounters{s.requests.Sum(), s.handler_errors.Sum(), s.not_found.Sum()};
  };
  stats.registry = p.registry.get();
  stats.started = p.started;
  AddMetrics(p, routes, stats);
  admin::AddLogRoutes(routes, *p.store, *p.logs);
  admin::AddStatsRoutes(routes, *p.store, std::move(stats));
  admin::AdminApiOptions aopts;
  aopts.version = kVersion;
  aopts.blocking_workers = o.max_builds;
  p.admin_api = std::make_unique<admin::AdminApi>(aopts, *p.keys, std::move(routes));

  http::ServerOptions data;
  data.name = "data plane";
  data.listen = o.listen;
  data.threads = o.threads > 0 ? o.threads : DefaultThreads();
  data.limits = o.limits;
  ASSIGN_OR_RETURN(p.data_server, http::Server::Create(data, *p.data_plane));
  http::ServerOptions admin;
  admin.name = "admin";
  admin.listen = o.admin_listen;
  admin.threads = 1;
  admin.background = true;  // deploys must not delay the data plane (base/thread_priority.h)
  admin.limits = o.limits;
  admin.limits.max_body_bytes = std::max<uint64_t>(o.limits.max_body_bytes, 8u << 20);
  auto admin_server = http::Server::Create(admin, *p.admin_api);
  if (!admin_server.ok()) {
    return base::FieldError("admin-listen", admin_server.status().message());
  }
  p.admin_server = std::move(admin_server).value();
  return base::OkStatus();
}

}  // namespace

base::Result<std::string> FindSdkDir(const std::string& configured) {
  std::vector<fs::path> candidates;
  if (!configured.empty()) {
    candidates.push_back(configured);
  } else {
    fs::path exe = ExecutableDir();
    candidates = {exe / "sdk", exe / ".." / "sdk", exe / ".." / ".." / "sdk",
                  exe / ".." / "share" / "edgegate" / "sdk"};
  }
  for (const fs::path& c : candidates) {
    if (fs::exists(c / "include" / "edgegate" / "sdk.hpp")) {
      return fs::canonical(c).string();
    }
  }
  return base::FieldError("sdk-dir", "handler SDK not found (looked in " +
                                         candidates.front().string() + " and next to the binary);"
                                         " pass --sdk-dir");
}

Gateway::Gateway(std::unique_ptr<GatewayParts> parts) : parts_(std::move(parts)) {}
Gateway::~Gateway() = default;

base::Result<std::unique_ptr<Gateway>> Gateway::Create(const config::ServeOptions& options,
                                                       std::optional<std::string> env_admin_key) {
  RETURN_IF_ERROR(config::Validate(options));
  auto parts = std::make_unique<GatewayParts>();
  parts->options = options;
  RETURN_IF_ERROR(BuildCore(*parts, std::move(env_admin_key)));
  RETURN_IF_ERROR(BuildServing(*parts));
  return std::unique_ptr<Gateway>(new Gateway(std::move(parts)));
}

void Gateway::Start() {
  parts_->data_server->Start();
  parts_->admin_server->Start();
  base::Log(base::LogLevel::kInfo,
            "data plane listening on " + parts_->options.listen.host + ":" +
                std::to_string(data_port()) + ", admin API on " +
                parts_->options.admin_listen.host + ":" + std::to_string(admin_port()));
}

bool Gateway::Shutdown() {
  GatewayParts& p = *parts_;
  p.data_server->BeginShutdown();
  p.admin_server->BeginShutdown();
  auto deadline = std::chrono::steady_clock::now() + p.options.shutdown_grace;
  bool clean = p.data_server->WaitForConnections(deadline);
  clean = p.admin_server->WaitForConnections(deadline) && clean;
  // Before the loops stop: calls still queued in actors are answered ("stopped") on their
  // loops, so no request coroutine is left suspended when the loops go away.
  p.services->StopAll();
  p.data_server->Stop();
  p.admin_server->Stop();
  if (!clean) {
    base::Log(base::LogLevel::kWarn, "shutdown grace period over with connections still open");
  }
  return clean;
}

uint16_t Gateway::data_port() const { return parts_->data_server->port(); }
uint16_t Gateway::admin_port() const { return parts_->admin_server->port(); }

}  // namespace edgegate::server
