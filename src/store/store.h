// Durable admin state: endpoints, their handler versions and API keys, in one SQLite file.
// Why SQLite: the gateway runs from one binary with no server to install; WAL mode with
// synchronous=NORMAL makes every committed mutation survive a process crash or kill -9, which
// is what DESIGN.md §7 asks of a restart. Every mutation below is exactly one transaction.
//
// Errors: NotFound / AlreadyExists / InvalidArgument (with field) as documented per call;
// any sqlite failure is Internal with sqlite's message. Nothing here throws or aborts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/records.h"

namespace edgegate::store {

using base::Result;
using base::Status;

namespace internal {
class Database;
enum class Violation;
}  // namespace internal

// Formats unix milliseconds as ISO 8601 UTC with milliseconds: "2026-11-26T11:34:51.123Z".
std::string FormatTimestamp(int64_t ms);

// The path an endpoint of a collection is routed at: `base_path` + `path`, where a root `path`
// "/" gives `base_path` itself ("/v1" + "/pets/{id}" = "/v1/pets/{id}", "/v1" + "/" = "/v1",
// "" + p = p). Works on patterns and on shapes alike. REQUIRES: base_path is "" or starts with
// '/' and has no trailing slash; path starts with '/'.
std::string JoinBasePath(std::string_view base_path, std::string_view path);

// ---- Import (store_import.cc): the writes of one OpenAPI or bundle import ----
// REQUIRES of the records: validated and normalised by the admin layer like single edits.
struct ImportBatch {
  std::optional<CollectionRecord> new_collection;  // created first, when set
  std::vector<EndpointRecord> create;              // inserted as CreateEndpoint does
  std::vector<EndpointRecord> update;              // mutable fields replaced as UpdateEndpoint
};

// One write of an ImportBatch that failed; `index` counts `create` then `update`
// (create.size() + i for update[i]); the collection's failure has index -1.
struct ImportFailure {
  int64_t index = 0;
  Status error;
};

struct StoreOptions {
  // Current time in unix milliseconds; default (empty): the system clock. Tests inject one.
  std::function<int64_t()> now_ms;
  // How long a statement waits for another process holding the write lock before failing.
  int busy_timeout_ms = 5000;
};

// Thread-safe: every call holds an internal mutex for its duration (one sqlite connection).
// Mostly called from the admin thread; never call it from an I/O loop (it does disk I/O).
class Store {
 public:
  // Opens `db_file` (creating it and its parent directory if missing), sets WAL,
  // synchronous=NORMAL, foreign_keys=ON and the busy timeout, and applies pending migrations.
  // FailedPrecondition if the file holds a schema newer than this binary; Internal otherwise.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& db_file,
                                             StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The schema version of the open database (== LatestSchemaVersion() after Open).
  Result<int64_t> SchemaVersion();

  // ---- Endpoints ----
  // Inserts `endpoint`; created_at/updated_at of 0 are stamped with now. AlreadyExists
  // "an endpoint with the same domain, method and path already exists: <id>" when
  // (domain, method, route_shape) is taken, or "endpoint <id> already exists" for a duplicate
  // id; InvalidArgument (field "collection_id") if the collection does not exist, (field
  // "status" / "dependencies") for a value the store cannot hold.
  Status CreateEndpoint(const EndpointRecord& endpoint);
  // NotFound "endpoint <id> not found".
  Result<EndpointRecord> GetEndpoint(const std::string& id);
  // Endpoints matching `filter`, ordered by (created_at, id). InvalidArgument (field
  // "after_id") if the cursor endpoint does not exist (e.g. it was deleted meanwhile).
  Result<std::vector<EndpointRecord>> ListEndpoints(const EndpointFilter& filter);
  // Replaces the mutable fields (name, path, method, domain, route_shape, collection_id,
  // description, code, dependencies, enabled) of endpoint `endpoint.id` and sets updated_at to
  // now. status, active_version and created_at are left alone: they change only through
  // SetEndpointStatus / ActivateVersion, so a code edit never stops a running endpoint.
  // Errors as CreateEndpoint, plus NotFound.
  Status UpdateEndpoint(const EndpointRecord& endpoint);
  // Deletes the endpoint and all its versions. NotFound if absent.
  Status DeleteEndpoint(const std::string& id);
  // Sets status and active_version (nullopt = none) and updated_at. NotFound; InvalidArgument
  // (field "status") if `status` is not one of kEndpointStatuses.
  Status SetEndpointStatus(const std::string& id, const std::string& status,
                           std::optional<int64_t> active_version);

  // ---- Handler versions ----
  // Stores `v` as version max+1 of `v.endpoint_id` (1 for the first) and returns the stored
  // record. created_at 0 is stamped with now. NotFound if the endpoint does not exist;
  // InvalidArgument (field "state" / "dependencies").
  Result<VersionRecord> AddVersion(VersionRecord v);
  // All versions of the endpoint, ascending. NotFound if the endpoint does not exist.
  Result<std::vector<VersionRecord>> ListVersions(const std::string& endpoint_id);
  // NotFound "version <n> of endpoint <id> not found".
  Result<VersionRecord> GetVersion(const std::string& endpoint_id, int64_t version);
  // The newest version of the endpoint built from `hash`, or nullopt.
  Result<std::optional<VersionRecord>> FindVersionByHash(const std::string& endpoint_id,
                                                         const std::string& hash);
  // NotFound; InvalidArgument (field "state") if not one of kVersionStates.
  Status SetVersionState(const std::string& endpoint_id, int64_t version, const std::string& state);
  // In one transaction: every other "active" version of the endpoint becomes "draining", this
  // one becomes "active", and the endpoint becomes status "running" with active_version =
  // `version`. NotFound if the version does not exist; FailedPrecondition if it is "failed".
  Status ActivateVersion(const std::string& endpoint_id, int64_t version);

  // ---- API keys ----
  // created_at 0 is stamped with now. AlreadyExists for a duplicate id or key_hash;
  // InvalidArgument (field "scopes").
  Status AddApiKey(const ApiKeyRecord& key);
  // All keys, ordered by (created_at, id).
  Result<std::vector<ApiKeyRecord>> ListApiKeys();
  // The key whose key_hash is `hash` (enabled or not, expired or not), or nullopt. The caller
  // checks enabled and expires_at.
  Result<std::optional<ApiKeyRecord>> FindApiKeyByHash(const std::string& hash);
  Result<int64_t> CountApiKeys();
  // NotFound "api key <id> not found".
  Status DeleteApiKey(const std::string& id);
  Status SetApiKeyEnabled(const std::string& id, bool enabled);

  // ---- Domains ----
  // created_at/updated_at of 0 are stamped with now. AlreadyExists (field "host") "a domain with
  // host <host> already exists: <id>"; AlreadyExists "domain <id> already exists".
  Status CreateDomain(const DomainRecord& domain);
  // NotFound "domain <id> not found".
  Result<DomainRecord> GetDomain(const std::string& id);
  // All domains, ordered by (created_at, id).
  Result<std::vector<DomainRecord>> ListDomains();
  // Replaces name, host, description and enabled, sets updated_at, and moves the endpoints of
  // the domain's collections to the new host, all in one transaction. NotFound; AlreadyExists
  // (field "host") if another domain has the host or a moved endpoint's route is taken on it
  // (then nothing changes).
  Status UpdateDomain(const DomainRecord& domain);
  // Deletes the domain, its collections, their endpoints and versions (one transaction) and
  // returns the ids of the deleted endpoints. NotFound if absent. Endpoints outside its
  // collections are kept, whatever their `domain`.
  Result<std::vector<std::string>> DeleteDomain(const std::string& id);

  // ---- Collections ----
  // created_at/updated_at of 0 are stamped with now. InvalidArgument (field "domain_id") if the
  // domain does not exist; AlreadyExists "collection <id> already exists".
  Status CreateCollection(const CollectionRecord& collection);
  // NotFound "collection <id> not found".
  Result<CollectionRecord> GetCollection(const std::string& id);
  // The collections of `domain_id` (all when nullopt), ordered by (created_at, id).
  Result<std::vector<CollectionRecord>> ListCollections(
      const std::optional<std::string>& domain_id);
  // Replaces domain_id, name, description, base_path and enabled and sets updated_at; when the
  // base_path or domain changes, re-derives its endpoints' `domain` and `route_shape` (see
  // EndpointRecord), all in one transaction. NotFound; InvalidArgument (field "domain_id");
  // AlreadyExists (field "base_path", or "domain_id" when only the domain changed) if a
  // re-derived route is taken by another endpoint; then nothing changes.
  Status UpdateCollection(const CollectionRecord& collection);
  // Deletes the collection, its endpoints and their versions (one transaction) and returns the
  // ids of the deleted endpoints. NotFound if absent.
  Result<std::vector<std::string>> DeleteCollection(const std::string& id);

  // ---- Routing ----
  // The endpoints to serve, in one read, ordered by (created_at, id): running and enabled, in
  // an enabled collection (or none), whose domain is enabled: the collection's domain, or for an
  // endpoint without a collection the domain record whose host equals its `domain` (if any).
  Result<std::vector<RoutableEndpoint>> ListRoutableEndpoints();

  // ---- Import (store_import.cc) ----
  // Applies `batch` in one transaction: every write is attempted, so all failures are found
  // (errors as CreateEndpoint / UpdateEndpoint / CreateCollection); if there is any, the
  // transaction rolls back, nothing is written, and they are returned. Empty = committed.
  // Internal (nothing written) if the transaction itself fails.
  Result<std::vector<ImportFailure>> ApplyImport(const ImportBatch& batch);

  // ---- Services (store_services.cc) ----
  // created_at/updated_at of 0 are stamped with now. AlreadyExists (field "name") "a service
  // named <name> already exists: <id>".
  Status CreateService(const ServiceRecord& service);
  // NotFound "service <id> not found".
  Result<ServiceRecord> GetService(const std::string& id);
  // All services, ordered by (created_at, id).
  Result<std::vector<ServiceRecord>> ListServices();
  // Replaces name, service_type, config, description and enabled; sets updated_at. NotFound;
  // AlreadyExists (field "name").
  Status UpdateService(const ServiceRecord& service);
  // NotFound; FailedPrecondition "service <id> is bound to endpoints <ids>; unbind it first".
  Status DeleteService(const std::string& id);
  // Binds (or re-binds with a new pool_id). NotFound for a missing endpoint or service;
  // AlreadyExists (field "pool_id") if the endpoint already uses pool_id for another service.
  Status BindService(const ServiceBindingRecord& binding);
  // NotFound "binding of service <s> to endpoint <e> not found".
  Status UnbindService(const std::string& endpoint_id, const std::string& service_id);
  // All bindings, or those of one endpoint / one service, ordered by (created_at, pool_id).
  Result<std::vector<ServiceBindingRecord>> ListBindings();
  Result<std::vector<ServiceBindingRecord>> ListBindingsOfEndpoint(const std::string& endpoint_id);
  Result<std::vector<ServiceBindingRecord>> ListBindingsOfService(const std::string& service_id);

 private:
  Store(std::unique_ptr<internal::Database> db, std::function<int64_t()> now_ms);

  // Runs `body` inside one IMMEDIATE transaction; commits if it returns ok, else rolls back.
  Status WriteLocked(const std::function<Status()>& body);
  Status RequireEndpointLocked(const std::string& id);
  Result<std::optional<std::string>> FindRouteOwnerLocked(const EndpointRecord& endpoint);
  Status MapEndpointWriteErrorLocked(const EndpointRecord& endpoint, Status error,
                                     internal::Violation violation);
  Result<VersionRecord> GetVersionLocked(const std::string& endpoint_id, int64_t version);
  Status RerouteCollectionLocked(const CollectionRecord& collection, const std::string& old_base,
                                 int64_t now);

  const std::function<int64_t()> now_ms_;  // immutable after construction

  std::mutex mu_;
  std::unique_ptr<internal::Database> db_;  // guarded by mu_
};

}  // namespace edgegate::store
