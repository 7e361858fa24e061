// route: GET /errors/{kind}
// Shows: how errors become responses. kind=http throws HttpError(418, ...) -> 418 with
// {"error": "I'm a teapot"}; kind=exception throws std::runtime_error -> logged, 500 with
// {"error": "internal error", "request_id": ...}; kind=ok -> 200; anything else -> 404.
#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context&, const Request& req) {
  const std::string_view kind = req.require_path_param("kind");
  if (kind == "http") {
    throw HttpError(418, "I'm a teapot");
  }
  if (kind == "exception") {
    throw std::runtime_error("something broke inside the handler");
  }
  if (kind == "ok") {
    return Response::ok(Json::object({{"kind", kind}}));
  }
  return Response::not_found("unknown kind '" + std::string(kind) + "'");
}
EDGEGATE_HANDLER(handle)
