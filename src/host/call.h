// The gateway side of one handler call: the eg_call handle a handler receives, and the
// eg_host_api table of functions it may call back. Internal to the host module.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "edgegate/abi.h"
#include "http/request.h"
#include "http/response.h"
#include "telemetry/endpoint_log.h"

namespace edgegate::services {
class Actor;
class ServiceResolver;
}  // namespace edgegate::services

namespace edgegate::host {

// A database transaction a handler began and has not ended yet.
struct OpenTransaction {
  std::shared_ptr<services::Actor> actor;
  int64_t tx = 0;
};

// Per-call state, reused across the requests of a connection. Loop-affine.
struct CallState {
  services::ServiceResolver* services = nullptr;  // the loop's; null: no services configured
  const http::Request* request = nullptr;
  http::Response* response = nullptr;
  std::string_view endpoint_id;
  std::string_view request_id;
  telemetry::EndpointLog* log = nullptr;  // where ctx.log lines go (null: the process log)
  int64_t version = 0;                    // the handler version serving the call
  bool responded = false;
  // Scratch kept for reuse (capacity survives between requests).
  bool query_parsed = false;
  std::vector<eg_pair> query_params;
  std::string query_arena;
  std::string error;
  std::vector<OpenTransaction> open_transactions;

  // Starts a call. Inline: it runs on every request.
  void Reset(const http::Request& req, http::Response& resp, std::string_view endpoint,
             std::string_view id) {
    request = &req;
    response = &resp;
    endpoint_id = endpoint;
    request_id = id;
    responded = false;
    query_parsed = false;
    query_params.clear();
    query_arena.clear();
  }
};

// The host function table handed to every handler. Static storage; thread-safe (stateless).
const eg_host_api& HostApi();

// eg_host_api.service_call (service_call.cc).
int ServiceCall(eg_call* call, int kind, eg_str name, eg_str op, int64_t tx, const eg_value* args,
                size_t arg_count, const eg_json_sink* result, eg_str* error);
// Rolls back (without waiting) the transactions the call left open; called when a request ends.
void RollbackOpenTransactions(CallState& call);

}  // namespace edgegate::host

// The opaque handle of the ABI is our CallState.
struct eg_call : edgegate::host::CallState {};
