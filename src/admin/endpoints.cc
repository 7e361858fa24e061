// Endpoint lifecycle: validation, builds into immutable version directories, activation.
#include "admin/endpoints.h"

#include <algorithm>

#include "admin/api.h"
#include "admin/reply.h"
#include "base/log.h"
#include "base/random.h"
#include "router/pattern.h"

namespace edgegate::admin {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxNameLength = 200;

void Remove(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

}  // namespace

json::object EndpointToJson(const store::EndpointRecord& e, bool with_code) {
  json::object o;
  o["id"] = e.id;
  o["name"] = e.name;
  o["path"] = e.path;
  o["method"] = e.method;
  o["domain"] = e.domain;
  o["collection_id"] = e.collection_id ? json::value(*e.collection_id) : json::value(nullptr);
  o["description"] = e.description;
  if (with_code) {
    o["code"] = e.code;
  }
  json::array deps;
  for (const auto& d : e.dependencies) deps.emplace_back(d);
  o["dependencies"] = std::move(deps);
  o["enabled"] = e.enabled;
  o["status"] = e.status;
  o["active_version"] = e.active_version ? json::value(*e.active_version) : json::value(nullptr);
  o["created_at"] = store::FormatTimestamp(e.created_at);
  o["updated_at"] = store::FormatTimestamp(e.updated_at);
  return o;
}

json::array DiagnosticsToJson(const std::vector<handlers::Diagnostic>& diagnostics) {
  json::array out;
  for (const auto& d : diagnostics) {
    out.push_back(json::object{{"file", d.file},
                               {"line", d.line},
                               {"column", d.column},
                               {"severity", d.severity},
                               {"message", d.message}});
  }
  return out;
}

EndpointService::EndpointService(store::Store& store, handlers::Compiler& compiler,
                                 handlers::Registry& registry, EndpointServiceOptions options)
    : store_(store),
      compiler_(compiler),
      registry_(registry),
      options_(std::move(options)),
      events_(options_.logs, options_.compiles) {}

base::Status EndpointService::ApplyFields(store::EndpointRecord& r, const json::object& body) {
  if (auto v = GetString(body, "name")) r.name = *v;
  if (auto v = GetString(body, "path")) r.path = *v;
  if (auto v = GetString(body, "method")) r.method = *v;
  if (auto v = GetString(body, "domain")) r.domain = *v;
  if (auto v = GetString(body, "description")) r.description = *v;
  if (auto v = GetString(body, "code")) r.code = *v;
  if (auto v = GetBool(body, "enabled")) r.enabled = *v;
  if (auto v = GetStringArray(body, "dependencies")) r.dependencies = *v;
  if (auto it = body.find("collection_id"); it != body.end()) {
    r.collection_id = it->value().is_string()
                          ? std::optional<std::string>(std::string(it->value().as_string()))
                          : std::nullopt;
  }
  return ValidateRecord(r, GetString(body, "domain").has_value());
}

base::Status EndpointService::ValidateRecord(store::EndpointRecord& r, bool domain_given) {
  if (r.name.empty() || r.name.size() > kMaxNameLength) {
    return base::FieldError("name", "name must be 1 to 200 characters");
  }
  RETURN_IF_ERROR(router::ValidateMethod(r.method));
  r.method = router::NormalizeMethod(r.method);
  RETURN_IF_ERROR(router::ValidateHostPattern(r.domain));
  r.domain = router::NormalizeHostPattern(r.domain);
  ASSIGN_OR_RETURN(router::PathPattern pattern, router::ParsePathPattern(r.path));
  r.route_shape = router::RouteShape(pattern);
  if (r.collection_id) {
    RETURN_IF_ERROR(PlaceInCollection(r, domain_given));
  }
  const auto& allowed = compiler_.options().allowed_libs;
  for (const std::string& dep : r.dependencies) {
    if (std::find(allowed.begin(), allowed.end(), dep) == allowed.end()) {
      return base::FieldError("dependencies", "package '" + dep +
                                                  "' is not allowed (the operator allows it "
                                                  "with --allow-lib)");
    }
  }
  return base::OkStatus();
}

// An endpoint in a collection is routed at the host of the collection's domain and at
// base_path + path; its record says so (see store::EndpointRecord), which keeps the store's
// unique route index equal to the route table's duplicate rule.
base::Status EndpointService::PlaceInCollection(store::EndpointRecord& r, bool domain_given) {
  base::Result<store::CollectionRecord> collection = store_.GetCollection(*r.collection_id);
  if (!collection.ok()) {
    return collection.status().code() == base::Code::kNotFound
               ? base::FieldError("collection_id", collection.status().message())
               : collection.status();
  }
  ASSIGN_OR_RETURN(store::DomainRecord domain, store_.GetDomain(collection->domain_id));
  if (domain_given && r.domain != domain.host) {
    return base::FieldError("domain", "an endpoint in collection " + collection->id +
                                          " has its domain's host '" + domain.host +
                                          "' as domain; leave domain out or send that host");
  }
  r.domain = domain.host;
  base::Result<router::PathPattern> routed =
      router::ParsePathPattern(store::JoinBasePath(collection->base_path, r.path));
  if (!routed.ok()) {
    return base::FieldError("path",
                            "under the collection's base_path: " + routed.status().message());
  }
  r.route_shape = router::RouteShape(*routed);
  return base::OkStatus();
}

base::Result<store::EndpointRecord> EndpointService::Create(const json::object& body) {
  store::EndpointRecord record;
  record.id = base::NewUuid();
  record.domain = "*";
  RETURN_IF_ERROR(ApplyFields(record, body));
  RETURN_IF_ERROR(store_.CreateEndpoint(record));
  events_.Lifecycle(record.id, "endpoint created: " + record.method + " " + record.path);
  return store_.GetEndpoint(record.id);
}

base::Result<store::EndpointRecord> EndpointService::Update(const std::string& id,
                                                            const json::object& body) {
  ASSIGN_OR_RETURN(store::EndpointRecord record, store_.GetEndpoint(id));
  RETURN_IF_ERROR(ApplyFields(record, body));
  RETURN_IF_ERROR(store_.UpdateEndpoint(record));
  events_.Lifecycle(id, "endpoint updated: " + record.method + " " + record.path);
  if (record.status == "running") {
    RETURN_IF_ERROR(PublishRoutes());
  }
  return store_.GetEndpoint(id);
}

base::Status EndpointService::Delete(const std::string& id) {
  RETURN_IF_ERROR(store_.GetEndpoint(id).status());
  RETURN_IF_ERROR(store_.DeleteEndpoint(id));
  RETURN_IF_ERROR(PublishRoutes());  // no new request reaches it...
  registry_.Remove(id);              // ...and the in-flight ones drain before unloading
  events_.Deleted(id);
  return base::OkStatus();
}

base::Result<store::EndpointRecord> EndpointService::Get(const std::string& id) {
  return store_.GetEndpoint(id);
}

base::Status EndpointService::PutCode(const std::string& id, std::string code) {
  ASSIGN_OR_RETURN(store::EndpointRecord record, store_.GetEndpoint(id));
  record.code = std::move(code);
  return store_.UpdateEndpoint(record);
}

base::Result<CompileResult> EndpointService::Compile(const std::string& id, Offloader& offloader) {
  ASSIGN_OR_RETURN(store::EndpointRecord endpoint, store_.GetEndpoint(id));
  if (endpoint.code.empty()) {
    return base::FieldError("code", "endpoint has no code to compile");
  }
  ASSIGN_OR_RETURN(std::optional<CompileResult> reusable, FindReusable(endpoint));
  if (reusable) {
    return std::move(*reusable);
  }
  fs::path staging = options_.handlers_dir / id / ("staging-" + base::RandomHex(8));
  handlers::BuildRequest request{endpoint.code, endpoint.dependencies, staging};
  base::Result<handlers::BuildOutput> built = base::Internal("build did not run");
  offloader.Run([&] { built = compiler_.Build(request); });
  if (!built.ok()) {
    Remove(staging);
    return built.status();
  }
  CompileResult result;
  result.build = std::move(built).value();
  if (result.build.success) {
    // Code with dependencies is keyed only now (pkg-config runs once, here on the pool), and
    // another call may have built the same inputs meanwhile.
    ASSIGN_OR_RETURN(auto existing, store_.FindVersionByHash(id, result.build.hash));
    if (existing && existing->state != "failed") {
      Remove(staging);  // same inputs as a version we have: reuse it, no new version
      return Reuse(id, std::move(result.build), std::move(*existing));
    }
  }
  store::VersionRecord version;
  version.endpoint_id = id;
  version.hash = result.build.hash;
  version.source = endpoint.code;
  version.dependencies = endpoint.dependencies;
  version.state = result.build.success ? "compiled" : "failed";
  ASSIGN_OR_RETURN(result.version, store_.AddVersion(version));
  fs::path final_dir = VersionDir(id, result.version.version);
  std::error_code ec;
  fs::rename(staging, final_dir, ec);
  if (ec) {
    return base::Internal("cannot move build to " + final_dir.string() + ": " + ec.message());
  }
  result.version.library_path = (final_dir / "handler.so").string();
  events_.Compiled(id, result.build, result.version.version, false);
  if (endpoint.status == "created" || endpoint.status == "error") {
    RETURN_IF_ERROR(store_.SetEndpointStatus(id, result.build.success ? "compiled" : "error",
                                             endpoint.active_version));
  }
  return result;
}

// Keyed before building: a deploy of code an earlier version was built from (a rollback, or
// alternating versions) then costs no staging directory, no copy of the library and no remove.
// Only code without dependencies: its key is a hash of the source, cheap on this thread, while
// keying dependencies runs pkg-config, which Build would then run again.
base::Result<std::optional<CompileResult>> EndpointService::FindReusable(
    const store::EndpointRecord& endpoint) {
  if (!endpoint.dependencies.empty()) {
    return std::optional<CompileResult>();
  }
  base::Result<std::string> key = compiler_.KeyOf(endpoint.code, {});
  if (!key.ok()) {
    return std::optional<CompileResult>();  // Build reports why
  }
  ASSIGN_OR_RETURN(auto existing, store_.FindVersionByHash(endpoint.id, *key));
  if (!existing || existing->state == "failed") {
    return std::optional<CompileResult>();
  }
  handlers::BuildOutput build;
  build.success = true;
  build.cached = true;
  build.hash = std::move(*key);
  return std::optional<CompileResult>(Reuse(endpoint.id, std::move(build), std::move(*existing)));
}

CompileResult EndpointService::Reuse(const std::string& id, handlers::BuildOutput build,
                                     store::VersionRecord existing) {
  CompileResult result;
  result.build = std::move(build);
  result.version = std::move(existing);
  result.reused = true;
  events_.Compiled(id, result.build, result.version.version, true);
  return result;
}

fs::path EndpointService::VersionDir(const std::string& id, int64_t version) const {
  return options_.handlers_dir / id / std::to_string(version);
}

base::Result<std::shared_ptr<handlers::HandlerVersion>> EndpointService::LoadVersion(
    const store::VersionRecord& version) {
  if (auto loaded = registry_.Find(version.endpoint_id, version.version)) {
    return loaded;
  }
  fs::path library = VersionDir(version.endpoint_id, version.version) / "handler.so";
  return registry_.Load(version.endpoint_id, version.version, version.hash, library.string());
}

base::Result<StartResult> EndpointService::Start(const std::string& id) {
  ASSIGN_OR_RETURN(std::vector<store::VersionRecord> versions, store_.ListVersions(id));
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->state != "failed") {
      return Activate(id, it->version);
    }
  }
  return base::FailedPrecondition("endpoint " + id + " has no compiled version: compile it first");
}

base::Result<StartResult> EndpointService::Activate(const std::string& id, int64_t number) {
  ASSIGN_OR_RETURN(store::EndpointRecord endpoint, store_.GetEndpoint(id));
  ASSIGN_OR_RETURN(store::VersionRecord version, store_.GetVersion(id, number));
  ASSIGN_OR_RETURN(std::shared_ptr<handlers::HandlerVersion> loaded, LoadVersion(version));
  RETURN_IF_ERROR(store_.ActivateVersion(id, number));
  StartResult result;
  result.version = number;
  ASSIGN_OR_RETURN(result.previous_version, registry_.Activate(loaded));
  events_.Started(id, number, result.previous_version);
  if (endpoint.status != "running") {
    RETURN_IF_ERROR(PublishRoutes());
  }
  return result;
}

base::Status EndpointService::Stop(const std::string& id) {
  ASSIGN_OR_RETURN(store::EndpointRecord endpoint, store_.GetEndpoint(id));
  if (endpoint.active_version) {
    RETURN_IF_ERROR(store_.SetVersionState(id, *endpoint.active_version, "draining"));
  }
  RETURN_IF_ERROR(store_.SetEndpointStatus(id, "stopped", std::nullopt));
  RETURN_IF_ERROR(PublishRoutes());
  registry_.Deactivate(id);
  events_.Lifecycle(id, "stopped", endpoint.active_version.value_or(0));
  return base::OkStatus();
}

base::Result<json::array> EndpointService::Versions(const std::string& id) {
  ASSIGN_OR_RETURN(std::vector<store::VersionRecord> versions, store_.ListVersions(id));
  std::vector<handlers::VersionInfo> live = registry_.Versions(id);
  json::array out;
  for (const auto& v : versions) {
    json::object o{{"version", v.version},
                   {"hash", v.hash},
                   {"in_flight", 0},
                   {"created_at", store::FormatTimestamp(v.created_at)}};
    std::string state = v.state;
    if (state == "active" || state == "draining") {
      state = "unloaded";  // the store remembers it served; nothing of it is loaded now
    }
    for (const auto& info : live) {
      if (info.number != v.version) continue;
      state = info.state == handlers::VersionState::kLoaded
                  ? "compiled"
                  : std::string(handlers::VersionStateName(info.state));
      o["in_flight"] = info.in_flight;
      o["drain_overdue"] = info.drain_overdue;
      if (!info.unload_error.empty()) o["unload_error"] = info.unload_error;
    }
    o["state"] = state;
    out.push_back(std::move(o));
  }
  return out;
}

base::Status EndpointService::PublishRoutes() {
  ASSIGN_OR_RETURN(std::vector<store::RoutableEndpoint> routable, store_.ListRoutableEndpoints());
  std::vector<handlers::RouteEntry> routes;
  routes.reserve(routable.size());
  for (const auto& e : routable) {
    routes.push_back({e.host, e.method, store::JoinBasePath(e.base_path, e.path),
                      registry_.Slot(e.endpoint_id)});
  }
  return options_.publish(std::move(routes));
}

base::Status EndpointService::RetireDeleted(const std::vector<std::string>& endpoint_ids) {
  base::Status published = PublishRoutes();
  if (!published.ok()) {
    base::Log(base::LogLevel::kError,
              "routes not republished after a delete: " + published.message());
  }
  for (const std::string& id : endpoint_ids) {
    registry_.Remove(id);
    events_.Deleted(id);
  }
  return published;
}

base::Status EndpointService::ValidateForImport(store::EndpointRecord& record) {
  return ValidateRecord(record, /*domain_given=*/false);
}

base::Result<std::vector<store::ImportFailure>> EndpointService::ApplyImport(
    const store::ImportBatch& batch) {
  ASSIGN_OR_RETURN(std::vector<store::ImportFailure> failures, store_.ApplyImport(batch));
  if (failures.empty() && !batch.update.empty()) {
    RETURN_IF_ERROR(PublishRoutes());
  }
  return failures;
}

// Loads the active version of a running endpoint; rebuilds its library from the stored source
// if the file is gone (same inputs → same hash, so usually a cache hit).
base::Status EndpointService::RestoreOne(const store::EndpointRecord& endpoint,
                                         Offloader& offloader) {
  ASSIGN_OR_RETURN(store::VersionRecord version,
                   store_.GetVersion(endpoint.id, *endpoint.active_version));
  fs::path dir = VersionDir(endpoint.id, version.version);
  if (!fs::exists(dir / "handler.so")) {
    base::Log(base::LogLevel::kWarn, "endpoint " + endpoint.id + ": library of version " +
                                         std::to_string(version.version) + " missing; rebuilding");
    Remove(dir);
    base::Result<handlers::BuildOutput> built = base::Internal("build did not run");
    handlers::BuildRequest request{version.source, version.dependencies, dir};
    offloader.Run([&] { built = compiler_.Build(request); });
    RETURN_IF_ERROR(built.status());
    RETURN_IF_ERROR(built->status());
  }
  ASSIGN_OR_RETURN(std::shared_ptr<handlers::HandlerVersion> loaded, LoadVersion(version));
  RETURN_IF_ERROR(registry_.Activate(loaded).status());
  events_.Lifecycle(endpoint.id, "restored version " + std::to_string(version.version) +
                                     " at start-up", version.version);
  return base::OkStatus();
}

base::Status EndpointService::RestoreAll(Offloader& offloader) {
  store::EndpointFilter filter;
  filter.status = "running";
  filter.include_code = false;
  ASSIGN_OR_RETURN(std::vector<store::EndpointRecord> running, store_.ListEndpoints(filter));
  for (const auto& endpoint : running) {
    base::Status restored = endpoint.active_version
                                ? RestoreOne(endpoint, offloader)
                                : base::Internal("running without an active version");
    if (!restored.ok()) {
      base::Log(base::LogLevel::kError,
                "endpoint " + endpoint.id + " could not be restored: " + restored.message());
      RETURN_IF_ERROR(store_.SetEndpointStatus(endpoint.id, "error", std::nullopt));
    }
  }
  return PublishRoutes();
}

}  // namespace edgegate::admin
