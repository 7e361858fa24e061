// Implementation of the test-only fake host (see fake_host.h).
#include "sdk/fake_host.h"

#include "host/json_bridge.h"

namespace edgegate::testing {
namespace {

eg_str Str(const std::string& s) { return eg_str{s.data(), s.size()}; }

std::vector<eg_pair> Views(const eg_call::Pairs& pairs) {
  std::vector<eg_pair> views;
  for (const auto& [name, value] : pairs) {
    views.push_back(eg_pair{Str(name), Str(value)});
  }
  return views;
}

const eg_pair* QueryParams(eg_call* call, size_t* count) {
  call->query_views = Views(call->query);
  *count = call->query_views.size();
  return call->query_views.data();
}

int JsonParse(eg_call* call, eg_str text, const eg_json_sink* sink, eg_str* error) {
  if (host::ParseJsonToSink(std::string_view(text.data, text.size), *sink, &call->parse_error)) {
    return 1;
  }
  *error = Str(call->parse_error);
  return 0;
}

void Log(eg_call* call, int level, eg_str message) {
  call->logs.emplace_back(level, std::string(message.data, message.size));
}

void Respond(eg_call* call, int status, const eg_pair* headers, size_t header_count, eg_str body) {
  ++call->respond_count;
  call->status = status;
  call->response_headers.clear();
  for (size_t i = 0; i < header_count; ++i) {
    call->response_headers.emplace_back(std::string(headers[i].name.data, headers[i].name.size),
                                        std::string(headers[i].value.data, headers[i].value.size));
  }
  call->response_body.assign(body.data, body.size);
}

int ServiceCall(eg_call* call, int kind, eg_str name, eg_str op, int64_t tx, const eg_value* args,
                size_t arg_count, const eg_json_sink* result, eg_str* error) {
  eg_call::ServiceCallRecord record{kind, std::string(name.data, name.size),
                                    std::string(op.data, op.size), tx, {}};
  for (size_t i = 0; i < arg_count; ++i) {
    const eg_value& v = args[i];
    std::string text = v.type == EG_VALUE_INT      ? std::to_string(v.integer)
                       : v.type == EG_VALUE_BOOL   ? (v.boolean ? "true" : "false")
                       : v.type == EG_VALUE_DOUBLE ? std::to_string(v.number)
                       : v.type == EG_VALUE_NULL   ? "null"
                                                   : std::string(v.string.data, v.string.size);
    record.args.emplace_back(v.type, std::move(text));
  }
  call->service_calls.push_back(std::move(record));
  if (call->service_status != EG_SERVICE_OK) {
    *error = Str(call->service_error);
    return call->service_status;
  }
  return JsonParse(call, Str(call->service_reply), result, error) ? EG_SERVICE_OK
                                                                   : EG_SERVICE_INVALID;
}

}  // namespace

const eg_host_api& FakeHostApi() {
  static const eg_host_api api = {EG_ABI_VERSION, sizeof(eg_host_api), &QueryParams, &JsonParse,
                                  &Log,           &Respond,            &ServiceCall};
  return api;
}

const eg_request& FakeRequest::View() {
  header_views_ = Views(headers);
  path_param_views_ = Views(path_params);
  request_ = eg_request{};
  request_.struct_size = sizeof(eg_request);
  request_.method = Str(method);
  request_.target = Str(target);
  request_.path = Str(path);
  request_.raw_query = Str(raw_query);
  request_.host = Str(host);
  request_.body = Str(body);
  request_.client_ip = Str(client_ip);
  request_.request_id = Str(request_id);
  request_.endpoint_id = Str(endpoint_id);
  request_.headers = header_views_.data();
  request_.header_count = header_views_.size();
  request_.path_params = path_param_views_.data();
  request_.path_param_count = path_param_views_.size();
  return request_;
}

std::string ResponseHeader(const eg_call& call, const std::string& name) {
  for (const auto& [header, value] : call.response_headers) {
    if (header == name) {
      return value;
    }
  }
  return "";
}

}  // namespace edgegate::testing
