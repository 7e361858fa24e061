// What the two imports (OpenAPI spec, bundle) share: resolving where the endpoints go (domain,
// collection), matching the spec's operations against the endpoints already there, validating
// every resulting create or update, and writing them all in one store transaction. Re-importing
// the same spec therefore updates (or leaves unchanged) instead of duplicating.
//
// Matching: an operation matches the endpoint of the same name (operationId) in the target
// domain and collection, else the one on the same method and route. Code is only replaced by a
// bundle's handler file: an OpenAPI import writes its stub into new endpoints (or ones without
// code) and never overwrites code a user has written.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "admin/endpoints.h"
#include "admin/openapi.h"
#include "store/store.h"

namespace edgegate::admin {

// Where to import, as the client asked.
struct ImportScope {
  std::optional<std::string> domain;  // host pattern; "*" when nothing else decides
  std::optional<std::string> domain_id;
  std::optional<std::string> collection_id;
  bool create_collection = false;
  std::string collection_name;         // for create_collection (manifest name or spec title)
  std::string collection_description;  // for a new collection
};

// Where to import, resolved against the store.
struct ImportTarget {
  std::string domain = "*";                  // the endpoints' host pattern
  std::optional<std::string> collection_id;  // existing collection, or new_collection's id
  std::optional<store::CollectionRecord> new_collection;  // created in the import transaction
};

// Checks the scope against the store. InvalidArgument naming the field for: an invalid domain,
// an unknown domain_id or collection_id, a collection of another domain than domain_id, a
// domain that contradicts domain_id or the collection's domain, collection_id together with
// create_collection, or create_collection without a domain record (domain_id, or a domain
// whose host is `domain`). create_collection reuses the domain's collection of the same name.
base::Result<ImportTarget> ResolveTarget(store::Store& store, const ImportScope& scope);

// One operation to import.
struct ImportItem {
  const SpecOperation* operation;         // borrowed; outlives RunImport
  std::optional<std::string> code;        // a bundle's handler source; nullopt: stub or keep
  std::string handler_file;               // its path in the bundle, for the report
  std::vector<std::string> dependencies;  // with `code`: the bundle's dependencies
};

enum class ImportAction { kCreated, kUpdated, kUnchanged };

struct ImportedEndpoint {
  std::string id;
  const ImportItem* item;  // borrowed from RunImport's `items`
  ImportAction action;
};

struct ImportReport {
  std::vector<ImportedEndpoint> endpoints;  // one per item, in order (empty if errors)
  boost::json::array errors;                // every problem; empty = committed
  int http_status = 200;                    // the HTTP status of the first error
};

// Plans, validates and writes `items` into `target`: all of them or, on any error, none.
// Errors carry the operation's location, name, and the field at fault. Loop-affine (admin loop).
ImportReport RunImport(EndpointService& service, const ImportTarget& target,
                       const std::vector<ImportItem>& items);

// {created: [...], updated: [...], unchanged: [...], errors: [...], counts: {...}}; each listed
// endpoint as {id, name, operation_id, method, path, handler?}.
boost::json::object ReportToJson(const ImportReport& report);

// The stub handler an OpenAPI import writes: compiles against the SDK and answers 501 with
// {"error": "not implemented", "operation": "<name>"}. Spec text is escaped into the source.
std::string StubHandlerSource(const SpecOperation& operation);

}  // namespace edgegate::admin
