// Admin API dispatch: routing, authentication (with failed-attempt rate limiting per client
// address), scopes, envelope.
#include "admin/api.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <string>

#include "admin/openapi_doc.h"
#include "admin/rate_limiter.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/thread_priority.h"
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
            // Builds run here: background priority, like the admin loop (and so do the
            // compilers they spawn, which inherit it).
            thread_local const int nice = base::MakeThisThreadBackground();
            (void)nice;
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

class InlineOffloaderImpl : public Offloader {
 public:
  void Run(const std::function<void()>& work) override { work(); }
};

}  // namespace

std::optional<std::string> AdminCall::query(std::string_view name) const {
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

std::string_view AdminCall::header(std::string_view name) const {
  for (const http::Header& h : request.headers) {
    if (base::EqualsIgnoreCase(h.name, name)) {
      return h.value;
    }
  }
  return {};
}

class AdminApiImpl {
 public:
  AdminApiImpl(const AdminApiOptions& options, KeyRing& keys, AdminRoutes routes)
      : options_(options),
        keys_(keys),
        pool_(static_cast<size_t>(std::max(1, options.blocking_workers))) {
    routes.Add("GET", "/api/health", "", [this](AdminCall&) {
      return Ok(json::object{{"status", "ok"}, {"version", options_.version}});
    });
    // Served bare (no envelope), so OpenAPI tools read it as is. Built after the last Add.
    routes.Add("GET", "/api/openapi.json", "", [this](AdminCall&) { return Reply(200, openapi_); });
    routes_ = routes.all();
    openapi_ = BuildOpenApiDocument(routes_, options_.version);
    std::vector<router::RouteSpec> specs;
    for (size_t i = 0; i < routes_.size(); ++i) {
      specs.push_back({"*", routes_[i].method, routes_[i].path, static_cast<uint32_t>(i)});
    }
    auto table = router::RouteTable::Build(std::move(specs));
    if (!table.ok()) {
      base::Log(base::LogLevel::kError, "admin routes: " + table.status().message());
      std::abort();  // the route list is code: a bad entry is a programming error
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
    const AdminRoute& route = routes_[match.route_id];
    CoroutineOffloader offloader(pool_, *request.coroutine);
    AdminCall call{request, match, offloader, nullptr};
    std::optional<Principal> principal;
    if (!route.scope.empty()) {
      if (std::optional<Reply> refused = Authorize(call, route.scope, principal)) {
        return std::move(*refused);
      }
    }
    return route.handler(call);
  }

 private:
  // Authenticates `call` for `scope`, setting `principal` and call.principal; or the refusal:
  // 429 + Retry-After while the client's address is locked out (the key is not even checked),
  // 401 + WWW-Authenticate (a presented but rejected credential counts as a failure for the
  // address; a missing header does not: it guesses nothing), 403 if the key lacks `scope`.
  std::optional<Reply> Authorize(AdminCall& call, const std::string& scope,
                                 std::optional<Principal>& principal) {
    std::string_view address = call.request.client_ip;
    if (std::optional<std::chrono::seconds> retry = auth_failures_.RetryAfter(address)) {
      std::string seconds = std::to_string(retry->count());
      Reply reply = Error(429, "too many failed authentication attempts from this address; "
                               "retry in " + seconds + " s",
                          json::object{{"retry_after_seconds", retry->count()}});
      reply.headers.emplace_back("Retry-After", seconds);
      return reply;
    }
    std::string_view authorization = call.header("authorization");
    auto authenticated = keys_.Authenticate(authorization);
    if (!authenticated.ok()) {
      bool rejected = authenticated.status().code() == base::Code::kUnauthenticated;
      if (rejected && !authorization.empty()) {
        auth_failures_.RecordFailure(address);
      }
      Reply reply = Error(authenticated.status());
      if (rejected) {
        reply.headers.emplace_back("WWW-Authenticate", "Bearer");
      }
      return reply;
    }
    principal = std::move(authenticated).value();
    if (!ScopesAllow(principal->scopes, scope)) {
      return Error(403, "this key lacks the scope " + scope);
    }
    call.principal = &*principal;
    return std::nullopt;
  }

  const AdminApiOptions options_;
  KeyRing& keys_;
  RateLimiter auth_failures_;  // failed authentications per client address; loop-affine
  std::vector<AdminRoute> routes_;
  boost::json::value openapi_;  // the document of routes_; immutable after construction
  std::shared_ptr<const router::RouteTable> table_;
  asio::thread_pool pool_;  // last: its threads run work that refers to the members above
};

namespace {

class AdminSession : public http::Session {
 public:
  explicit AdminSession(AdminApiImpl& api) : api_(api) {}
  // Every admin request is served in a coroutine: many wait (builds, deploys, log streams), and
  // the admin API is not where the coroutine's cost matters.
  http::Served Serve(const http::Request& request, http::Response& response) override {
    if (request.coroutine == nullptr) {
      return http::Served::kNeedsCoroutine;
    }
    Reply reply = api_.Serve(request, match_);
    if (reply.raw_body) {
      http::Header type{"Content-Type", reply.content_type};
      response.Set(reply.status, std::span<const http::Header>(&type, 1), *reply.raw_body);
    } else {
      response.SetJson(reply.status, json::serialize(reply.body));
    }
    for (const auto& [name, value] : reply.headers) {
      response.AddHeader(name, value);
    }
    return http::Served::kDone;
  }

 private:
  AdminApiImpl& api_;
  router::RouteMatch match_;
};

}  // namespace

AdminApi::AdminApi(const AdminApiOptions& options, KeyRing& keys, AdminRoutes routes)
    : impl_(std::make_unique<AdminApiImpl>(options, keys, std::move(routes))) {}

AdminApi::~AdminApi() = default;

std::unique_ptr<http::Session> AdminApi::NewSession() {
  return std::make_unique<AdminSession>(*impl_);
}

Offloader& AdminApi::InlineOffloader() {
  static InlineOffloaderImpl offloader;  // stateless
  return offloader;
}

}  // namespace edgegate::admin
