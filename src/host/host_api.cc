// Implementation of eg_host_api: query decoding (Boost.URL), JSON (Boost.JSON via json_bridge),
// logging and responses. Every function is called by handler code on the request's loop.

#include "base/log.h"
#include "host/call.h"
#include "host/json_bridge.h"
#include "http/query.h"

namespace edgegate::host {
namespace {

std::string_view View(eg_str s) { return {s.data, s.size}; }
eg_str Str(std::string_view s) { return {s.data(), s.size()}; }

// Decodes `encoded` onto the end of `arena` and returns the view of it. The arena has capacity
// reserved for the whole query (decoding never grows), so earlier views stay valid.
bool DecodeInto(std::string& arena, std::string_view encoded, eg_str* out) {
  size_t at = arena.size();
  if (!http::DecodeQueryComponent(encoded, &arena)) {
    return false;
  }
  *out = {arena.data() + at, arena.size() - at};
  return true;
}

void ParseQuery(CallState& call) {
  call.query_parsed = true;
  call.query_arena.reserve(call.request->query.size());
  http::ForEachQueryParam(call.request->query, [&call](std::string_view key, std::string_view value) {
    eg_pair pair;
    size_t mark = call.query_arena.size();
    if (DecodeInto(call.query_arena, key, &pair.name) &&
        DecodeInto(call.query_arena, value, &pair.value)) {
      call.query_params.push_back(pair);
    } else {
      call.query_arena.resize(mark);  // a malformed escape: skip the parameter, don't guess
    }
  });
}

const eg_pair* QueryParams(eg_call* call, size_t* count) {
  if (!call->query_parsed) {
    ParseQuery(*call);
  }
  *count = call->query_params.size();
  return call->query_params.data();
}

int JsonParse(eg_call* call, eg_str text, const eg_json_sink* sink, eg_str* error) {
  call->error.clear();
  if (ParseJsonToSink(View(text), *sink, &call->error)) {
    return 1;
  }
  if (error != nullptr) {
    *error = Str(call->error);
  }
  return 0;
}

void LogLine(eg_call* call, int level, eg_str message) {
  if (call->log != nullptr) {  // the endpoint's log buffer: GET /api/endpoints/{id}/logs
    telemetry::LogLevel l = level <= EG_LOG_DEBUG  ? telemetry::LogLevel::kDebug
                            : level == EG_LOG_INFO ? telemetry::LogLevel::kInfo
                            : level == EG_LOG_WARN ? telemetry::LogLevel::kWarn
                                                   : telemetry::LogLevel::kError;
    call->log->Append(l, telemetry::LogSource::kHandler, View(message), call->version,
                      call->request_id);
    return;
  }
  base::LogLevel l = level <= EG_LOG_DEBUG  ? base::LogLevel::kDebug
                     : level == EG_LOG_INFO ? base::LogLevel::kInfo
                     : level == EG_LOG_WARN ? base::LogLevel::kWarn
                                            : base::LogLevel::kError;
  std::string line = "endpoint=";
  line.append(call->endpoint_id).append(" request_id=").append(call->request_id).append(" ");
  line.append(View(message));
  base::Log(l, line);
}

void Respond(eg_call* call, int status, const eg_pair* headers, size_t header_count,
             eg_str body) {
  http::Response& response = *call->response;
  response.Set(status, {}, View(body));
  for (size_t i = 0; i < header_count; ++i) {
    response.AddHeader(View(headers[i].name), View(headers[i].value));
  }
  call->responded = true;
}

const eg_host_api kHostApi = {
    EG_ABI_VERSION, sizeof(eg_host_api), &QueryParams, &JsonParse, &LogLine, &Respond,
    &ServiceCall,
};

}  // namespace

const eg_host_api& HostApi() { return kHostApi; }

}  // namespace edgegate::host
