// route: GET /visits/{page}
// services: counters=memory, visits=sqlite
// Shows: services bound to the endpoint (make run creates both, see scripts/deploy_examples.py):
// a counter in the in-memory cache (ctx.cache) and a SQLite table (ctx.db) written and read with
// bound parameters. Each call suspends only this request, never the I/O loop.
#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context& ctx, const Request& req) {
  const std::string page(req.path_param("page").value_or("home"));
  const std::int64_t hits = ctx.cache("counters").incr("page:" + page);
  const Database db = ctx.db("visits");
  db.execute("CREATE TABLE IF NOT EXISTS visits (page TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP)");
  db.execute("INSERT INTO visits (page) VALUES (?)", page);
  const Rows recent = db.query("SELECT page, at FROM visits ORDER BY rowid DESC LIMIT 3");
  return Response::ok(Json::object({{"page", page}, {"hits", hits}, {"recent", recent.to_json()}}));
}
EDGEGATE_HANDLER(handle)
