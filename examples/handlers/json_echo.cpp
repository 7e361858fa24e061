// route: POST /echo
// Shows: parsing the request body with req.json() (a malformed body is answered with 400
// automatically) and building a JSON response with Json::object.
#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context& ctx, const Request& req) {
  const Json& body = req.json();
  ctx.log(LogLevel::kDebug, "echoing " + std::to_string(req.body().size()) + " bytes");
  return Response::ok(Json::object({{"echo", body}, {"request_id", req.request_id()}}));
}
EDGEGATE_HANDLER(handle)
