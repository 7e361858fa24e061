// The rows of the admin state, as plain structs. The store persists them verbatim; validating
// user input (paths, methods, names) is the admin layer's job, but the store refuses values it
// could not round-trip (see Store). Timestamps are unix milliseconds (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace edgegate::store {

// Endpoint lifecycle as shown by the admin API.
inline constexpr const char* kEndpointStatuses[] = {"created", "compiled", "running", "stopped",
                                                    "error"};
// Handler version lifecycle (DESIGN.md §1), as persisted.
inline constexpr const char* kVersionStates[] = {"compiled", "failed", "active", "draining",
                                                 "unloaded"};

struct EndpointRecord {
  std::string id;                          // UUID, assigned by the caller (base::NewUuid)
  std::string name, path, method, domain;  // domain "*" = any host
  // Canonical path shape ("/pets/{}"), computed by the caller; (domain, method, route_shape) is
  // unique across endpoints. For an endpoint in a collection both are what it is routed at:
  // `domain` is the host of the collection's domain and `route_shape` is
  // JoinBasePath(collection.base_path, shape of `path`); the store keeps them so when the
  // collection or its domain changes (Store::UpdateCollection, Store::UpdateDomain).
  std::string route_shape;
  std::optional<std::string> collection_id;  // must name an existing collection when set
  std::string description, code;
  std::vector<std::string> dependencies;  // no entry may be empty or contain '\n'
  bool enabled = true;
  std::string status = "created";          // one of kEndpointStatuses
  std::optional<int64_t> active_version;   // version number currently serving (when running)
  int64_t created_at = 0, updated_at = 0;  // 0 on create = stamped by the store
};

struct VersionRecord {
  std::string endpoint_id;
  int64_t version = 0;  // 1, 2, 3 ... per endpoint, assigned by the store on insert
  std::string hash;     // content hash of the build inputs
  std::string source;   // the exact source compiled
  std::vector<std::string> dependencies;  // no entry may be empty or contain '\n'
  std::string library_path;               // absolute path of this version's .so
  std::string state = "compiled";         // one of kVersionStates
  int64_t created_at = 0;                 // 0 on insert = stamped by the store
};

struct ApiKeyRecord {
  std::string id;
  std::string label;
  std::string key_hash;  // SHA-256 hex of the key (unique); the key itself is never stored
  std::string prefix;    // first 8 chars of the key, for display ("eg_ab12…")
  std::vector<std::string> scopes;  // e.g. "endpoints:read", "*"; no '\n', none empty
  bool enabled = true;
  int64_t created_at = 0;  // 0 on insert = stamped by the store
  std::optional<int64_t> expires_at;
};

// Selects endpoints for Store::ListEndpoints. Unset optionals match everything.
struct EndpointFilter {
  std::optional<std::string> domain;  // exact match ("*" matches only wildcard endpoints)
  std::optional<std::string> collection_id;
  std::optional<bool> enabled;
  std::optional<std::string> status;
  bool include_code = false;  // false: returned records carry an empty `code`
  int limit = 0;              // at most this many records; 0 = all
  // Cursor: return only endpoints after this one in (created_at, id) order; empty = from start.
  std::string after_id;
};

// A host (or host pattern) that groups collections, with an enable switch for routing.
struct DomainRecord {
  std::string id;  // UUID, assigned by the caller
  std::string name;
  std::string host;  // normalised host pattern ("api.example.com", "*.example.com", "*"); unique
  std::string description;
  bool enabled = true;
  int64_t created_at = 0, updated_at = 0;  // 0 on create = stamped by the store
};

// A group of endpoints under one domain, routed below `base_path`.
struct CollectionRecord {
  std::string id;         // UUID, assigned by the caller
  std::string domain_id;  // must name an existing domain
  std::string name;
  std::string description;
  // "" or a canonical literal path prefix ("/v1": no parameter, no trailing slash, literals in
  // the canonical encoding of router::RouteShape), so JoinBasePath on shapes gives shapes.
  std::string base_path;
  bool enabled = true;
  int64_t created_at = 0, updated_at = 0;  // 0 on create = stamped by the store
};

// A backend service (database, cache, storage, email, ftp). `config` is the validated JSON
// object as text, secrets included: the admin layer redacts them on output.
struct ServiceRecord {
  std::string id;  // UUID, assigned by the caller
  std::string name;  // unique
  std::string service_type;
  std::string config = "{}";
  std::string description;
  bool enabled = false;  // activated
  int64_t created_at = 0, updated_at = 0;  // 0 on create = stamped by the store
};

// Handlers of `endpoint_id` reach `service_id` as `pool_id`.
struct ServiceBindingRecord {
  std::string endpoint_id;
  std::string service_id;
  std::string pool_id;
  int64_t created_at = 0;
};

// An endpoint the data plane should serve (Store::ListRoutableEndpoints).
struct RoutableEndpoint {
  std::string endpoint_id;
  std::string host;  // the endpoint's `domain`
  std::string method;
  std::string base_path;  // its collection's base_path; "" without a collection
  std::string path;       // the endpoint's own path pattern
};

}  // namespace edgegate::store
