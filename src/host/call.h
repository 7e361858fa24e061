// The gateway side of one handler call: the eg_call handle a handler receives, and the
// eg_host_api table of functions it may call back. Internal to the host module.
#pragma once

#include <string>
#include <vector>

#include "edgegate/abi.h"
#include "http/request.h"
#include "http/response.h"

namespace edgegate::host {

// Per-call state, reused across the requests of a connection. Loop-affine.
struct CallState {
  const http::Request* request = nullptr;
  http::Response* response = nullptr;
  std::string_view endpoint_id;
  std::string_view request_id;
  bool responded = false;
  // Scratch kept for reuse (capacity survives between requests).
  bool query_parsed = false;
  std::vector<eg_pair> query_params;
  std::string query_arena;
  std::vector<http::Header> response_headers;
  std::string error;

  void Reset(const http::Request& req, http::Response& resp, std::string_view endpoint,
             std::string_view id);
};

// The host function table handed to every handler. Static storage; thread-safe (stateless).
const eg_host_api& HostApi();

}  // namespace edgegate::host

// The opaque handle of the ABI is our CallState.
struct eg_call : edgegate::host::CallState {};
