// route: GET /hello/{name}
// Shows: the smallest handler: a path parameter with a default, and a text response.
#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context& ctx, const Request& req) {
    return Response::text(200, "hello " + std::string(req.path_param("name").value_or("world")));
}
EDGEGATE_HANDLER(handle)
