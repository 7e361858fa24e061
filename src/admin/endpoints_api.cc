// The endpoint routes of the admin API: CRUD, code, compile, start, stop, deploy, versions.
#include "admin/endpoints_api.h"

#include <charconv>

namespace edgegate::admin {
namespace json = boost::json;

namespace {

constexpr FieldSpec kEndpointFields[] = {
    {"name", FieldType::kString},          {"path", FieldType::kString},
    {"method", FieldType::kString},        {"domain", FieldType::kString},
    {"collection_id", FieldType::kString}, {"description", FieldType::kString},
    {"code", FieldType::kString},          {"dependencies", FieldType::kStringArray},
    {"enabled", FieldType::kBool},
};

json::object CompileJson(const CompileResult& r) {
  return json::object{{"status", "compiled"},
                      {"version", r.version.version},
                      {"hash", r.version.hash},
                      {"cached", r.build.cached || r.reused},
                      {"duration_ms", r.build.duration.count()},
                      {"diagnostics", DiagnosticsToJson(r.build.diagnostics)}};
}

json::object StartJson(const StartResult& r) {
  return json::object{
      {"status", "running"},
      {"version", r.version},
      {"previous_version", r.previous_version ? json::value(r.previous_version) : nullptr}};
}

Reply CompileFailed(const CompileResult& r) {
  json::object details{{"status", "error"},
                       {"version", r.version.version},
                       {"timed_out", r.build.timed_out},
                       {"diagnostics", DiagnosticsToJson(r.build.diagnostics)},
                       {"output", r.build.output}};
  return Error(r.build.status(), std::move(details));
}

// Reads the list filters and pagination of GET /api/endpoints.
base::Result<store::EndpointFilter> ListFilter(const AdminCall& call) {
  store::EndpointFilter filter;
  filter.domain = call.query("domain");
  filter.collection_id = call.query("collection_id");
  filter.status = call.query("status");
  if (auto enabled = call.query("enabled")) {
    if (*enabled != "true" && *enabled != "false") {
      return base::FieldError("enabled", "enabled must be true or false");
    }
    filter.enabled = *enabled == "true";
  }
  if (auto limit = call.query("limit")) {
    auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), filter.limit);
    if (ec != std::errc() || ptr != limit->data() + limit->size() || filter.limit < 1) {
      return base::FieldError("limit", "limit must be a positive integer");
    }
  }
  filter.after_id = call.query("cursor").value_or("");
  return filter;
}

// Route handlers; each owns nothing and borrows the service.
class EndpointRoutes {
 public:
  explicit EndpointRoutes(EndpointService& service) : service_(service) {}

  Reply List(AdminCall& call) {
    auto filter = ListFilter(call);
    if (!filter.ok()) return Error(filter.status());
    auto list = service_.store().ListEndpoints(*filter);
    if (!list.ok()) return Error(list.status());
    json::array out;
    for (const auto& e : *list) out.push_back(EndpointToJson(e, false));
    return Ok(std::move(out));
  }

  Reply Create(AdminCall& call) {
    auto body = ParseBody(call.request.body, kEndpointFields);
    if (!body.ok()) return Error(body.status());
    for (const char* required : {"name", "path", "method"}) {
      if (!body->contains(required)) {
        return Error(base::FieldError(required, std::string("'") + required + "' is required"));
      }
    }
    auto created = service_.Create(*body);
    return created.ok() ? Ok(EndpointToJson(*created, true), 201) : Error(created.status());
  }

  Reply Get(AdminCall& call) {
    auto e = service_.Get(call.param("id"));
    return e.ok() ? Ok(EndpointToJson(*e, true)) : Error(e.status());
  }

  Reply Update(AdminCall& call) {
    auto body = ParseBody(call.request.body, kEndpointFields);
    if (!body.ok()) return Error(body.status());
    auto e = service_.Update(call.param("id"), *body);
    return e.ok() ? Ok(EndpointToJson(*e, true)) : Error(e.status());
  }

  Reply Delete(AdminCall& call) {
    base::Status deleted = service_.Delete(call.param("id"));
    if (!deleted.ok()) return Error(deleted);
    return Ok(json::object{{"id", call.param("id")}, {"deleted", true}});
  }

  Reply GetCode(AdminCall& call) {
    auto e = service_.Get(call.param("id"));
    return e.ok() ? Ok(json::object{{"code", e->code}}) : Error(e.status());
  }

  Reply PutCode(AdminCall& call) {
    std::string code;
    if (call.header("content-type").starts_with("application/json")) {
      auto body = ParseBody(call.request.body, {{"code", FieldType::kString, true}});
      if (!body.ok()) return Error(body.status());
      code = *GetString(*body, "code");
    } else {
      code = std::string(call.request.body);  // raw source upload (text/plain, text/x-c++)
    }
    base::Status put = service_.PutCode(call.param("id"), std::move(code));
    return put.ok() ? GetCode(call) : Error(put);
  }

  Reply Compile(AdminCall& call) {
    auto result = service_.Compile(call.param("id"), call.offloader);
    if (!result.ok()) return Error(result.status());
    return result->build.success ? Ok(CompileJson(*result)) : CompileFailed(*result);
  }

  Reply Start(AdminCall& call) {
    auto started = service_.Start(call.param("id"));
    return started.ok() ? Ok(StartJson(*started)) : Error(started.status());
  }

  Reply Stop(AdminCall& call) {
    base::Status stopped = service_.Stop(call.param("id"));
    return stopped.ok() ? Ok(json::object{{"status", "stopped"}}) : Error(stopped);
  }

  Reply Deploy(AdminCall& call) {
    auto compiled = service_.Compile(call.param("id"), call.offloader);
    if (!compiled.ok()) return Error(compiled.status());
    if (!compiled->build.success) return CompileFailed(*compiled);
    auto started = service_.Activate(call.param("id"), compiled->version.version);
    if (!started.ok()) return Error(started.status());
    json::object out = CompileJson(*compiled);
    for (auto& member : StartJson(*started)) out[member.key()] = member.value();
    return Ok(std::move(out));
  }

  Reply Versions(AdminCall& call) {
    auto versions = service_.Versions(call.param("id"));
    return versions.ok() ? Ok(std::move(versions).value()) : Error(versions.status());
  }

 private:
  EndpointService& service_;
};

}  // namespace

void AddEndpointRoutes(AdminRoutes& routes, EndpointService& service) {
  auto r = std::make_shared<EndpointRoutes>(service);
  auto bind = [r](Reply (EndpointRoutes::*fn)(AdminCall&)) {
    return [r, fn](AdminCall& call) { return ((*r).*fn)(call); };
  };
  const std::string read = "endpoints:read", write = "endpoints:write";
  routes.Add("GET", "/api/endpoints", read, bind(&EndpointRoutes::List));
  routes.Add("POST", "/api/endpoints", write, bind(&EndpointRoutes::Create));
  routes.Add("GET", "/api/endpoints/{id}", read, bind(&EndpointRoutes::Get));
  routes.Add("PUT", "/api/endpoints/{id}", write, bind(&EndpointRoutes::Update));
  routes.Add("DELETE", "/api/endpoints/{id}", write, bind(&EndpointRoutes::Delete));
  routes.Add("GET", "/api/endpoints/{id}/code", read, bind(&EndpointRoutes::GetCode));
  routes.Add("PUT", "/api/endpoints/{id}/code", write, bind(&EndpointRoutes::PutCode));
  routes.Add("POST", "/api/endpoints/{id}/compile", write, bind(&EndpointRoutes::Compile));
  routes.Add("POST", "/api/endpoints/{id}/start", write, bind(&EndpointRoutes::Start));
  routes.Add("POST", "/api/endpoints/{id}/stop", write, bind(&EndpointRoutes::Stop));
  routes.Add("POST", "/api/endpoints/{id}/deploy", write, bind(&EndpointRoutes::Deploy));
  routes.Add("GET", "/api/endpoints/{id}/versions", read, bind(&EndpointRoutes::Versions));
}

}  // namespace edgegate::admin
