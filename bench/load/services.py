"""Benchmark 7 (issue 5): service calls from a handler, and the backends' own clients.

One gateway (`--threads 1`, on the server CPU) serves bench/load/handlers/services.cpp on
GET /svc/{service}/{op}, bound to three services:
  a. `c`, the `memory` cache: the actor round trip's cost. wrk -c1 (one request at a time, so
     latency is per-request cost) on /svc/c/get (one ctx.cache("c").get), /svc/c/nop (the
     same handler without the call, same 11-byte body) and /svc/c/g100 (100 gets in a row), in
     interleaved rounds whose order alternates. The overhead is get minus nop of the same round,
     for p50, p99 and server CPU per request, summarized over rounds; (g100 - nop) / 100 is the
     cost of one call when the code path is hot. Then, per round, a paired run (paired.py): nop
     and get alternating request by request on one connection; the median over pairs of the
     difference is the target's figure, free of the drift between separate runs.
  b. `r`, Redis (pool_size CONCURRENCY): wrk -cCONCURRENCY on /svc/r/get vs `redis-benchmark -t
     get -c CONCURRENCY` against the same Redis server (both read an 11-byte value), and the
     handler without the call (/svc/c/nop) at the same concurrency, alternating.
  c. `pg`, PostgreSQL (pool_size CONCURRENCY): wrk -cCONCURRENCY on /svc/pg/sel (one primary-key
     SELECT on pgbench_accounts, the key rotating) vs `pgbench -S -M extended -c CONCURRENCY`
     on the same table for the same duration, alternating.
Redis and PostgreSQL come from scripts/backends/up.sh (backends.py), started while the handler
compiles and stopped on the way out, also on error.
"""

import contextlib
import json
import time

import backends
import httpc
import load
import paired
import wrk
from procs import SERVER_CPU, BenchError
from servers import HERE, EdgegateServer, read_route

SOURCE = HERE / "handlers/services.cpp"
VALUE = b"hello world"  # what the handler's cache paths answer (and the value stored)
REDIS_BENCHMARK_KEY = "key:__rand_int__"  # what redis-benchmark -t get reads without -r
OVERHEAD_CONNECTIONS = 1
CONCURRENCY = 8  # wrk -c, redis-benchmark -c, pgbench -c, and the pool_size of `r` and `pg`
CALIBRATION_REQUESTS = 20_000  # redis-benchmark's warm-up, which also sizes its measured runs
MIN_REDIS_REQUESTS = 10_000
CALLS_PER_G100 = 100  # the handler's kCallsPerRequest
PATHS = {"nop": "/svc/c/nop", "get": "/svc/c/get", "g100": "/svc/c/g100", "redis": "/svc/r/get",
         "pg": "/svc/pg/sel"}


def run(args, plan, workdir, log):
    """The whole benchmark; a dict for the report. BenchError if a server or a setup step
    fails."""
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        servers_up = backends.Backends(workdir)
        stack.callback(servers_up.stop)
        servers_up.start()  # in the background, while the gateway starts and compiles
        gateway, endpoint_id = start_gateway(args, workdir, stack)
        add_service(gateway, endpoint_id, "c", "memory", {})
        log("7. service calls: waiting for scripts/backends/up.sh redis postgres")
        found = servers_up.wait()
        backends.pin_to_server_cpu(found)
        prepare_backends(gateway, endpoint_id, found["redis"], found["postgres"])
        log(f"  set up in {time.monotonic() - started:.0f}s (gateway, handler, Redis, "
            "PostgreSQL, pgbench -i)")
        return measure_all(gateway, found, plan, log)


def start_gateway(args, workdir, stack):
    gateway = EdgegateServer(workdir, args.bin, args.sdk_dir, dirname="edgegate_services")
    stack.callback(gateway.stop)
    gateway.start(SERVER_CPU)
    endpoint_id, _ = gateway.create_and_deploy("bench_services", *read_route(SOURCE),
                                               SOURCE.read_text())
    return gateway, endpoint_id


def add_service(gateway, endpoint_id, name, service_type, config):
    """Creates, activates and binds (pool_id = name) a service; BenchError if its activation
    test does not reach the backend."""
    admin = gateway.admin
    service = admin.call("POST", "/api/services",
                         {"name": name, "service_type": service_type, "config": config})
    activated = admin.call("POST", f"/api/services/{service['id']}/activate")
    test = activated.get("test") or {}
    if not test.get("connected"):
        raise BenchError(f"service {name} ({service_type}) does not reach its backend: {test}")
    admin.call("POST", f"/api/endpoints/{endpoint_id}/services",
               {"service_id": service["id"], "pool_id": name})


def prepare_backends(gateway, endpoint_id, redis, pg):
    """The Redis and PostgreSQL services, the values both sides read, pgbench's tables."""
    add_service(gateway, endpoint_id, "r", "redis",
                {"host": redis["host"], "port": redis["port"], "password": redis["password"],
                 "pool_size": CONCURRENCY})
    backends.pgbench_init(pg)
    # Plain TCP on both sides (pgbench: backends._pg_env), as before the test server had TLS.
    add_service(gateway, endpoint_id, "pg", "postgres",
                {"host": pg["host"], "port": pg["port"], "database": pg["database"],
                 "username": pg["user"], "password": pg["password"], "ssl_mode": "disable",
                 "pool_size": CONCURRENCY})
    backends.redis_set(redis, REDIS_BENCHMARK_KEY, VALUE.decode())
    for service in ("c", "r"):
        gateway.check(f"/svc/{service}/set", VALUE)


def measure_all(gateway, found, plan, log):
    rounds, duration_s, warmup_s = plan.service_rounds, plan.service_load_s, plan.warmup_s
    log(f"7a. memory cache round trip: {plan.overhead_rounds} round(s) x 3 paths x "
        f"{plan.overhead_load_s}s, wrk -c{OVERHEAD_CONNECTIONS}")
    overhead = cache_overhead(gateway, plan.overhead_rounds, plan.overhead_load_s, warmup_s, log)
    log(f"7b. Redis GET vs redis-benchmark: {rounds} round(s) x 3 x {duration_s}s, "
        f"-c{CONCURRENCY}")
    redis = redis_vs_benchmark(gateway, found["redis"], rounds, duration_s, warmup_s, log)
    log(f"7c. PostgreSQL SELECT vs pgbench -S: {rounds} round(s) x 2 x {duration_s}s, "
        f"-c{CONCURRENCY}")
    pg = postgres_vs_pgbench(gateway, found["postgres"], rounds, duration_s, warmup_s, log)
    return {"rounds": rounds, "duration_s": duration_s, "concurrency": CONCURRENCY,
            "overhead_rounds": plan.overhead_rounds, "overhead_s": plan.overhead_load_s,
            "calls_per_g100": CALLS_PER_G100,
            "overhead": overhead, "redis": redis, "postgres": pg}


def _round_order(sides, round_no):
    """The sides in their order for round `round_no` (1-based): reversed every other round, so
    that a slow drift of the machine's speed hits every side alike."""
    return list(sides) if round_no % 2 else list(reversed(sides))


# -- a. the memory cache's round trip -----------------------------------------------------------

def cache_overhead(gateway, rounds, duration_s, warmup_s, log):
    """{"bytes", "runs": {"nop", "get", "g100": [LoadRun]}}, rounds in alternating order."""
    for name in ("nop", "get", "g100"):
        gateway.check(PATHS[name], VALUE)
        wrk.run(_url(gateway, PATHS[name]), warmup_s, OVERHEAD_CONNECTIONS)
    runs = {"nop": [], "get": [], "g100": []}
    for round_no in range(1, rounds + 1):
        for name in _round_order(runs, round_no):
            run = load.measure(gateway, PATHS[name], duration_s, OVERHEAD_CONNECTIONS)
            runs[name].append(run)
            log(f"  round {round_no}/{rounds} {name:<4}  p50 {run.p50_s * 1e6:6.1f} µs  "
                f"p99 {run.p99_s * 1e6:6.1f} µs  CPU {run.cpu_per_request_s * 1e6:5.2f} µs/req"
                f"{_failures(run)}")
    sizes = {name: len(httpc.raw_response(gateway.port, PATHS[name])) for name in runs}
    pairs = []
    for round_no in range(1, rounds + 1):
        run = paired.run(gateway.port, PATHS["nop"], PATHS["get"],
                         {PATHS[name]: size for name, size in sizes.items()}, duration_s)
        pairs.append(run)
        log(f"  paired {round_no}/{rounds}  {run.pairs:,} pairs  nop p50 "
            f"{run.first_p50_s * 1e6:6.1f} µs  get p50 {run.second_p50_s * 1e6:6.1f} µs  "
            f"get − nop p50 {run.diff_p50_s * 1e6:5.2f} µs")
    return {"bytes": sizes, "runs": runs, "paired": pairs}


# -- b. Redis -----------------------------------------------------------------------------------

def redis_vs_benchmark(gateway, redis, rounds, duration_s, warmup_s, log):
    """{"gateway": [LoadRun], "nop": [LoadRun] (the handler without a call, same concurrency),
    "redis-benchmark": [{"rps", "p50_s", "p99_s"}]}."""
    gateway.check(PATHS["redis"], VALUE)
    for path in (PATHS["nop"], PATHS["redis"]):
        wrk.run(_url(gateway, path), warmup_s, CONCURRENCY)
    rps = [backends.redis_benchmark(redis, CALIBRATION_REQUESTS, CONCURRENCY)["rps"]]

    def direct():
        result = backends.redis_benchmark(redis, max(MIN_REDIS_REQUESTS, int(rps[0] * duration_s)),
                                          CONCURRENCY)
        rps[0] = result["rps"]  # sizes the next run to last about duration_s
        return result
    sides = {"nop": lambda: load.measure(gateway, PATHS["nop"], duration_s, CONCURRENCY),
             "gateway": lambda: load.measure(gateway, PATHS["redis"], duration_s, CONCURRENCY),
             "redis-benchmark": direct}
    runs = _alternate(sides, rounds)
    for i, (gw, nop, rb) in enumerate(zip(runs["gateway"], runs["nop"], runs["redis-benchmark"])):
        log(f"  round {i + 1}/{rounds} handler {gw.rps:>7,.0f} req/s (no call {nop.rps:>7,.0f})  "
            f"redis-benchmark {rb['rps']:>7,.0f} req/s{_failures(gw)}")
    return runs


def _alternate(sides, rounds):
    """Runs each of `sides` (name -> a function returning one run) once per round, in
    _round_order; returns {name: [run per round]}."""
    runs = {name: [] for name in sides}
    for round_no in range(1, rounds + 1):
        for name in _round_order(sides, round_no):
            runs[name].append(sides[name]())
    return runs


# -- c. PostgreSQL ------------------------------------------------------------------------------

def postgres_vs_pgbench(gateway, pg, rounds, duration_s, warmup_s, log):
    """{"gateway": [LoadRun], "pgbench": [{"tps", "latency_s"}]}."""
    check_select(gateway)
    wrk.run(_url(gateway, PATHS["pg"]), warmup_s, CONCURRENCY)
    backends.pgbench(pg, warmup_s, CONCURRENCY)
    runs = _alternate({"gateway": lambda: load.measure(gateway, PATHS["pg"], duration_s,
                                                       CONCURRENCY),
                       "pgbench": lambda: backends.pgbench(pg, duration_s, CONCURRENCY)}, rounds)
    for i, (gw, direct) in enumerate(zip(runs["gateway"], runs["pgbench"])):
        log(f"  round {i + 1}/{rounds} handler {gw.rps:>7,.0f} req/s  "
            f"pgbench {direct['tps']:>7,.0f} TPS{_failures(gw)}")
    return runs


def check_select(gateway):
    """BenchError unless /svc/pg/sel answers an account."""
    try:
        status, body = httpc.get(gateway.port, PATHS["pg"])
        account = json.loads(body) if status == 200 else {}
    except (OSError, ValueError) as e:
        raise BenchError(f"GET {PATHS['pg']}: {e}")
    if "abalance" not in account:
        raise BenchError(f"GET {PATHS['pg']} answered {status} {body[:200]!r}"
                         f"\n{gateway.process.log_tail()}")


def _url(gateway, path):
    return f"http://127.0.0.1:{gateway.port}{path}"


def _failures(run):
    failed = run.non_2xx + run.socket_errors
    return f"  non-2xx + socket errors {failed}" if failed else ""
