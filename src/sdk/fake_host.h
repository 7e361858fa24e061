// Test-only fake of the gateway side of the SDK ABI: an eg_host_api whose functions record
// what a handler did (responses, log lines) and whose json_parse is the real gateway parser
// (host::ParseJsonToSink). Used by sdk_test and examples_test.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "edgegate/abi.h"

// The opaque per-call state of the ABI, defined here for tests only.
struct eg_call {
  using Pairs = std::vector<std::pair<std::string, std::string>>;

  Pairs query;  // Decoded query parameters the fake serves.
  std::vector<eg_pair> query_views;
  std::string parse_error;  // Keeps json_parse's error alive until the call ends.
  int respond_count = 0;
  int status = 0;
  Pairs response_headers;  // In the order the handler sent them.
  std::string response_body;
  std::vector<std::pair<int, std::string>> logs;  // (level, line)
  // service_call: what the SDK sent (kind, name, op, tx, each argument as text; binary kept),
  // and the scripted answer (a JSON reply, or a status other than EG_SERVICE_OK + message).
  struct ServiceCallRecord {
    int kind = -1;
    std::string name, op;
    int64_t tx = 0;
    std::vector<std::pair<int, std::string>> args;  // (eg_value_type, value as text or bytes)
  };
  std::vector<ServiceCallRecord> service_calls;
  std::string service_reply = "null";
  int service_status = 0;
  std::string service_error;
};

namespace edgegate::testing {

// The function table pointing at the fake's functions.
const eg_host_api& FakeHostApi();

// Owns the strings an eg_request points at. Fill the fields, then call View().
struct FakeRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string path = "/";
  std::string raw_query;
  std::string host = "example.test";
  std::string body;
  std::string client_ip = "127.0.0.1";
  std::string request_id = "req-1";
  std::string endpoint_id = "ep-1";
  eg_call::Pairs headers;
  eg_call::Pairs path_params;

  // Returns views of the fields above; valid while this object lives and is unchanged.
  const eg_request& View();

 private:
  std::vector<eg_pair> header_views_;
  std::vector<eg_pair> path_param_views_;
  eg_request request_{};
};

// Returns the value of the first response header named exactly `name`, or "" if none.
std::string ResponseHeader(const eg_call& call, const std::string& name);

}  // namespace edgegate::testing
