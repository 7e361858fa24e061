// Service routes: validation (errors name the field, config errors name config.<key>), secrets
// redacted on every read, activation through the manager, real round trips for /test.
#include "admin/services_api.h"

#include "admin/api.h"

#include <algorithm>
#include <chrono>
#include <regex>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/log.h"
#include "base/random.h"
#include "services/catalog.h"
#include "telemetry/metrics.h"

namespace edgegate::admin {
namespace json = boost::json;
using services::Clock;

namespace {

constexpr FieldSpec kServiceFields[] = {
    {"name", FieldType::kString},        {"service_type", FieldType::kString},
    {"config", FieldType::kAny},         {"description", FieldType::kString},
    {"enabled", FieldType::kBool},
};
constexpr FieldSpec kBindingFields[] = {
    {"service_id", FieldType::kString, true},
    {"pool_id", FieldType::kString},
};

base::Status ValidateName(std::string_view name, std::string_view field) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  if (!std::regex_match(name.begin(), name.end(), kName)) {
    return base::FieldError(std::string(field),
                            std::string(field) + " must be 1 to 100 characters of letters, "
                                                 "digits, '_', '.' and '-', starting with a "
                                                 "letter or digit");
  }
  return base::OkStatus();
}

base::Result<const services::ServiceType*> TypeOf(std::string_view name) {
  if (const services::ServiceType* t = services::FindType(name)) {
    return t;
  }
  std::string known;
  for (const services::ServiceType* t : services::AllTypes()) {
    known += (known.empty() ? "" : ", ") + std::string(t->name);
  }
  std::string why = name == "mongodb" ? " (MongoDB is not offered: see docs/services.md)" : "";
  return base::FieldError("service_type", "unknown service_type '" + std::string(name) + "'" +
                                              why + "; known: " + known);
}

json::object ParseConfig(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return !ec && v.is_object() ? v.get_object() : json::object{};
}

json::object StatsToJson(const services::ActorStats& s) {
  json::array buckets;
  for (size_t i = 0; i < s.latency_buckets.size(); ++i) {
    json::object b{{"count", s.latency_buckets[i]}};
    if (i < std::size(services::kLatencyBucketsUs)) {
      b["le_us"] = services::kLatencyBucketsUs[i];
    }
    buckets.push_back(std::move(b));
  }
  return json::object{{"calls", s.calls},
                      {"errors", s.errors},
                      {"timeouts", s.timeouts},
                      {"busy", s.busy},
                      {"latency_us_sum", s.latency_us_sum},
                      {"latency_buckets", std::move(buckets)},
                      {"inbox_depth", s.inbox_depth},
                      {"connections_open", s.connections_open},
                      {"connections_in_use", s.connections_in_use},
                      {"open_transactions", s.open_transactions},
                      {"last_error", s.last_error}};
}

json::object BindingToJson(const store::ServiceBindingRecord& b) {
  return json::object{{"endpoint_id", b.endpoint_id},
                      {"service_id", b.service_id},
                      {"pool_id", b.pool_id},
                      {"created_at", store::FormatTimestamp(b.created_at)}};
}

// {connected, latency_ms, error}: a real round trip on a fresh connection, off the admin loop.
json::object TestConnection(const services::ServiceSpec& spec, Offloader& offloader) {
  base::Status status;
  Clock::time_point start = Clock::now();
  offloader.Run([&] { status = services::TestConnection(*spec.type, spec.config); });
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return json::object{{"connected", status.ok()},
                      {"latency_ms", std::round(ms * 100) / 100},
                      {"error", status.ok() ? json::value(nullptr) : json::value(status.message())}};
}

class ServiceRoutes {
 public:
  explicit ServiceRoutes(ServiceAdmin& admin)
      : admin_(admin), store_(admin.store()), manager_(admin.manager()) {}

  Reply List(AdminCall&) {
    auto services = store_.ListServices();
    if (!services.ok()) return Error(services.status());
    json::array out;
    for (const auto& s : *services) out.push_back(ToJson(s, false));
    return Ok(std::move(out));
  }

  Reply Types(AdminCall&) {
    json::array out;
    for (const services::ServiceType* t : services::AllTypes()) {
      json::array keys;
      for (const services::ConfigKey& k : t->keys) {
        json::object key{{"name", k.name}, {"required", k.required}, {"secret", k.secret}};
        keys.push_back(std::move(key));
      }
      out.push_back(json::object{{"service_type", t->name},
                                 {"kind", services::KindName(t->kind)},
                                 {"keys", std::move(keys)}});
    }
    return Ok(std::move(out));
  }

  Reply Create(AdminCall& call) {
    auto body = ParseBody(call.request.body, kServiceFields);
    if (!body.ok()) return Error(body.status());
    for (const char* required : {"name", "service_type"}) {
      if (!body->contains(required)) {
        return Error(base::FieldError(required, std::string("'") + required + "' is required"));
      }
    }
    store::ServiceRecord s;
    s.id = base::NewUuid();
    auto spec = Apply(s, *body, nullptr);
    if (!spec.ok()) return Error(spec.status());
    bool activate = s.enabled;
    s.enabled = false;  // stored enabled only once the actor runs
    base::Status status = store_.CreateService(s);
    if (!status.ok()) return Error(status);
    if (activate) {
      return Activate(call, s.id, 201);
    }
    return Synced(GetReply(s.id, 201));
  }

  Reply Get(AdminCall& call) { return GetReply(call.param("id"), 200); }

  Reply Update(AdminCall& call) {
    auto body = ParseBody(call.request.body, kServiceFields);
    if (!body.ok()) return Error(body.status());
    auto s = store_.GetService(call.param("id"));
    if (!s.ok()) return Error(s.status());
    store::ServiceRecord before = *s;
    json::object old_config = ParseConfig(before.config);
    auto spec = Apply(*s, *body, &old_config);
    if (!spec.ok()) return Error(spec.status());
    base::Status status = store_.UpdateService(*s);
    if (!status.ok()) return Error(status);
    if (s->enabled) {
      // New config or name, or switched on: (re)start the actor; the old one drains.
      if (!before.enabled || before.config != s->config || before.name != s->name ||
          before.service_type != s->service_type) {
        manager_.Activate(*spec);
      }
    } else if (before.enabled) {
      manager_.Deactivate(s->id);
    }
    return Synced(GetReply(s->id, 200));
  }

  Reply Delete(AdminCall& call) {
    std::string id = call.param("id");
    base::Status status = store_.DeleteService(id);
    if (!status.ok()) return Error(status);
    manager_.Deactivate(id);
    return Synced(Ok(json::object{{"id", id}, {"deleted", true}}));
  }

  Reply ActivateRoute(AdminCall& call) { return Activate(call, call.param("id"), 200); }

  Reply Deactivate(AdminCall& call) {
    auto s = store_.GetService(call.param("id"));
    if (!s.ok()) return Error(s.status());
    if (s->enabled) {
      s->enabled = false;
      base::Status status = store_.UpdateService(*s);
      if (!status.ok()) return Error(status);
    }
    manager_.Deactivate(s->id);
    return Synced(GetReply(s->id, 200));
  }

  Reply Test(AdminCall& call) {
    auto s = store_.GetService(call.param("id"));
    if (!s.ok()) return Error(s.status());
    auto spec = SpecOf(*s);
    if (!spec.ok()) return Error(spec.status());
    return Ok(TestConnection(*spec, call.offloader));
  }

  Reply Bind(AdminCall& call) {
    auto body = ParseBody(call.request.body, kBindingFields);
    if (!body.ok()) return Error(body.status());
    store::ServiceBindingRecord b;
    b.endpoint_id = call.param("id");
    b.service_id = *GetString(*body, "service_id");
    auto service = store_.GetService(b.service_id);
    if (!service.ok()) {
      if (service.status().code() == base::Code::kNotFound) {
        return Error(base::Status(base::Code::kNotFound, service.status().message())
                         .WithField("service_id"));
      }
      return Error(service.status());
    }
    b.pool_id = GetString(*body, "pool_id").value_or(service->name);
    base::Status valid = ValidateName(b.pool_id, "pool_id");
    if (!valid.ok()) return Error(valid);
    base::Status status = store_.BindService(b);
    if (!status.ok()) return Error(status);
    return Synced(Ok(BindingToJson(b), 201));
  }

  Reply Unbind(AdminCall& call) {
    std::string endpoint = call.param("id");
    std::string service = call.param("service_id");
    base::Status status = store_.UnbindService(endpoint, service);
    if (!status.ok()) return Error(status);
    return Synced(Ok(json::object{{"endpoint_id", endpoint}, {"service_id", service},
                                  {"deleted", true}}));
  }

  Reply Bindings(AdminCall& call) {
    std::string endpoint = call.param("id");
    auto e = store_.GetEndpoint(endpoint);
    if (!e.ok()) return Error(e.status());
    auto bindings = store_.ListBindingsOfEndpoint(endpoint);
    if (!bindings.ok()) return Error(bindings.status());
    json::array out;
    for (const auto& b : *bindings) out.push_back(BindingToJson(b));
    return Ok(std::move(out));
  }

 private:
  // Applies the body's fields to `s` and validates the result; `old_config` (on update) keeps
  // secrets sent back redacted.
  base::Result<services::ServiceSpec> Apply(store::ServiceRecord& s, const json::object& body,
                                            const json::object* old_config) {
    if (auto v = GetString(body, "name")) s.name = *v;
    if (auto v = GetString(body, "service_type")) s.service_type = *v;
    if (auto v = GetString(body, "description")) s.description = *v;
    if (auto v = GetBool(body, "enabled")) s.enabled = *v;
    RETURN_IF_ERROR(ValidateName(s.name, "name"));
    ASSIGN_OR_RETURN(const services::ServiceType* type, TypeOf(s.service_type));
    s.service_type = std::string(type->name);  // aliases stored by their canonical name
    json::value config = old_config ? json::value(*old_config) : json::value(json::object{});
    if (auto it = body.find("config"); it != body.end()) {
      config = it->value();
      if (config.is_object() && old_config != nullptr) {
        services::KeepRedactedSecrets(*type, *old_config, config.get_object());
      }
    }
    ASSIGN_OR_RETURN(json::object valid, services::ValidateConfig(*type, config));
    s.config = json::serialize(valid);
    return services::ServiceSpec{s.id, s.name, type, std::move(valid)};
  }

  Reply Activate(AdminCall& call, const std::string& id, int status_code) {
    auto s = store_.GetService(id);
    if (!s.ok()) return Error(s.status());
    auto spec = SpecOf(*s);
    if (!spec.ok()) return Error(spec.status());
    if (!s->enabled) {
      s->enabled = true;
      base::Status status = store_.UpdateService(*s);
      if (!status.ok()) return Error(status);
    }
    if (!manager_.IsActive(id)) {
      manager_.Activate(*spec);
    }
    Reply reply = GetReply(id, status_code);
    if (reply.body.is_object()) {
      // Activation never fails because the backend is down (the actor reconnects by itself),
      // but the caller sees at once whether it is reachable.
      reply.body.get_object()["data"].get_object()["test"] = TestConnection(*spec, call.offloader);
    }
    return reply;
  }

  json::object ToJson(const store::ServiceRecord& s, bool with_stats) {
    const services::ServiceType* type = services::FindType(s.service_type);
    json::object config = ParseConfig(s.config);
    json::object out{{"id", s.id},
                     {"name", s.name},
                     {"service_type", s.service_type},
                     {"kind", type ? services::KindName(type->kind) : "unknown"},
                     {"description", s.description},
                     {"config", type ? services::RedactSecrets(*type, config) : json::object{}},
                     {"enabled", s.enabled},
                     {"status", manager_.IsActive(s.id) ? "active" : "stopped"},
                     {"created_at", store::FormatTimestamp(s.created_at)},
                     {"updated_at", store::FormatTimestamp(s.updated_at)}};
    if (with_stats) {
      std::shared_ptr<services::Actor> actor = manager_.ActorOf(s.id);
      out["stats"] = actor ? json::value(StatsToJson(actor->Stats())) : json::value(nullptr);
      auto bindings = store_.ListBindingsOfService(s.id);
      json::array bound;
      if (bindings.ok()) {
        for (const auto& b : *bindings) bound.push_back(BindingToJson(b));
      }
      out["bindings"] = std::move(bound);
    }
    return out;
  }

  Reply GetReply(const std::string& id, int status) {
    auto s = store_.GetService(id);
    return s.ok() ? Ok(ToJson(*s, true), status) : Error(s.status());
  }

  Reply Synced(Reply reply) {
    base::Status synced = admin_.Sync();
    if (!synced.ok()) {
      base::Log(base::LogLevel::kError, "services not synchronised: " + synced.message());
    }
    return reply;
  }

  ServiceAdmin& admin_;
  store::Store& store_;
  services::ServiceManager& manager_;
};

}  // namespace

base::Result<services::ServiceSpec> SpecOf(const store::ServiceRecord& record) {
  ASSIGN_OR_RETURN(const services::ServiceType* type, TypeOf(record.service_type));
  ASSIGN_OR_RETURN(json::object config, services::ValidateConfig(*type, ParseConfig(record.config)));
  return services::ServiceSpec{record.id, record.name, type, std::move(config)};
}

base::Status ServiceAdmin::Sync() {
  ASSIGN_OR_RETURN(std::vector<store::ServiceRecord> records, store_.ListServices());
  ASSIGN_OR_RETURN(std::vector<store::ServiceBindingRecord> bindings, store_.ListBindings());
  std::vector<services::ServiceSpec> specs;
  for (const auto& r : records) {
    auto spec = SpecOf(r);
    if (spec.ok()) specs.push_back(std::move(spec).value());
  }
  std::vector<services::Binding> out;
  for (const auto& b : bindings) out.push_back({b.endpoint_id, b.service_id, b.pool_id});
  manager_.SetCatalog(std::move(specs), std::move(out));
  return base::OkStatus();
}

base::Status ServiceAdmin::RestoreAll() {
  ASSIGN_OR_RETURN(std::vector<store::ServiceRecord> records, store_.ListServices());
  for (const auto& r : records) {
    if (!r.enabled) continue;
    auto spec = SpecOf(r);
    if (!spec.ok()) {
      base::Log(base::LogLevel::kError, "service " + r.name + " (" + r.id +
                                            ") not restored: " + spec.status().message());
      continue;
    }
    manager_.Activate(*spec);
  }
  return Sync();
}

void AddServiceCollector(telemetry::MetricsRegistry& metrics, services::ServiceManager& manager) {
  metrics.Add([&manager](telemetry::MetricsWriter& w) {
    struct Row {
      std::string name;
      std::string type;
      services::ActorStats stats;
    };
    std::vector<Row> rows;
    for (const auto& [id, actor] : manager.ActiveActors()) {
      rows.push_back({actor->name(), std::string(actor->type().name), actor->Stats()});
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
    auto each = [&](std::string_view family, std::string_view type, std::string_view help,
                    auto value) {
      w.Family(family, type, help);
      for (const Row& r : rows) {
        telemetry::Label labels[] = {{"service", r.name}, {"type", r.type}};
        w.Sample(family, labels, static_cast<double>(value(r.stats)));
      }
    };
    using S = services::ActorStats;
    each("edgegate_service_calls_total", "counter", "Calls answered by the service's actor.",
         [](const S& s) { return s.calls; });
    each("edgegate_service_errors_total", "counter", "Calls that failed (any reason).",
         [](const S& s) { return s.errors; });
    each("edgegate_service_timeouts_total", "counter",
         "Calls the caller gave up on after the service's timeout.",
         [](const S& s) { return s.timeouts; });
    each("edgegate_service_busy_total", "counter", "Calls refused because the inbox was full.",
         [](const S& s) { return s.busy; });
    each("edgegate_service_inbox_depth", "gauge", "Calls waiting in the actor's inbox.",
         [](const S& s) { return s.inbox_depth; });
    each("edgegate_service_connections_open", "gauge", "Open backend connections.",
         [](const S& s) { return s.connections_open; });
    each("edgegate_service_connections_in_use", "gauge",
         "Connections running a call or held by a transaction.",
         [](const S& s) { return s.connections_in_use; });
    static const std::vector<double> bounds = [] {
      std::vector<double> b;
      for (uint64_t us : services::kLatencyBucketsUs) b.push_back(static_cast<double>(us) / 1e6);
      return b;
    }();
    w.Family("edgegate_service_call_duration_seconds", "histogram",
             "Time from a call entering the inbox to its reply.");
    for (const Row& r : rows) {
      telemetry::Label labels[] = {{"service", r.name}, {"type", r.type}};
      w.Histogram("edgegate_service_call_duration_seconds", labels, bounds,
                  r.stats.latency_buckets, static_cast<double>(r.stats.latency_us_sum) / 1e6);
    }
  });
}

void AddServiceRoutes(AdminRoutes& routes, ServiceAdmin& admin) {
  auto r = std::make_shared<ServiceRoutes>(admin);
  auto bind = [r](Reply (ServiceRoutes::*fn)(AdminCall&)) {
    return [r, fn](AdminCall& call) { return ((*r).*fn)(call); };
  };
  routes.Add("GET", "/api/services", "services:read", bind(&ServiceRoutes::List));
  routes.Add("POST", "/api/services", "services:write", bind(&ServiceRoutes::Create));
  routes.Add("GET", "/api/service-types", "services:read", bind(&ServiceRoutes::Types));
  routes.Add("GET", "/api/services/{id}", "services:read", bind(&ServiceRoutes::Get));
  routes.Add("PUT", "/api/services/{id}", "services:write", bind(&ServiceRoutes::Update));
  routes.Add("DELETE", "/api/services/{id}", "services:write", bind(&ServiceRoutes::Delete));
  routes.Add("POST", "/api/services/{id}/activate", "services:write",
             bind(&ServiceRoutes::ActivateRoute));
  routes.Add("POST", "/api/services/{id}/deactivate", "services:write",
             bind(&ServiceRoutes::Deactivate));
  routes.Add("POST", "/api/services/{id}/test", "services:write", bind(&ServiceRoutes::Test));
  routes.Add("GET", "/api/endpoints/{id}/services", "endpoints:read",
             bind(&ServiceRoutes::Bindings));
  routes.Add("POST", "/api/endpoints/{id}/services", "endpoints:write", bind(&ServiceRoutes::Bind));
  routes.Add("DELETE", "/api/endpoints/{id}/services/{service_id}", "endpoints:write",
             bind(&ServiceRoutes::Unbind));
}

}  // namespace edgegate::admin
