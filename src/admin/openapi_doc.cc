// Builds the admin API's OpenAPI 3.1 document (see openapi_doc.h). Generated part: one operation
// per registered route. Static part (kRouteDocs): what the route list cannot say (summaries,
// bodies, query parameters); an entry for a route that is not registered is simply unused.
#include "admin/openapi_doc.h"

#include <boost/json/array.hpp>
#include <string>
#include <vector>

namespace edgegate::admin {
namespace json = boost::json;

namespace {

// A body or query field: type 's' string, 'b' boolean, 'i' integer, 'a' array of strings,
// 'o' object.
struct FieldDoc {
  std::string_view name;
  char type;
  bool required = false;
};

enum class BodyKind { kNone, kJson, kJsonOrSource, kZip };

struct RouteDoc {
  std::string_view method, path, summary;
  int status = 200;  // success status
  BodyKind body = BodyKind::kNone;
  std::span<const FieldDoc> fields = {};  // JSON body fields
  std::span<const FieldDoc> query = {};   // query parameters
  std::string_view media = {};  // another success media type (text/event-stream, text/plain)
  bool envelope = true;         // false: the success answer is only `media`, no JSON envelope
};

constexpr FieldDoc kEndpointBody[] = {
    {"name", 's', true}, {"path", 's', true},    {"method", 's', true},
    {"domain", 's'},     {"collection_id", 's'}, {"description", 's'},
    {"code", 's'},       {"dependencies", 'a'},  {"enabled", 'b'}};
constexpr FieldDoc kEndpointUpdate[] = {
    {"name", 's'},   {"path", 's'},          {"method", 's'},
    {"domain", 's'}, {"collection_id", 's'}, {"description", 's'},
    {"code", 's'},   {"dependencies", 'a'},  {"enabled", 'b'}};
constexpr FieldDoc kEndpointQuery[] = {{"domain", 's'}, {"collection_id", 's'}, {"enabled", 'b'},
                                       {"status", 's'}, {"limit", 'i'},         {"cursor", 's'}};
constexpr FieldDoc kCodeBody[] = {{"code", 's', true}};
constexpr FieldDoc kDomainBody[] = {
    {"name", 's', true}, {"host", 's', true}, {"description", 's'}, {"enabled", 'b'}};
constexpr FieldDoc kDomainUpdate[] = {
    {"name", 's'}, {"host", 's'}, {"description", 's'}, {"enabled", 'b'}};
constexpr FieldDoc kCollectionBody[] = {{"domain_id", 's', true},
                                        {"name", 's', true},
                                        {"description", 's'},
                                        {"base_path", 's'},
                                        {"enabled", 'b'}};
constexpr FieldDoc kCollectionUpdate[] = {
    {"domain_id", 's'}, {"name", 's'}, {"description", 's'}, {"base_path", 's'}, {"enabled", 'b'}};
constexpr FieldDoc kCollectionQuery[] = {{"domain_id", 's'}};
constexpr FieldDoc kLogsQuery[] = {{"since", 'i'}, {"limit", 'i'}, {"follow", 'b'}};
constexpr FieldDoc kServiceBody[] = {{"name", 's', true},
                                     {"service_type", 's', true},
                                     {"config", 'o'},
                                     {"description", 's'},
                                     {"enabled", 'b'}};
constexpr FieldDoc kServiceUpdate[] = {
    {"name", 's'}, {"service_type", 's'}, {"config", 'o'}, {"description", 's'}, {"enabled", 'b'}};
constexpr FieldDoc kBindingBody[] = {{"service_id", 's', true}, {"pool_id", 's'}};
constexpr FieldDoc kKeyBody[] = {
    {"label", 's', true}, {"scopes", 'a', true}, {"expires_at", 's'}, {"expires_in_seconds", 'i'}};
constexpr FieldDoc kImportBody[] = {{"spec", 's', true},
                                    {"domain", 's'},
                                    {"domain_id", 's'},
                                    {"collection_id", 's'},
                                    {"create_collection", 'b'}};
constexpr FieldDoc kBundleQuery[] = {{"domain", 's'},        {"domain_id", 's'},
                                     {"collection_id", 's'}, {"create_collection", 'b'},
                                     {"compile", 'b'},       {"start", 'b'}};

using B = BodyKind;
const RouteDoc kRouteDocs[] = {
    {"GET", "/api/health", "Liveness and version (no authentication)"},
    {"GET", "/api/openapi.json", "This OpenAPI document (no authentication)"},
    {"GET", "/api/stats", "Gateway statistics: endpoints, requests, errors, uptime, versions"},
    {"GET", "/api/endpoints", "List endpoints (without code)", 200, B::kNone, {}, kEndpointQuery},
    {"POST", "/api/endpoints", "Create an endpoint", 201, B::kJson, kEndpointBody},
    {"GET", "/api/endpoints/{id}", "Get an endpoint with its code"},
    {"PUT", "/api/endpoints/{id}", "Update an endpoint", 200, B::kJson, kEndpointUpdate},
    {"DELETE", "/api/endpoints/{id}", "Delete an endpoint (its version drains, then unloads)"},
    {"GET", "/api/endpoints/{id}/code", "Get an endpoint's source code"},
    {"PUT", "/api/endpoints/{id}/code", "Replace an endpoint's source (JSON or raw source)", 200,
     B::kJsonOrSource, kCodeBody},
    {"POST", "/api/endpoints/{id}/compile", "Compile the endpoint's code into a new version"},
    {"POST", "/api/endpoints/{id}/start", "Activate the newest built version (hot swap)"},
    {"POST", "/api/endpoints/{id}/stop", "Stop serving the endpoint"},
    {"POST", "/api/endpoints/{id}/deploy", "Compile and start in one call"},
    {"GET", "/api/endpoints/{id}/versions", "List the endpoint's handler versions"},
    {"GET", "/api/endpoints/{id}/logs",
     "The endpoint's log (handler lines, compile output, lifecycle events); follow=1: a live "
     "tail as Server-Sent Events", 200, B::kNone, {}, kLogsQuery, "text/event-stream"},
    {"GET", "/metrics", "Prometheus metrics, text exposition format 0.0.4", 200, B::kNone, {}, {},
     "text/plain; version=0.0.4", false},
    {"GET", "/api/domains", "List domains"},
    {"POST", "/api/domains", "Create a domain", 201, B::kJson, kDomainBody},
    {"GET", "/api/domains/{id}", "Get a domain"},
    {"PUT", "/api/domains/{id}", "Update a domain", 200, B::kJson, kDomainUpdate},
    {"DELETE", "/api/domains/{id}", "Delete a domain with its collections and endpoints"},
    {"GET", "/api/domains/{id}/collections", "List a domain's collections"},
    {"GET", "/api/collections", "List collections", 200, B::kNone, {}, kCollectionQuery},
    {"POST", "/api/collections", "Create a collection", 201, B::kJson, kCollectionBody},
    {"GET", "/api/collections/{id}", "Get a collection"},
    {"PUT", "/api/collections/{id}", "Update a collection", 200, B::kJson, kCollectionUpdate},
    {"DELETE", "/api/collections/{id}", "Delete a collection with its endpoints"},
    {"GET", "/api/collections/{id}/endpoints", "List a collection's endpoints"},
    {"GET", "/api/services", "List services (secrets redacted)"},
    {"POST", "/api/services", "Create a service (stopped unless enabled: true)", 201, B::kJson,
     kServiceBody},
    {"GET", "/api/service-types", "List the service types with their config keys"},
    {"GET", "/api/services/{id}", "Get a service with its figures and bindings"},
    {"PUT", "/api/services/{id}", "Update a service (an active one restarts its actor)", 200,
     B::kJson, kServiceUpdate},
    {"DELETE", "/api/services/{id}", "Delete a service (409 while endpoints are bound to it)"},
    {"POST", "/api/services/{id}/activate", "Start the service's actor; reports a test round trip"},
    {"POST", "/api/services/{id}/deactivate", "Stop the service's actor after in-flight calls"},
    {"POST", "/api/services/{id}/test", "A real round trip: {connected, latency_ms, error}"},
    {"GET", "/api/endpoints/{id}/services", "List the endpoint's service bindings"},
    {"POST", "/api/endpoints/{id}/services", "Bind a service to the endpoint under a name", 201,
     B::kJson, kBindingBody},
    {"DELETE", "/api/endpoints/{id}/services/{service_id}", "Unbind a service from the endpoint"},
    {"GET", "/api/keys", "List API keys (masked)"},
    {"POST", "/api/keys", "Create an API key (the key is shown once)", 201, B::kJson, kKeyBody},
    {"GET", "/api/keys/{id}", "Get an API key (masked)"},
    {"POST", "/api/keys/{id}/enable", "Enable an API key"},
    {"POST", "/api/keys/{id}/disable", "Disable an API key"},
    {"DELETE", "/api/keys/{id}", "Delete an API key"},
    {"POST", "/api/import/openapi", "Import endpoints from an OpenAPI 3.0/3.1 spec", 200, B::kJson,
     kImportBody},
    {"POST",
     "/api/import/bundle",
     "Import a ZIP bundle (spec, manifest, handler sources)",
     200,
     B::kZip,
     {},
     kBundleQuery},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The non-empty segments of a path.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    if (!segment.empty()) out.push_back(segment);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

const RouteDoc* FindDoc(const AdminRoute& route) {
  for (const RouteDoc& doc : kRouteDocs) {
    if (doc.method == route.method && doc.path == route.path) return &doc;
  }
  return nullptr;
}

json::object TypeSchema(char type) {
  switch (type) {
    case 'b':
      return {{"type", "boolean"}};
    case 'i':
      return {{"type", "integer"}};
    case 'a':
      return {{"type", "array"}, {"items", {{"type", "string"}}}};
    case 'o':
      return {{"type", "object"}};
    default:
      return {{"type", "string"}};
  }
}

json::object ObjectSchema(std::span<const FieldDoc> fields) {
  json::object properties;
  json::array required;
  for (const FieldDoc& f : fields) {
    properties[f.name] = TypeSchema(f.type);
    if (f.required) required.emplace_back(f.name);
  }
  json::object schema{
      {"type", "object"}, {"additionalProperties", false}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

json::object RequestBody(const RouteDoc& doc) {
  json::object content;
  if (doc.body == BodyKind::kZip) {
    json::object binary{{"schema", {{"type", "string"}, {"contentEncoding", "binary"}}}};
    content["application/zip"] = binary;
    content["multipart/form-data"] = {
        {"schema", {{"type", "object"}, {"properties", {{"file", binary["schema"]}}}}}};
  } else {
    content["application/json"] = {{"schema", ObjectSchema(doc.fields)}};
    if (doc.body == BodyKind::kJsonOrSource)
      content["text/plain"] = {{"schema", {{"type", "string"}}}};
  }
  return {{"required", true}, {"content", std::move(content)}};
}

// Path parameters from the router pattern's {name} / {*name} segments, then query parameters.
json::array Parameters(const AdminRoute& route, const RouteDoc* doc) {
  json::array out;
  for (std::string_view segment : Segments(route.path)) {
    if (segment.size() < 2 || segment.front() != '{' || segment.back() != '}') continue;
    std::string_view name = segment.substr(1, segment.size() - 2);
    if (name.starts_with('*')) name.remove_prefix(1);
    out.push_back(json::object{
        {"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
  }
  for (const FieldDoc& q : doc ? doc->query : std::span<const FieldDoc>{}) {
    out.push_back(json::object{{"name", q.name}, {"in", "query"}, {"schema", TypeSchema(q.type)}});
  }
  return out;
}

json::object Ref(std::string_view schema) {
  return {{"$ref", "#/components/schemas/" + std::string(schema)}};
}

json::object Responses(const RouteDoc* doc, bool scoped) {
  std::string status = std::to_string(doc ? doc->status : 200);
  json::object content;
  if (!doc || doc->envelope) content["application/json"] = {{"schema", Ref("Success")}};
  if (doc && !doc->media.empty()) content[doc->media] = {{"schema", {{"type", "string"}}}};
  json::object out{{status,
                    {{"description", doc && !doc->envelope
                                         ? std::string("Success")
                                         : std::string("Success: {\"ok\": true, \"data\": …}")},
                     {"content", std::move(content)}}},
                   {"default",
                    {{"description", "Error envelope"},
                     {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}}};
  if (scoped) {
    out["401"] = {{"description", "Missing, invalid, disabled or expired key"}};
    out["403"] = {{"description", "The key lacks the required scope"}};
  }
  return out;
}

std::string OperationId(const AdminRoute& route) {
  std::string id = Lower(route.method);
  for (char c : OpenApiPath(route.path)) {
    if (c == '/' || c == '.' || c == '-') {
      id += '_';
    } else if (c != '{' && c != '}') {
      id += c;
    }
  }
  return id;
}

json::object Operation(const AdminRoute& route) {
  const RouteDoc* doc = FindDoc(route);
  std::vector<std::string_view> segments = Segments(route.path);
  std::string tag = segments.size() > 2 ? std::string(segments[1]) : "system";
  json::object op{{"operationId", OperationId(route)},
                  {"summary", doc ? std::string(doc->summary) : route.method + " " + route.path},
                  {"tags", json::array{tag}}};
  json::array parameters = Parameters(route, doc);
  if (!parameters.empty()) op["parameters"] = std::move(parameters);
  if (doc && doc->body != BodyKind::kNone) op["requestBody"] = RequestBody(*doc);
  op["responses"] = Responses(doc, !route.scope.empty());
  if (route.scope.empty()) {
    op["security"] = json::array{};
  } else {
    op["security"] = json::array{json::object{{"bearer", json::array{}}}};
    op["x-required-scope"] = route.scope;
  }
  return op;
}

json::object Components() {
  json::object success{{"type", "object"},
                       {"required", {"ok", "data"}},
                       {"properties", {{"ok", {{"const", true}}}, {"data", json::object{}}}}};
  json::object error_properties{{"ok", {{"const", false}}},
                                {"error", {{"type", "string"}}},
                                {"details", {{"type", "object"}}}};
  json::object error{{"type", "object"},
                     {"required", {"ok", "error"}},
                     {"properties", std::move(error_properties)}};
  return {{"schemas", {{"Success", std::move(success)}, {"Error", std::move(error)}}},
          {"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}};
}

}  // namespace

std::string OpenApiPath(std::string_view router_pattern) {
  std::string out(router_pattern);
  for (size_t pos = out.find("{*"); pos != std::string::npos; pos = out.find("{*", pos)) {
    out.erase(pos + 1, 1);
  }
  return out;
}

json::object BuildOpenApiDocument(std::span<const AdminRoute> routes, std::string_view version) {
  json::object paths;
  for (const AdminRoute& route : routes) {
    json::value& item = paths[OpenApiPath(route.path)];
    if (!item.is_object()) item.emplace_object();
    item.as_object()[Lower(route.method)] = Operation(route);
  }
  return {{"openapi", "3.1.0"},
          {"info", {{"title", "Edgegate admin API"}, {"version", version}}},
          {"security", json::array{json::object{{"bearer", json::array{}}}}},
          {"paths", std::move(paths)},
          {"components", Components()}};
}

}  // namespace edgegate::admin
