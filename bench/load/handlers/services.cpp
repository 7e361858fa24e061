// route: GET /svc/{service}/{op}
// Benchmark handler (bench/load, "Service calls"): one service call per request, or none, so
// that the difference between two paths of the same handler is the call's cost.
//   GET /svc/{cache}/get  one ctx.cache(cache).get("bench:key"), answers its value
//   GET /svc/{cache}/nop  the same handler without the call, answers the same "hello world"
//   GET /svc/{cache}/g100 100 of those get calls in a row (the cost per call without the HTTP
//                         request's noise), answers the last value
//   GET /svc/{cache}/set  stores "hello world" under "bench:key" (setup), answers it
//   GET /svc/{db}/sel     one primary-key SELECT on pgbench_accounts (pgbench scale 1), the key
//                         rotating over 1..100000 -> {"aid":n,"abalance":n}
#include <edgegate/sdk.hpp>

#include <atomic>
using namespace edgegate;

namespace {
constexpr std::string_view kKey = "bench:key";
constexpr std::string_view kValue = "hello world";
constexpr int kCallsPerRequest = 100;  // for g100
constexpr std::int64_t kAccounts = 100'000;  // rows of pgbench_accounts at scale 1
std::atomic<std::int64_t> requests{0};       // rotates the SELECT's key
}  // namespace

Response handle(Context& ctx, const Request& req) {
  std::string_view service = req.path_param("service").value_or("");
  std::string_view op = req.path_param("op").value_or("");
  if (op == "nop") {
    return Response::text(200, std::string(kValue));
  }
  if (op == "get") {
    std::optional<std::string> value = ctx.cache(service).get(kKey);
    if (!value) {
      throw HttpError(404, "bench:key is not set");
    }
    return Response::text(200, std::move(*value));
  }
  if (op == "g100") {
    std::optional<std::string> value;
    for (int i = 0; i < kCallsPerRequest; ++i) {
      value = ctx.cache(service).get(kKey);
    }
    if (!value) {
      throw HttpError(404, "bench:key is not set");
    }
    return Response::text(200, std::move(*value));
  }
  if (op == "set") {
    ctx.cache(service).set(kKey, kValue);
    return Response::text(200, std::string(kValue));
  }
  if (op == "sel") {
    std::int64_t aid = requests.fetch_add(1, std::memory_order_relaxed) % kAccounts + 1;
    Rows rows = ctx.db(service).query("SELECT abalance FROM pgbench_accounts WHERE aid = $1", aid);
    if (rows.empty()) {
      throw HttpError(404, "no such account");
    }
    return Response::ok(Json::object({{"aid", aid}, {"abalance", rows.at(0, "abalance")}}));
  }
  throw HttpError(404, "unknown op");
}
EDGEGATE_HANDLER(handle)
