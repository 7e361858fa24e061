// route: GET /query
// Shows: query parameters, including a repeated key (?tag=a&tag=b&limit=5) and an integer
// parameter with a default; a non-integer limit is answered with 400 by query_int.
#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context&, const Request& req) {
  const std::int64_t limit = req.query_int("limit").value_or(10);
  if (limit < 1 || limit > 100) {
    return Response::bad_request("limit must be between 1 and 100");
  }
  Json tags = Json::array();
  for (std::string_view tag : req.query_params("tag")) {
    tags.push_back(tag);
  }
  Json result = Json::object({{"tags", std::move(tags)}, {"limit", limit}});
  if (auto q = req.query_param("q")) {
    result["q"] = *q;
  }
  return Response::ok(std::move(result));
}
EDGEGATE_HANDLER(handle)
