// route: GET /items/{id}
// Benchmark handler (bench/load, "JSON + params"): a path parameter and a query parameter in,
// a small JSON object out. GET /items/42?q=hello -> {"id":"42","q":"hello","ok":true}
#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context&, const Request& req) {
  return Response::ok(Json::object({{"id", req.path_param("id").value_or("")},
                                    {"q", req.query_param("q").value_or("")},
                                    {"ok", true}}));
}
EDGEGATE_HANDLER(handle)
