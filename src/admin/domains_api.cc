// The domain and collection routes of the admin API: field validation (errors name the field),
// CRUD through the store (one transaction each), and a republished route table after every
// change that affects routing. Route collisions caused by a new host or base_path are refused
// by the store inside the transaction (409, nothing changed), so a publish after a committed
// change cannot meet a duplicate route.
#include "admin/domains_api.h"

#include <initializer_list>
#include <memory>
#include <span>

#include "base/log.h"
#include "base/random.h"
#include "router/pattern.h"

namespace edgegate::admin {
namespace json = boost::json;

namespace {

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxBasePathLength = 512;

constexpr FieldSpec kDomainFields[] = {
    {"name", FieldType::kString},
    {"host", FieldType::kString},
    {"description", FieldType::kString},
    {"enabled", FieldType::kBool},
};

constexpr FieldSpec kCollectionFields[] = {
    {"domain_id", FieldType::kString},   {"name", FieldType::kString},
    {"description", FieldType::kString}, {"base_path", FieldType::kString},
    {"enabled", FieldType::kBool},
};

json::object DomainToJson(const store::DomainRecord& d) {
  return json::object{{"id", d.id},
                      {"name", d.name},
                      {"host", d.host},
                      {"description", d.description},
                      {"enabled", d.enabled},
                      {"created_at", store::FormatTimestamp(d.created_at)},
                      {"updated_at", store::FormatTimestamp(d.updated_at)}};
}

json::object CollectionToJson(const store::CollectionRecord& c) {
  return json::object{{"id", c.id},
                      {"domain_id", c.domain_id},
                      {"name", c.name},
                      {"description", c.description},
                      {"base_path", c.base_path},
                      {"enabled", c.enabled},
                      {"created_at", store::FormatTimestamp(c.created_at)},
                      {"updated_at", store::FormatTimestamp(c.updated_at)}};
}

// Parses `body` and checks that every name in `required` is present and not null.
base::Result<json::object> ParseWithRequired(std::string_view body,
                                             std::span<const FieldSpec> fields,
                                             std::initializer_list<const char*> required) {
  ASSIGN_OR_RETURN(json::object o, ParseBody(body, fields));
  for (const char* name : required) {
    auto it = o.find(name);
    if (it == o.end() || it->value().is_null()) {
      return base::FieldError(name, std::string("'") + name + "' is required");
    }
  }
  return o;
}

base::Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return base::FieldError("name", "name must be 1 to 200 characters");
  }
  return base::OkStatus();
}

// A domain's host: validated with the route table's rules, lower-cased. Errors name "host".
base::Result<std::string> NormalizeHost(const std::string& host) {
  if (host.empty()) {
    return base::FieldError("host", "host must not be empty (use '*' for any host)");
  }
  base::Status valid = router::ValidateHostPattern(host);
  if (!valid.ok()) {
    std::string message = valid.message();
    if (message.starts_with("invalid domain")) {
      message.replace(0, 14, "invalid host");
    }
    return base::FieldError("host", message);
  }
  return router::NormalizeHostPattern(host);
}

// A collection's base_path: "" (or "/") for none, else a literal path prefix such as "/v1",
// stored in the route table's canonical encoding. Errors name "base_path".
base::Result<std::string> NormalizeBasePath(const std::string& base_path) {
  if (base_path.empty() || base_path == "/") {
    return std::string();
  }
  if (base_path.size() > kMaxBasePathLength) {
    return base::FieldError("base_path", "base_path must be at most 512 characters");
  }
  base::Result<router::PathPattern> pattern = router::ParsePathPattern(base_path);
  if (!pattern.ok()) {
    return base::FieldError("base_path", "invalid base_path: " + pattern.status().message());
  }
  for (const router::PatternSegment& segment : pattern->segments) {
    if (segment.kind != router::SegmentKind::kLiteral) {
      return base::FieldError("base_path",
                              "base_path must be a literal prefix such as /v1, without {params}");
    }
  }
  return router::RouteShape(*pattern);
}

base::Status ApplyDomainFields(store::DomainRecord& d, const json::object& body) {
  if (auto v = GetString(body, "name")) d.name = *v;
  if (auto v = GetString(body, "host")) d.host = *v;
  if (auto v = GetString(body, "description")) d.description = *v;
  if (auto v = GetBool(body, "enabled")) d.enabled = *v;
  RETURN_IF_ERROR(ValidateName(d.name));
  ASSIGN_OR_RETURN(d.host, NormalizeHost(d.host));
  return base::OkStatus();
}

base::Status ApplyCollectionFields(store::CollectionRecord& c, const json::object& body) {
  if (auto v = GetString(body, "domain_id")) c.domain_id = *v;
  if (auto v = GetString(body, "name")) c.name = *v;
  if (auto v = GetString(body, "description")) c.description = *v;
  if (auto v = GetString(body, "base_path")) c.base_path = *v;
  if (auto v = GetBool(body, "enabled")) c.enabled = *v;
  RETURN_IF_ERROR(ValidateName(c.name));
  ASSIGN_OR_RETURN(c.base_path, NormalizeBasePath(c.base_path));
  return base::OkStatus();
}

// `reply` once the route table reflects the committed change, else the publish error (the
// data plane then keeps serving its previous table).
Reply Republished(EndpointService& service, Reply reply) {
  base::Status published = service.PublishRoutes();
  if (!published.ok()) {
    base::Log(base::LogLevel::kError, "routes not republished: " + published.message());
    return Error(published);
  }
  return reply;
}

// Route handlers; each owns nothing and borrows the service (and through it the store).
// Answers a delete of `id` whose store cascade removed the endpoints `deleted`: they are
// unpublished and drained before the answer.
Reply Deleted(EndpointService& service, const std::string& id,
              base::Result<std::vector<std::string>> deleted) {
  if (!deleted.ok()) return Error(deleted.status());
  base::Status retired = service.RetireDeleted(*deleted);
  if (!retired.ok()) return Error(retired);
  return Ok(json::object{{"id", id},
                         {"deleted", true},
                         {"endpoints_deleted", static_cast<int64_t>(deleted->size())}});
}

class DomainRoutes {
 public:
  explicit DomainRoutes(EndpointService& service) : service_(service), store_(service.store()) {}

  Reply List(AdminCall&) {
    auto domains = store_.ListDomains();
    if (!domains.ok()) return Error(domains.status());
    json::array out;
    for (const auto& d : *domains) out.push_back(DomainToJson(d));
    return Ok(std::move(out));
  }

  Reply Create(AdminCall& call) {
    auto body = ParseWithRequired(call.request.body, kDomainFields, {"name", "host"});
    if (!body.ok()) return Error(body.status());
    store::DomainRecord d;
    d.id = base::NewUuid();
    base::Status status = ApplyDomainFields(d, *body);
    if (status.ok()) status = store_.CreateDomain(d);
    if (!status.ok()) return Error(status);
    // Republished: endpoints without a collection whose domain equals the host now follow
    // this domain's enable switch.
    return Republished(service_, GetReply(d.id, 201));
  }

  Reply Get(AdminCall& call) { return GetReply(call.param("id"), 200); }

  Reply Update(AdminCall& call) {
    auto body = ParseBody(call.request.body, kDomainFields);
    if (!body.ok()) return Error(body.status());
    auto d = store_.GetDomain(call.param("id"));
    if (!d.ok()) return Error(d.status());
    store::DomainRecord before = *d;
    base::Status status = ApplyDomainFields(*d, *body);
    if (status.ok()) status = store_.UpdateDomain(*d);
    if (!status.ok()) return Error(status);
    Reply reply = GetReply(d->id, 200);
    bool reroutes = before.host != d->host || before.enabled != d->enabled;
    return reroutes ? Republished(service_, std::move(reply)) : reply;
  }

  Reply Delete(AdminCall& call) {
    std::string id = call.param("id");
    return Deleted(service_, id, store_.DeleteDomain(id));
  }

  Reply Collections(AdminCall& call) {
    std::string id = call.param("id");
    auto d = store_.GetDomain(id);
    if (!d.ok()) return Error(d.status());
    auto collections = store_.ListCollections(id);
    if (!collections.ok()) return Error(collections.status());
    json::array out;
    for (const auto& c : *collections) out.push_back(CollectionToJson(c));
    return Ok(std::move(out));
  }

 private:
  Reply GetReply(const std::string& id, int status) {
    auto d = store_.GetDomain(id);
    return d.ok() ? Ok(DomainToJson(*d), status) : Error(d.status());
  }

  EndpointService& service_;
  store::Store& store_;
};

class CollectionRoutes {
 public:
  explicit CollectionRoutes(EndpointService& service)
      : service_(service), store_(service.store()) {}

  Reply List(AdminCall& call) {
    auto collections = store_.ListCollections(call.query("domain_id"));
    if (!collections.ok()) return Error(collections.status());
    json::array out;
    for (const auto& c : *collections) out.push_back(CollectionToJson(c));
    return Ok(std::move(out));
  }

  Reply Create(AdminCall& call) {
    auto body = ParseWithRequired(call.request.body, kCollectionFields, {"domain_id", "name"});
    if (!body.ok()) return Error(body.status());
    store::CollectionRecord c;
    c.id = base::NewUuid();
    base::Status status = ApplyCollectionFields(c, *body);
    if (status.ok()) status = store_.CreateCollection(c);
    if (!status.ok()) return Error(status);
    return GetReply(c.id, 201);  // a new collection has no endpoints: routing is unchanged
  }

  Reply Get(AdminCall& call) { return GetReply(call.param("id"), 200); }

  Reply Update(AdminCall& call) {
    auto body = ParseBody(call.request.body, kCollectionFields);
    if (!body.ok()) return Error(body.status());
    auto c = store_.GetCollection(call.param("id"));
    if (!c.ok()) return Error(c.status());
    store::CollectionRecord before = *c;
    base::Status status = ApplyCollectionFields(*c, *body);
    if (status.ok() && before.base_path != c->base_path) status = CheckPathsUnder(*c);
    if (status.ok()) status = store_.UpdateCollection(*c);
    if (!status.ok()) return Error(status);
    Reply reply = GetReply(c->id, 200);
    bool reroutes = before.base_path != c->base_path || before.domain_id != c->domain_id ||
                    before.enabled != c->enabled;
    return reroutes ? Republished(service_, std::move(reply)) : reply;
  }

  Reply Delete(AdminCall& call) {
    std::string id = call.param("id");
    return Deleted(service_, id, store_.DeleteCollection(id));
  }

  Reply Endpoints(AdminCall& call) {
    std::string id = call.param("id");
    auto c = store_.GetCollection(id);
    if (!c.ok()) return Error(c.status());
    store::EndpointFilter filter;
    filter.collection_id = id;
    auto endpoints = store_.ListEndpoints(filter);
    if (!endpoints.ok()) return Error(endpoints.status());
    json::array out;
    for (const auto& e : *endpoints) out.push_back(EndpointToJson(e, false));
    return Ok(std::move(out));
  }

 private:
  Reply GetReply(const std::string& id, int status) {
    auto c = store_.GetCollection(id);
    return c.ok() ? Ok(CollectionToJson(*c), status) : Error(c.status());
  }

  // Every endpoint of `c` must still have a valid routed path under the new base_path (the
  // joined pattern has length and segment limits).
  base::Status CheckPathsUnder(const store::CollectionRecord& c) {
    store::EndpointFilter filter;
    filter.collection_id = c.id;
    ASSIGN_OR_RETURN(std::vector<store::EndpointRecord> endpoints, store_.ListEndpoints(filter));
    for (const auto& e : endpoints) {
      auto routed = router::ParsePathPattern(store::JoinBasePath(c.base_path, e.path));
      if (!routed.ok()) {
        return base::FieldError("base_path", "endpoint " + e.id + " under this base_path: " +
                                                 routed.status().message());
      }
    }
    return base::OkStatus();
  }

  EndpointService& service_;
  store::Store& store_;
};

// Wraps a member function of a shared route object as a RouteHandler.
template <typename T>
auto Binder(std::shared_ptr<T> routes) {
  return [routes](Reply (T::*fn)(AdminCall&)) {
    return [routes, fn](AdminCall& call) { return ((*routes).*fn)(call); };
  };
}

}  // namespace

void AddDomainRoutes(AdminRoutes& routes, EndpointService& service) {
  auto bind = Binder(std::make_shared<DomainRoutes>(service));
  const std::string read = "domains:read", write = "domains:write";
  routes.Add("GET", "/api/domains", read, bind(&DomainRoutes::List));
  routes.Add("POST", "/api/domains", write, bind(&DomainRoutes::Create));
  routes.Add("GET", "/api/domains/{id}", read, bind(&DomainRoutes::Get));
  routes.Add("PUT", "/api/domains/{id}", write, bind(&DomainRoutes::Update));
  routes.Add("DELETE", "/api/domains/{id}", write, bind(&DomainRoutes::Delete));
  routes.Add("GET", "/api/domains/{id}/collections", read, bind(&DomainRoutes::Collections));
}

void AddCollectionRoutes(AdminRoutes& routes, EndpointService& service) {
  auto bind = Binder(std::make_shared<CollectionRoutes>(service));
  const std::string read = "collections:read", write = "collections:write";
  routes.Add("GET", "/api/collections", read, bind(&CollectionRoutes::List));
  routes.Add("POST", "/api/collections", write, bind(&CollectionRoutes::Create));
  routes.Add("GET", "/api/collections/{id}", read, bind(&CollectionRoutes::Get));
  routes.Add("PUT", "/api/collections/{id}", write, bind(&CollectionRoutes::Update));
  routes.Add("DELETE", "/api/collections/{id}", write, bind(&CollectionRoutes::Delete));
  routes.Add("GET", "/api/collections/{id}/endpoints", read, bind(&CollectionRoutes::Endpoints));
}

}  // namespace edgegate::admin
