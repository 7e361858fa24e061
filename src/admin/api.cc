// Admin API routing, authentication and the endpoint routes.
#include "admin/api.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <optional>

#include "admin/reply.h"
#include "base/log.h"
#include "base/strings.h"
#include "http/coroutine.h"
#include "http/query.h"
#include "router/route_table.h"

namespace edgegate::admin {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Suspends the request's coroutine while `work` runs on the pool.
class CoroutineOffloader : public Offloader {
 public:
  CoroutineOffloader(asio::thread_pool& pool, http::Coroutine& co) : pool_(pool), co_(co) {}
  void Run(const std::function<void()>& work) override {
    asio::async_initiate<asio::yield_context, void()>(
        [this, &work](auto handler) {
          asio::post(pool_, [&work, handler = std::move(handler)]() mutable {
            work();
            asio::post(std::move(handler));  // resume on the coroutine's own loop
          });
        },
        co_.yield);
  }

 private:
  asio::thread_pool& pool_;
  http::Coroutine& co_;
};

// Runs work inline: for start-up, before any loop runs.
class InlineOffloader : public Offloader {
 public:
  void Run(const std::function<void()>& work) override { work(); }
};

std::string_view HeaderValue(const http::Request& request, std::string_view name) {
  for (const http::Header& h : request.headers) {
    if (base::EqualsIgnoreCase(h.name, name)) {
      return h.value;
    }
  }
  return {};
}

// The decoded value of query parameter `name`, if present.
std::optional<std::string> QueryParam(const http::Request& request, std::string_view name) {
  std::optional<std::string> found;
  http::ForEachQueryParam(request.query, [&](std::string_view key, std::string_view value) {
    std::string decoded_key, decoded_value;
    if (!found && http::DecodeQueryComponent(key, &decoded_key) && decoded_key == name &&
        http::DecodeQueryComponent(value, &decoded_value)) {
      found = std::move(decoded_value);
    }
  });
  return found;
}

}  // namespace

// One admin request: what a route handler needs.
struct AdminCall {
  const http::Request& request;
  const router::RouteMatch& match;
  Offloader& offloader;
  std::string id() const { return std::string(match.param("id")); }
};

class AdminApiImpl {
 public:
  using Handler = Reply (AdminApiImpl::*)(AdminCall&);
  struct Route {
    const char* method;
    const char* path;
    const char* scope;  // nullptr: no authentication (health)
    Handler handler;
  };

  AdminApiImpl(const AdminApiOptions& options, KeyRing& keys, EndpointService& endpoints)
      : options_(options), keys_(keys), endpoints_(endpoints),
        pool_(static_cast<size_t>(std::max(1, options.compile_workers))) {
    std::vector<router::RouteSpec> specs;
    for (size_t i = 0; i < std::size(kRoutes); ++i) {
      specs.push_back({"*", kRoutes[i].method, kRoutes[i].path, static_cast<uint32_t>(i)});
    }
    auto table = router::RouteTable::Build(std::move(specs));
    if (!table.ok()) {
      std::abort();  // the route list above is code: a bad entry is a programming error
    }
    table_ = std::move(table).value();
  }

  ~AdminApiImpl() { pool_.join(); }

  Reply Serve(const http::Request& request, router::RouteMatch& match) {
    table_->Match("*", request.method, request.path, match);
    if (match.outcome == router::RouteMatch::Outcome::kNotFound) {
      return Error(404, "no admin route " + std::string(request.method) + " " +
                            std::string(request.path));
    }
    if (match.outcome == router::RouteMatch::Outcome::kMethodNotAllowed) {
      return Error(405, "method not allowed; allowed: " + std::string(match.allow()));
    }
    const Route& route = kRoutes[match.route_id];
    if (route.scope != nullptr) {
      auto principal = keys_.Authenticate(HeaderValue(request, "authorization"));
      if (!principal.ok()) {
        return Error(principal.status());
      }
      if (!ScopesAllow(principal->scopes, route.scope)) {
        return Error(403, std::string("this key lacks the scope ") + route.scope);
      }
    }
    CoroutineOffloader offloader(pool_, *request.coroutine);
    AdminCall call{request, match, offloader};
    return (this->*route.handler)(call);
  }

  Offloader& inline_offloader() { return inline_offloader_; }

 private:
  Reply Health(AdminCall&) {
    return Ok(json::object{{"status", "ok"}, {"version", options_.version}});
  }

  Reply ListEndpoints(AdminCall& call) {
    store::EndpointFilter filter;
    filter.domain = QueryParam(call.request, "domain");
    filter.collection_id = QueryParam(call.request, "collection_id");
    filter.status = QueryParam(call.request, "status");
    if (auto enabled = QueryParam(call.request, "enabled")) {
      if (*enabled != "true" && *enabled != "false") {
        return Error(base::FieldError("enabled", "enabled must be true or false"));
      }
      filter.enabled = *enabled == "true";
    }
    if (auto limit = QueryParam(call.request, "limit")) {
      auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), filter.limit);
      if (ec != std::errc() || ptr != limit->data() + limit->size() || filter.limit < 1) {
        return Error(base::FieldError("limit", "limit must be a positive integer"));
      }
    }
    filter.after_id = QueryParam(call.request, "cursor").value_or("");
    auto list = endpoints_.store().ListEndpoints(filter);
    if (!list.ok()) return Error(list.status());
    json::array out;
    for (const auto& e : *list) out.push_back(EndpointToJson(e, false));
    return Ok(std::move(out));
  }

  Reply CreateEndpoint(AdminCall& call) {
    auto body = ParseBody(call.request.body, kEndpointFields);
    if (!body.ok()) return Error(body.status());
    for (const char* required : {"name", "path", "method"}) {
      if (!body->contains(required)) {
        return Error(base::FieldError(required, std::string("'") + required + "' is required"));
      }
    }
    auto created = endpoints_.Create(*body);
    if (!created.ok()) return Error(created.status());
    return Ok(EndpointToJson(*created, true), 201);
  }

  Reply GetEndpoint(AdminCall& call) {
    auto e = endpoints_.Get(call.id());
    return e.ok() ? Ok(EndpointToJson(*e, true)) : Error(e.status());
  }

  Reply UpdateEndpoint(AdminCall& call) {
    auto body = ParseBody(call.request.body, kEndpointFields);
    if (!body.ok()) return Error(body.status());
    auto e = endpoints_.Update(call.id(), *body);
    return e.ok() ? Ok(EndpointToJson(*e, true)) : Error(e.status());
  }

  Reply DeleteEndpoint(AdminCall& call) {
    base::Status deleted = endpoints_.Delete(call.id());
    if (!deleted.ok()) return Error(deleted);
    return Ok(json::object{{"id", call.id()}, {"deleted", true}});
  }

  Reply GetCode(AdminCall& call) {
    auto e = endpoints_.Get(call.id());
    return e.ok() ? Ok(json::object{{"code", e->code}}) : Error(e.status());
  }

  Reply PutCode(AdminCall& call) {
    std::string code;
    if (HeaderValue(call.request, "content-type").starts_with("application/json")) {
      auto body = ParseBody(call.request.body, {{"code", FieldType::kString, true}});
      if (!body.ok()) return Error(body.status());
      code = *GetString(*body, "code");
    } else {
      code = std::string(call.request.body);  // raw source upload (text/plain, text/x-c++)
    }
    base::Status put = endpoints_.PutCode(call.id(), std::move(code));
    if (!put.ok()) return Error(put);
    return GetCode(call);
  }

  Reply Compile(AdminCall& call) {
    auto result = endpoints_.Compile(call.id(), call.offloader);
    if (!result.ok()) return Error(result.status());
    if (!result->build.success) return CompileFailed(*result);
    return Ok(CompileJson(*result));
  }

  Reply Start(AdminCall& call) {
    auto started = endpoints_.Start(call.id());
    if (!started.ok()) return Error(started.status());
    return Ok(StartJson(*started));
  }

  Reply Stop(AdminCall& call) {
    base::Status stopped = endpoints_.Stop(call.id());
    if (!stopped.ok()) return Error(stopped);
    return Ok(json::object{{"status", "stopped"}});
  }

  Reply Deploy(AdminCall& call) {
    auto compiled = endpoints_.Compile(call.id(), call.offloader);
    if (!compiled.ok()) return Error(compiled.status());
    if (!compiled->build.success) return CompileFailed(*compiled);
    auto started = endpoints_.Activate(call.id(), compiled->version.version);
    if (!started.ok()) return Error(started.status());
    json::object out = CompileJson(*compiled);
    for (auto& member : StartJson(*started)) out[member.key()] = member.value();
    return Ok(std::move(out));
  }

  Reply Versions(AdminCall& call) {
    auto versions = endpoints_.Versions(call.id());
    return versions.ok() ? Ok(std::move(versions).value()) : Error(versions.status());
  }

  static json::object CompileJson(const CompileResult& r) {
    return json::object{{"status", "compiled"},
                        {"version", r.version.version},
                        {"hash", r.version.hash},
                        {"cached", r.build.cached || r.reused},
                        {"duration_ms", r.build.duration.count()},
                        {"diagnostics", DiagnosticsToJson(r.build.diagnostics)}};
  }

  static json::object StartJson(const StartResult& r) {
    return json::object{
        {"status", "running"},
        {"version", r.version},
        {"previous_version", r.previous_version ? json::value(r.previous_version) : nullptr}};
  }

  static Reply CompileFailed(const CompileResult& r) {
    json::object details{{"status", "error"},
                         {"version", r.version.version},
                         {"timed_out", r.build.timed_out},
                         {"diagnostics", DiagnosticsToJson(r.build.diagnostics)},
                         {"output", r.build.output}};
    return Error(r.build.status(), std::move(details));
  }

  static constexpr FieldSpec kEndpointFields[] = {
      {"name", FieldType::kString},          {"path", FieldType::kString},
      {"method", FieldType::kString},        {"domain", FieldType::kString},
      {"collection_id", FieldType::kString}, {"description", FieldType::kString},
      {"code", FieldType::kString},          {"dependencies", FieldType::kStringArray},
      {"enabled", FieldType::kBool},
  };

  static constexpr Route kRoutes[] = {
      {"GET", "/api/health", nullptr, &AdminApiImpl::Health},
      {"GET", "/api/endpoints", "endpoints:read", &AdminApiImpl::ListEndpoints},
      {"POST", "/api/endpoints", "endpoints:write", &AdminApiImpl::CreateEndpoint},
      {"GET", "/api/endpoints/{id}", "endpoints:read", &AdminApiImpl::GetEndpoint},
      {"PUT", "/api/endpoints/{id}", "endpoints:write", &AdminApiImpl::UpdateEndpoint},
      {"DELETE", "/api/endpoints/{id}", "endpoints:write", &AdminApiImpl::DeleteEndpoint},
      {"GET", "/api/endpoints/{id}/code", "endpoints:read", &AdminApiImpl::GetCode},
      {"PUT", "/api/endpoints/{id}/code", "endpoints:write", &AdminApiImpl::PutCode},
      {"POST", "/api/endpoints/{id}/compile", "endpoints:write", &AdminApiImpl::Compile},
      {"POST", "/api/endpoints/{id}/start", "endpoints:write", &AdminApiImpl::Start},
      {"POST", "/api/endpoints/{id}/stop", "endpoints:write", &AdminApiImpl::Stop},
      {"POST", "/api/endpoints/{id}/deploy", "endpoints:write", &AdminApiImpl::Deploy},
      {"GET", "/api/endpoints/{id}/versions", "endpoints:read", &AdminApiImpl::Versions},
  };

  const AdminApiOptions options_;
  KeyRing& keys_;
  EndpointService& endpoints_;
  std::shared_ptr<const router::RouteTable> table_;
  InlineOffloader inline_offloader_;
  asio::thread_pool pool_;  // last: its threads run work that refers to the members above
};

namespace {

class AdminSession : public http::Session {
 public:
  explicit AdminSession(AdminApiImpl& api) : api_(api) {}
  void Serve(const http::Request& request, http::Response& response) override {
    Reply reply = api_.Serve(request, match_);
    response.SetJson(reply.status, json::serialize(reply.body));
    if (reply.status == 401) {
      response.AddHeader("WWW-Authenticate", "Bearer");
    }
  }

 private:
  AdminApiImpl& api_;
  router::RouteMatch match_;
};

}  // namespace

AdminApi::AdminApi(const AdminApiOptions& options, KeyRing& keys, EndpointService& endpoints)
    : impl_(std::make_unique<AdminApiImpl>(options, keys, endpoints)) {}

AdminApi::~AdminApi() = default;

std::unique_ptr<http::Session> AdminApi::NewSession() {
  return std::make_unique<AdminSession>(*impl_);
}

Offloader& AdminApi::blocking_offloader() { return impl_->inline_offloader(); }

}  // namespace edgegate::admin
