// The endpoint lifecycle behind the admin API: create, edit, compile, start (hot swap), stop,
// delete, and restore after a restart. It keeps three things consistent: the store (durable
// truth), the handler registry (what is loaded and serving) and the data plane's route table
// (rebuilt from the store and published after every change that affects routing).
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "admin/endpoint_events.h"
#include "base/status.h"
#include "handlers/compiler.h"
#include "handlers/registry.h"
#include "store/store.h"

namespace edgegate::admin {

class Offloader;  // admin/api.h

struct EndpointServiceOptions {
  std::filesystem::path handlers_dir;  // <data-dir>/handlers
  // Publishes a new route table to the data plane.
  std::function<base::Status(std::vector<handlers::RouteEntry>)> publish;
  // Endpoint logs (lifecycle and compile entries) and compile counters; null = not recorded.
  // Both must outlive the service.
  telemetry::LogHub* logs = nullptr;
  telemetry::CompileStats* compiles = nullptr;
};

struct CompileResult {
  store::VersionRecord version;
  handlers::BuildOutput build;
  bool reused = false;  // an existing version of the endpoint had the same build inputs
};

struct StartResult {
  int64_t version = 0;
  int64_t previous_version = 0;  // 0 = none
};

// Loop-affine to the admin loop (calls may interleave at Offloader::Run suspension points; every
// store mutation is one transaction and re-reads state after resuming).
class EndpointService {
 public:
  EndpointService(store::Store& store, handlers::Compiler& compiler, handlers::Registry& registry,
                  EndpointServiceOptions options);

  base::Result<store::EndpointRecord> Create(const boost::json::object& body);
  base::Result<store::EndpointRecord> Update(const std::string& id,
                                             const boost::json::object& body);
  base::Status Delete(const std::string& id);
  base::Result<store::EndpointRecord> Get(const std::string& id);
  base::Status PutCode(const std::string& id, std::string code);

  // Builds the endpoint's current code into a new version (or finds the identical existing
  // one). A compile error is an ok result whose build.success is false.
  base::Result<CompileResult> Compile(const std::string& id, Offloader& offloader);
  // Activates the newest successfully built version; FailedPrecondition if there is none.
  base::Result<StartResult> Start(const std::string& id);
  base::Result<StartResult> Activate(const std::string& id, int64_t version);
  base::Status Stop(const std::string& id);
  // The endpoint's versions with their live state; a JSON array.
  base::Result<boost::json::array> Versions(const std::string& id);

  // At start-up: loads the active version of every running endpoint (rebuilding a library that
  // is missing) and publishes the routes. Endpoints that cannot be restored are marked "error".
  base::Status RestoreAll(Offloader& offloader);
  // Builds the route table from the store (one read: Store::ListRoutableEndpoints; endpoints
  // of a collection are routed at its domain's host and base_path + path) and publishes it.
  base::Status PublishRoutes();
  // For endpoints already deleted from the store (with their domain or collection): publishes
  // the routes without them, then removes them from the registry, so their in-flight requests
  // finish before their libraries unload. Removes them even if publishing fails (and returns
  // that error): deleted endpoints must not keep serving.
  base::Status RetireDeleted(const std::vector<std::string>& endpoint_ids);
  // For imports (admin/importer.cc): validates and normalises `record` as Create/Update do
  // (name, method, domain, path, dependencies; with collection_id set, the collection's host and
  // base_path), without writing. Errors name the field.
  base::Status ValidateForImport(store::EndpointRecord& record);
  // Writes an import in one store transaction (Store::ApplyImport); when it committed, publishes
  // the routes (an update may have moved a running endpoint). Returns the failed writes: empty
  // means committed.
  base::Result<std::vector<store::ImportFailure>> ApplyImport(const store::ImportBatch& batch);
  store::Store& store() { return store_; }

 private:
  // `domain_given`: the request set `domain` (else an endpoint in a collection takes its host).
  base::Status ValidateRecord(store::EndpointRecord& record, bool domain_given);
  base::Status PlaceInCollection(store::EndpointRecord& record, bool domain_given);
  base::Status ApplyFields(store::EndpointRecord& record, const boost::json::object& body);
  base::Result<std::shared_ptr<handlers::HandlerVersion>> LoadVersion(
      const store::VersionRecord& version);
  std::filesystem::path VersionDir(const std::string& id, int64_t version) const;
  // The endpoint's version already built from the same inputs as its current code (not a failed
  // one), as a reused CompileResult; nullopt if there is none, the code has dependencies, or the
  // inputs cannot be keyed (Compile then builds, and reuses or reports why).
  base::Result<std::optional<CompileResult>> FindReusable(const store::EndpointRecord& endpoint);
  // `existing` as the result of compiling endpoint `id` with `build`, logged as reused.
  CompileResult Reuse(const std::string& id, handlers::BuildOutput build,
                      store::VersionRecord existing);
  base::Status RestoreOne(const store::EndpointRecord& endpoint, Offloader& offloader);

  store::Store& store_;
  handlers::Compiler& compiler_;
  handlers::Registry& registry_;
  const EndpointServiceOptions options_;
  EndpointEvents events_;
};

// The endpoint as the API shows it (ISO 8601 timestamps; `code` only when `with_code`).
boost::json::object EndpointToJson(const store::EndpointRecord& e, bool with_code);
boost::json::array DiagnosticsToJson(const std::vector<handlers::Diagnostic>& diagnostics);

}  // namespace edgegate::admin
