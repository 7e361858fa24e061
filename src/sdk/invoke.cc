// detail::Invoke: the body of every handler library's `handle` entry point.
//
// It is the exception firewall of the SDK ABI: whatever the handler throws is turned into a
// response here, inside the handler library, and host->respond is called exactly once.
#include "edgegate/sdk.hpp"

namespace edgegate::detail {
namespace {

constexpr std::size_t kInlineHeaders = 8;  // Headers sent without a heap allocation.
constexpr char kFallbackBody[] = R"({"error":"internal error"})";

eg_str Str(std::string_view s) noexcept { return eg_str{s.data(), s.size()}; }

bool IsValidStatus(int status) { return status >= 100 && status <= 599; }

// Calls host->respond for a response without extra headers: its Content-Type alone (if it has
// one), and no array to build. The common answer.
inline void SendPlain(const eg_host_api& host, eg_call* call, const Response& response) {
  const std::string_view content_type = response.content_type();
  const eg_pair type{Str("Content-Type"), Str(content_type)};
  host.respond(call, response.status(), &type, content_type.empty() ? 0 : 1, Str(response.body()));
}

// Calls host->respond with Content-Type first, then the extra headers. Inline, as is
// SendResponse: in Invoke a response without extra headers then costs two tests before
// SendPlain (this file is compiled once, into the SDK archive: no handler build pays for it).
[[gnu::always_inline]] inline void Send(const eg_host_api& host, eg_call* call,
                                        const Response& response) {
  if (response.headers().empty()) {
    return SendPlain(host, call, response);
  }
  const std::string_view content_type = response.content_type();
  const std::size_t count = response.headers().size() + (content_type.empty() ? 0 : 1);
  eg_pair inline_pairs[kInlineHeaders];
  std::vector<eg_pair> heap_pairs;
  eg_pair* pairs = inline_pairs;
  if (count > kInlineHeaders) {
    heap_pairs.resize(count);
    pairs = heap_pairs.data();
  }
  std::size_t n = 0;
  if (!content_type.empty()) {
    pairs[n++] = eg_pair{Str("Content-Type"), Str(content_type)};
  }
  for (const Response::Header& header : response.headers()) {
    pairs[n++] = eg_pair{Str(header.name), Str(header.value)};
  }
  host.respond(call, response.status(), pairs, n, Str(response.body()));
}

void SendFallback(const eg_host_api& host, eg_call* call) noexcept {
  const eg_pair type{Str("Content-Type"), Str("application/json")};
  host.respond(call, 500, &type, 1, Str(kFallbackBody));
}

void SendError(const eg_host_api& host, eg_call* call, int status, const Json& body) noexcept {
  try {
    Send(host, call, Response::json(status, body));
  } catch (...) {
    SendFallback(host, call);
  }
}

void LogError(const eg_host_api& host, eg_call* call, std::string_view prefix,
              std::string_view detail) noexcept {
  try {
    std::string line(prefix);
    line += detail;
    host.log(call, EG_LOG_ERROR, Str(line));
  } catch (...) {
    host.log(call, EG_LOG_ERROR, Str(prefix));
  }
}

void SendInternalError(const eg_host_api& host, eg_call* call, const eg_request& request) noexcept {
  try {
    const std::string_view request_id(request.request_id.data, request.request_id.size);
    SendError(host, call, 500,
              Json::object({{"error", "internal error"}, {"request_id", request_id}}));
  } catch (...) {
    SendFallback(host, call);
  }
}

void SendHttpError(const eg_host_api& host, eg_call* call, const eg_request& request,
                   const HttpError& error) noexcept {
  if (!IsValidStatus(error.status())) {
    LogError(host, call, "HttpError with invalid status: ", error.what());
    SendInternalError(host, call, request);
    return;
  }
  try {
    SendError(host, call, error.status(), Json::object({{"error", error.what()}}));
  } catch (...) {
    SendFallback(host, call);
  }
}

[[gnu::always_inline]] inline void SendResponse(const eg_host_api& host, eg_call* call,
                                                const eg_request& request,
                                                const Response& response) {
  if (!IsValidStatus(response.status())) {
    LogError(host, call, "handler returned an invalid status: ", std::to_string(response.status()));
    SendInternalError(host, call, request);
    return;
  }
  Send(host, call, response);
}

}  // namespace

void Invoke(const eg_host_api* host, eg_call* call, const eg_request* request,
            HandlerFn fn) noexcept {
  try {
    const Request req(*host, call, *request);
    Context ctx(*host, call, *request);
    const Response response = fn(ctx, req);
    SendResponse(*host, call, *request, response);
  } catch (const HttpError& error) {
    SendHttpError(*host, call, *request, error);
  } catch (const std::exception& error) {
    LogError(*host, call, "unhandled exception: ", error.what());
    SendInternalError(*host, call, *request);
  } catch (...) {
    LogError(*host, call, "unhandled exception: ", "unknown exception");
    SendInternalError(*host, call, *request);
  }
}

}  // namespace edgegate::detail
