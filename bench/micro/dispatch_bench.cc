// Micro-benchmarks of the data plane's dispatch path, in ns per request (issue 3, item 3).
//
// What is measured, and why:
//  - BM_RouteMatch/<routes>: RouteTable::Match at 10, 1,000 and 10,000 routes of a mixed table
//    (literal, param, catch-all routes over exact, wildcard and "*" hosts; see route_mix.h),
//    cycling through 4,096 requests spread uniformly over the whole table. The target is the
//    time at 10,000 routes within 1.5x the time at 10: the router must not slow down as a
//    gateway grows, and with spread requests that is a question of cache misses.
//  - BM_RouteMatchHotSet/{10,10000}: the same 16 requests over and over, i.e. the hot path
//    in cache; the gap to BM_RouteMatch/10000 is the cost of misses.
//  - BM_Dispatch: DataSession::Serve for GET /hello/world with the real hello handler library:
//    snapshot check, match, pin, the C ABI call into the SDK, the response copy, unpin. Target
//    200 ns. BM_DispatchNotFound is a path with no route (the 404 answer); BM_PinUnpin is
//    EndpointSlot::Pin plus release alone, and BM_PinUnpinThreads the same from two threads on
//    one endpoint (two loops serving one route).
//  - BM_ResolveService: a service name resolved by a loop's ServiceResolver, from one thread and
//    from two at once (two loops calling the same service).
//  - BM_ServeAfterPublish/10000: the first request after a new table of 10,000 more routes was
//    published: the session's refresh and the dispatch, not the freeing of the old table.
// Every benchmark checks its answers during setup: a fast wrong match measures nothing.
// Run: build-bench/bench/micro/dispatch_bench [--benchmark_format=json]
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "hello_plane.h"
#include "route_mix.h"
#include "services/catalog.h"
#include "services/manager.h"

namespace edgegate::bench {
namespace {

constexpr size_t kSpreadRequests = 4096;  // a power of two: the loop index is masked
constexpr size_t kHotRequests = 16;

// Matches `requests` round-robin for the whole benchmark. REQUIRES: size a power of two.
void MatchLoop(benchmark::State& state, const router::RouteTable& table,
               const std::vector<BenchRequest>& requests, router::RouteMatch& match) {
  const size_t mask = requests.size() - 1;
  size_t i = 0;
  for (auto _ : state) {
    const BenchRequest& r = requests[i++ & mask];
    table.Match(r.host, r.method, r.path, match);
    benchmark::DoNotOptimize(match.route_id);
  }
  state.SetItemsProcessed(state.iterations());
}

// Builds the mixed table of state.range(0) routes and matches `request_count` requests of it.
void RunRouteMatch(benchmark::State& state, size_t request_count) {
  std::vector<router::RouteSpec> routes = MixedRoutes(static_cast<size_t>(state.range(0)));
  RequestSet requests(routes, request_count);
  auto table = router::RouteTable::Build(std::move(routes));
  if (!table.ok()) {
    state.SkipWithError(table.status().message().c_str());
    return;
  }
  router::RouteMatch match;
  if (std::string error = CheckAllMatch(**table, requests, match); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  MatchLoop(state, **table, requests.requests(), match);
  state.counters["routes"] = static_cast<double>((*table)->size());
}

void BM_RouteMatch(benchmark::State& state) { RunRouteMatch(state, kSpreadRequests); }
BENCHMARK(BM_RouteMatch)->Arg(10)->Arg(1000)->Arg(10000);

void BM_RouteMatchHotSet(benchmark::State& state) { RunRouteMatch(state, kHotRequests); }
BENCHMARK(BM_RouteMatchHotSet)->Arg(10)->Arg(10000);

// Serves `request` with a fresh session of `hello` until the benchmark ends, after checking
// once that the answer has `status` (and `body`, unless empty).
void ServeLoop(benchmark::State& state, HelloPlane& hello, const http::Request& request,
               int status, std::string_view body) {
  std::unique_ptr<http::Session> session = hello.plane().NewSession();
  http::Response response;
  const http::Served served = session->Serve(request, response);
  if (served != http::Served::kDone || response.status() != status ||
      (!body.empty() && response.body() != body)) {
    std::string error = "unexpected answer " + std::to_string(response.status()) + " " +
                        response.body();
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    session->Serve(request, response);
    benchmark::DoNotOptimize(response.status());
    benchmark::DoNotOptimize(response.body().data());
  }
  state.SetItemsProcessed(state.iterations());
}

// The hello plane, or null after reporting the error on `state`.
std::unique_ptr<HelloPlane> CreateHello(benchmark::State& state) {
  auto hello = HelloPlane::Create(EDGEGATE_BENCH_HELLO_HANDLER);
  if (!hello.ok()) {
    state.SkipWithError(hello.status().message().c_str());
    return nullptr;
  }
  return std::move(*hello);
}

void BM_Dispatch(benchmark::State& state) {
  if (std::unique_ptr<HelloPlane> hello = CreateHello(state)) {
    ServeLoop(state, *hello, HelloRequest("/hello/world"), 200, "hello world");
  }
}
BENCHMARK(BM_Dispatch);

void BM_DispatchNotFound(benchmark::State& state) {
  if (std::unique_ptr<HelloPlane> hello = CreateHello(state)) {
    ServeLoop(state, *hello, HelloRequest("/nothing/here"), 404, "");
  }
}
BENCHMARK(BM_DispatchNotFound);

// The first request a loop serves after the admin side published a new table of
// state.range(0) more routes: the session's refresh plus the dispatch. The old table's last
// reference goes to the plane's reclaimer thread; freeing it here would cost the loop about
// 0.8 ms at 10,000 routes.
void BM_ServeAfterPublish(benchmark::State& state) {
  std::unique_ptr<HelloPlane> hello = CreateHello(state);
  if (!hello) {
    return;
  }
  const std::vector<router::RouteSpec> extra = MixedRoutes(static_cast<size_t>(state.range(0)));
  std::unique_ptr<http::Session> session = hello->plane().NewSession();
  const http::Request request = HelloRequest("/hello/world");
  http::Response response;
  for (auto _ : state) {
    state.PauseTiming();
    if (base::Status published = hello->Republish(extra); !published.ok()) {
      state.SkipWithError(published.message().c_str());
      break;
    }
    state.ResumeTiming();
    session->Serve(request, response);
    benchmark::DoNotOptimize(response.status());
  }
  if (response.status() != 200) {
    state.SkipWithError("the hello route did not answer 200");
  }
}
BENCHMARK(BM_ServeAfterPublish)->Arg(10000)->Iterations(30)->Unit(benchmark::kMicrosecond);

void BM_PinUnpin(benchmark::State& state) {
  std::unique_ptr<HelloPlane> hello = CreateHello(state);
  if (!hello) {
    return;
  }
  if (!hello->slot().Pin()) {
    state.SkipWithError("no active hello version");
    return;
  }
  handlers::EndpointSlot& slot = hello->slot();
  const base::ThreadShard shard = base::ShardedCounter::ShardOfThisThread();  // as a loop caches it
  for (auto _ : state) {
    handlers::PinnedHandler pin = slot.Pin(shard);
    handlers::HandlerVersion* version = pin.operator->();
    benchmark::DoNotOptimize(version);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PinUnpin);

// Pin and release of one endpoint from several threads at once, as several I/O loops serving
// the same route do: the version's in-flight count must not be a cache line every loop writes.
std::unique_ptr<HelloPlane> g_shared_hello;  // set by thread 0 before the start barrier

void BM_PinUnpinThreads(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_shared_hello = CreateHello(state);
  }
  handlers::EndpointSlot* slot = nullptr;
  const base::ThreadShard shard = base::ShardedCounter::ShardOfThisThread();
  for (auto _ : state) {  // every thread starts here together: g_shared_hello is set
    if (slot == nullptr) {
      if (!g_shared_hello) {
        state.SkipWithError("no hello plane");
        break;
      }
      slot = &g_shared_hello->slot();
    }
    handlers::PinnedHandler pin = slot->Pin(shard);
    handlers::HandlerVersion* version = pin.operator->();
    benchmark::DoNotOptimize(version);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    g_shared_hello.reset();  // after the stop barrier: no thread pins any more
  }
}
BENCHMARK(BM_PinUnpinThreads)->Threads(2)->UseRealTime();

// The service manager of BM_ResolveService: one in-memory cache bound to one endpoint, shared by
// every thread (as the loops of one gateway share it). Built on first use, never freed.
services::ServiceManager& ResolveManager() {
  static services::ServiceManager* manager = [] {
    const services::ServiceType& type = *services::FindType("memory");
    services::ServiceSpec spec{"s1", "sessions", &type, {}};
    auto* m = new services::ServiceManager();
    m->SetCatalog({spec}, {{"e1", "s1", "cache"}});
    m->Activate(spec);
    return m;
  }();
  return *manager;
}

// Resolving a service name, which every service call of a handler does, through a loop's
// resolver: one atomic load while nothing changes, no lock, no reference counts. When the
// manager itself resolved under its lock with two shared_ptr copies (before 3c8dca7), this took
// about 50 ns from one thread and 285 ns per call from each of two.
void BM_ResolveService(benchmark::State& state) {
  services::ServiceResolver resolver(ResolveManager());
  for (auto _ : state) {
    auto actor = resolver.Resolve("e1", services::Kind::kCache, "cache");
    if (!actor.ok()) {
      state.SkipWithError(actor.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(**actor);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResolveService)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace edgegate::bench

BENCHMARK_MAIN();
