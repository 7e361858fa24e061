// Request path of the data plane: route, pin, call, unpin.
#include "host/data_plane.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <utility>

#include "base/log.h"
#include "base/random.h"
#include "host/call.h"
#include "router/pattern.h"
#include "services/manager.h"

namespace edgegate::host {
namespace {

eg_str Str(std::string_view s) { return {s.data(), s.size()}; }

void JsonError(http::Response& response, int status, std::string_view message,
               std::string_view request_id) {
  std::string body = "{\"error\":\"";
  body.append(message).append("\",\"request_id\":\"").append(request_id).append("\"}");
  response.SetJson(status, body);
}

// A session: per-request caches and scratch, reused by the connections of one loop. Loop-affine.
class DataSession : public http::Session {
 public:
  // Created on the connection's loop thread, which it never leaves.
  explicit DataSession(DataPlane& plane)
      : plane_(plane),
        id_prefix_(base::RandomHex(6)),
        shard_(base::ShardedCounter::ShardOfThisThread()),
        request_id_(id_prefix_ + "-" + std::string(16, '0')) {
    // The plane's services are set before serving starts (DataPlane::SetServices).
    if (services::ServiceManager* services = plane_.services()) {
      resolver_.emplace(*services);
      call_.services = &*resolver_;
    }
  }
  ~DataSession() override {
    if (snapshot_) {
      plane_.Retire(std::move(snapshot_));
    }
  }

  http::Served Serve(const http::Request& request, http::Response& response) override {
    served_endpoint_ = {};
    served_version_ = 0;
    telemetry::AccessLog* log = plane_.access_log();
    if (log == nullptr) {
      return Dispatch(request, response);  // no clock read unless a handler runs
    }
    uint64_t start = telemetry::TickClock::Now();
    if (Dispatch(request, response) == http::Served::kNeedsCoroutine) {
      return http::Served::kNeedsCoroutine;
    }
    LogAccess(*log, request, response, start);
    return http::Served::kDone;
  }

 private:
  // A request whose handler may call a service through an actor's inbox waits for the reply, so
  // it is served in a coroutine; the check comes before anything is counted or answered.
  http::Served Dispatch(const http::Request& request, http::Response& response) {
    RefreshSnapshot();
    const router::RouteTable* table = snapshot_ ? snapshot_->table.get() : nullptr;
    if (table != nullptr) {
      table->Match(request.host, request.method, request.path, match_);
      if (match_.outcome == router::RouteMatch::Outcome::kFound && request.coroutine == nullptr &&
          resolver_ && resolver_->MayWait(snapshot_->slots[match_.route_id]->endpoint_id())) {
        return http::Served::kNeedsCoroutine;
      }
    }
    plane_.stats().requests.Add(shard_);
    NextRequestId();
    if (table == nullptr) {
      NotFound(request, response);
      return http::Served::kDone;
    }
    switch (match_.outcome) {
      case router::RouteMatch::Outcome::kNotFound:
        NotFound(request, response);
        break;
      case router::RouteMatch::Outcome::kMethodNotAllowed:
        JsonError(response, 405, "method not allowed", request_id_);
        response.AddHeader("Allow", match_.allow());
        break;
      case router::RouteMatch::Outcome::kFound:
        Call(*snapshot_->slots[match_.route_id], request, response);
        break;
    }
    return http::Served::kDone;
  }

  void LogAccess(telemetry::AccessLog& log, const http::Request& request,
                 const http::Response& response, uint64_t start) {
    telemetry::AccessRecord r;
    r.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    r.request_id = request_id_;
    r.client_ip = request.client_ip;
    r.method = request.method;
    r.host = request.host;
    r.path = log.include_query() ? request.target : request.path;
    r.status = response.status();
    r.bytes = response.body().size();
    r.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        plane_.clock().Between(start, telemetry::TickClock::Now()))
                        .count();
    r.endpoint_id = served_endpoint_;
    r.version = served_version_;
    log.Write(shard_, r);
  }

  void RefreshSnapshot() {
    if (generation_ != plane_.generation() || !snapshot_) {
      std::shared_ptr<const RouteSnapshot> old =
          std::exchange(snapshot_, plane_.Current(&generation_));
      if (old) {
        plane_.Retire(std::move(old));  // this loop never frees a table
      }
    }
  }

  // "<session prefix>-<16 hex digits>", the counter incremented in place (usually one digit).
  void NextRequestId() {
    for (size_t i = request_id_.size(); i-- > id_prefix_.size() + 1;) {
      char& c = request_id_[i];
      if (c == 'f') {
        c = '0';
        continue;
      }
      c = c == '9' ? 'a' : static_cast<char>(c + 1);
      return;
    }
  }

  void NotFound(const http::Request&, http::Response& response) {
    plane_.stats().not_found.Add(shard_);
    JsonError(response, 404, "no route", request_id_);
  }

  void Call(handlers::EndpointSlot& slot, const http::Request& request,
            http::Response& response) {
    served_endpoint_ = slot.endpoint_id();
    handlers::PinnedHandler pin = slot.Pin(shard_);
    if (!pin) {
      JsonError(response, 503, "endpoint is not running", request_id_);
      return;
    }
    served_version_ = pin->number();
    const uint64_t start = telemetry::TickClock::Now();
    call_.Reset(request, response, slot.endpoint_id(), request_id_);
    call_.log = slot.log();
    call_.version = served_version_;
    FillRequest(request, slot.endpoint_id());
    pin->descriptor().handle(host_api_, &call_, &abi_request_);
    if (!call_.open_transactions.empty()) {
      RollbackOpenTransactions(call_);
    }
    if (!call_.responded) {
      plane_.stats().handler_errors.Add(shard_);
      JsonError(response, 500, "handler returned no response", request_id_);
    } else if (response.status() >= 500) {
      plane_.stats().handler_errors.Add(shard_);
    }
    pin->stats().Record(shard_, response.status(),
                        plane_.clock().Between(start, telemetry::TickClock::Now()));
  }

  // Views of the request for the handler. Every field is set (a designated initialiser: a field
  // added to eg_request later starts out zero), and the pair arrays only grow.
  void FillRequest(const http::Request& request, std::string_view endpoint_id) {
    const eg_pair* headers = CopyPairs(request.headers, headers_);
    const eg_pair* params = CopyPairs(match_.params(), params_);
    abi_request_ = eg_request{
        .struct_size = sizeof(eg_request),
        .method = Str(request.method),
        .target = Str(request.target),
        .path = Str(request.path),
        .raw_query = Str(request.query),
        .host = Str(match_.host()),
        .body = Str(request.body),
        .client_ip = Str(request.client_ip),
        .request_id = Str(request_id_),
        .endpoint_id = Str(endpoint_id),
        .headers = headers,
        .header_count = request.headers.size(),
        .path_params = params,
        .path_param_count = match_.params().size(),
    };
  }

  // Copies name/value views into `out` (grown if needed, never shrunk) and returns its data.
  template <typename Pair>
  static const eg_pair* CopyPairs(std::span<const Pair> pairs, std::vector<eg_pair>& out) {
    if (out.size() < pairs.size()) {
      out.resize(pairs.size());
    }
    eg_pair* to = out.data();
    for (const Pair& p : pairs) {
      *to++ = {Str(p.name), Str(p.value)};
    }
    return out.data();
  }

  DataPlane& plane_;
  const std::string id_prefix_;
  const base::ThreadShard shard_;
  uint64_t generation_ = 0;
  std::shared_ptr<const RouteSnapshot> snapshot_;
  router::RouteMatch match_;
  std::string_view served_endpoint_;   // endpoint of the current request ("" = no route)
  int64_t served_version_ = 0;         // version that served it (0 = none)
  std::string request_id_;
  std::vector<eg_pair> headers_;  // size >= the request's count (see CopyPairs)
  std::vector<eg_pair> params_;
  const eg_host_api* const host_api_ = &HostApi();
  eg_request abi_request_{};
  std::optional<services::ServiceResolver> resolver_;  // engaged when the plane has services
  eg_call call_;
};

}  // namespace

DataPlane::DataPlane(const DataPlaneOptions& options)
    : options_(options),
      clock_(telemetry::TickClock::Shared()),
      current_(std::make_shared<RouteSnapshot>()) {}

base::Status DataPlane::Publish(std::vector<handlers::RouteEntry> routes) {
  auto snapshot = std::make_shared<RouteSnapshot>();
  std::vector<router::RouteSpec> specs;
  specs.reserve(routes.size());
  for (size_t i = 0; i < routes.size(); ++i) {
    specs.push_back({routes[i].domain, routes[i].method, routes[i].path, static_cast<uint32_t>(i)});
    snapshot->slots.push_back(std::move(routes[i].slot));
  }
  ASSIGN_OR_RETURN(snapshot->table, router::RouteTable::Build(std::move(specs)));
  std::shared_ptr<const RouteSnapshot> old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(current_, std::move(snapshot));
    generation_.fetch_add(1, std::memory_order_release);
  }
  return base::OkStatus();  // `old` is dropped here, outside the lock, on the admin thread
}

std::shared_ptr<const RouteSnapshot> DataPlane::Current(uint64_t* generation) {
  std::lock_guard lock(mu_);
  *generation = generation_.load(std::memory_order_acquire);
  return current_;
}

std::unique_ptr<http::Session> DataPlane::NewSession() {
  return std::make_unique<DataSession>(*this);
}

}  // namespace edgegate::host
