#!/usr/bin/python3
"""Edgegate's benchmarks against its peers (issue 3): `make bench` runs this after a Release build.

    python3 bench/load/run.py [--quick] --bin build-release/src/cli/edgegate \
        --sdk-dir build-release/sdk [--micro build-release/bench/micro/dispatch_bench] \
        [--out bench/RESULTS.md] [--only PART]

Runs, in order: 1. hello world and 2. JSON + params under wrk against nginx, nginx + Lua and
Node.js; 4. deploy latency; 5. hot swaps under load; 6. memory; 7. service calls (memory cache,
Redis and PostgreSQL, issue 5); 3. the dispatch micro-benchmarks (if the binary exists). Prints
the results and writes them to --out. `--only` (repeatable) runs some parts: peers (1, 2, 4, 5),
memory (6), services (7), micro (3).

Python 3 stdlib only. Load goes to 127.0.0.1 only. Every server is started here on a free port
in a temporary directory and stopped on the way out, also on error or SIGTERM (the Redis and
PostgreSQL of benchmark 7 through scripts/backends/up.sh and down.sh). The default run takes
about 7 minutes (bounded under 10); --quick is a smoke run of about a minute and a half.
Exit status: 0 whatever the figures (targets are reported, not asserted); 1 if a server fails to
start, a setup request fails, or the micro-benchmarks fail to run.
"""

import argparse
import contextlib
import dataclasses
import datetime
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import backends
import deploy
import load
import memory
import micro
import report
import services
from procs import SERVER_CPU, BenchError, pinning_enabled, raise_nofile_limit
from servers import (HELLO_BODY, HELLO_PATH, JSON_BODY, JSON_PATH, JSON_SOURCE, NGINX_MODULES,
                     EdgegateServer, NginxServer, NodeServer, hello_source, json_source, read_route)

REPO = pathlib.Path(__file__).resolve().parents[2]
TIME_BUDGET_S = 600
BUSY_LOAD = 0.5  # a 1-minute load average above this at the start makes the figures suspect


@dataclasses.dataclass
class Plan:
    """How much of everything to run: the default run, or the --quick smoke run."""
    rounds: int = 5
    load_s: int = 5
    warmup_s: int = 1
    deploy_samples: int = 5
    swap_s: int = 10
    swaps: int = 50
    swap_rounds: int = 3
    handlers: int = 100
    connections: int = 10_000
    connect_timeout_s: int = 120
    micro_repetitions: int = 5
    micro_min_time_s: float = 0.2
    micro_timeout_s: int = 300
    overhead_rounds: int = 6  # benchmark 7a: 3 paths x rounds x overhead_load_s
    overhead_load_s: int = 2
    service_rounds: int = 3  # benchmark 7b, 7c: 5 runs x rounds x service_load_s
    service_load_s: int = 3


QUICK = Plan(rounds=1, load_s=2, warmup_s=1, deploy_samples=3, swap_s=2, swaps=10, swap_rounds=1,
             handlers=10,
             connections=1_000, connect_timeout_s=60, micro_repetitions=1, micro_min_time_s=0.05,
             micro_timeout_s=120, overhead_rounds=2, overhead_load_s=1, service_rounds=1,
             service_load_s=2)
PARTS = ("peers", "memory", "services", "micro")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, small counts")
    parser.add_argument("--bin", required=True, help="the edgegate binary (a Release build)")
    parser.add_argument("--sdk-dir", required=True, help="the handler SDK tree of that build")
    parser.add_argument("--micro", help="bench/micro's dispatch_bench binary (skipped if absent)")
    parser.add_argument("--out", default=str(REPO / "bench/RESULTS.md"), help="results file")
    parser.add_argument("--rounds", type=int, help="override the number of load rounds")
    parser.add_argument("--connections", type=int, help="override the idle connection count")
    parser.add_argument("--keep-temp", action="store_true", help="keep the servers' directories")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="run only this part (repeatable): peers = 1, 2, 4, 5; memory = 6; "
                             "services = 7; micro = 3")
    args = parser.parse_args(argv)
    args.only = set(args.only or PARTS)
    for name in ("bin", "sdk_dir", "micro", "out"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    return args


def make_plan(args):
    plan = dataclasses.replace(QUICK if args.quick else Plan())
    if args.rounds:
        plan.rounds = args.rounds
    if args.connections:
        plan.connections = args.connections
    return plan


def log(message):
    print(message, flush=True)


def check_prerequisites(args):
    """BenchError naming what is missing (binaries, SDK tree, nginx modules, backend clients)."""
    missing = [tool for tool in ("wrk", "taskset") if not shutil.which(tool)]
    if args.only & {"peers", "memory"}:
        missing += [tool for tool in ("nginx", "node") if not shutil.which(tool)]
        missing += [str(NGINX_MODULES / m) for m in ("ndk_http_module.so",
                                                     "ngx_http_lua_module.so")
                    if not (NGINX_MODULES / m).exists()]
    if "services" in args.only:
        missing += backends.missing_tools()
    if not os.access(args.bin, os.X_OK):
        missing.append(f"{args.bin} (build the edgegate target)")
    if not (pathlib.Path(args.sdk_dir) / "include/edgegate/sdk.hpp").exists():
        missing.append(f"{args.sdk_dir}/include/edgegate/sdk.hpp (build edgegate_sdk_tree)")
    if missing:
        raise BenchError("missing: " + ", ".join(missing) +
                         " (scripts/install-bench-deps.sh installs the tools and modules)")


# -- the phases ---------------------------------------------------------------------------------

def start_peers(args, workdir, stack):
    """Edgegate (hello and JSON handlers deployed), nginx, nginx + Lua and Node.js, all on the
    server CPU; each is stopped by `stack`."""
    gateway = EdgegateServer(workdir, args.bin, args.sdk_dir)
    peers = [gateway, NginxServer(workdir), NginxServer(workdir, lua=True), NodeServer(workdir)]
    for server in peers:
        stack.callback(server.stop)
        server.start(SERVER_CPU)
    gateway.create_and_deploy("bench_hello", "GET", "/hello/{name}", hello_source())
    gateway.create_and_deploy("bench_json", *read_route(JSON_SOURCE), json_source())
    return peers


def run_peer_benchmarks(args, plan, workdir, results):
    """Benchmarks 1, 2 (all peers), then 4 and 5 on the same gateway."""
    with contextlib.ExitStack() as stack:
        peers = start_peers(args, workdir, stack)
        gateway = peers[0]
        log(f"1. hello world: {plan.rounds} round(s) x {len(peers)} servers x {plan.load_s}s")
        results["hello"] = load.benchmark(peers, HELLO_PATH, HELLO_BODY, plan.rounds,
                                          plan.load_s, plan.warmup_s, log)
        json_peers = [p for p in peers if p.name != "nginx"]
        log(f"2. JSON + params: {plan.rounds} round(s) x {len(json_peers)} servers")
        results["json"] = load.benchmark(json_peers, JSON_PATH, JSON_BODY, plan.rounds,
                                         plan.load_s, plan.warmup_s, log)
        for peer in peers[1:]:
            peer.stop()
        log(f"4. deploy latency: {plan.deploy_samples} sample(s) per case")
        results["deploy"] = deploy.deploy_latency(gateway, plan.deploy_samples, log)
        log(f"5. hot swap: {plan.swap_rounds} round(s) of {plan.swaps} swaps under load for "
            f"{plan.swap_s}s")
        results["swap"] = deploy.hot_swap(gateway, plan.swap_s, plan.swaps, plan.swap_rounds,
                                          log)


def run_memory_benchmarks(args, plan, workdir, fd_limit, results):
    memory.check_fd_limit(plan.connections, fd_limit)
    with contextlib.ExitStack() as stack:
        log(f"6. memory: {plan.handlers} handlers, {plan.connections:,} idle connections")
        handlers = memory.idle_and_per_handler(workdir, args.bin, args.sdk_dir, plan.handlers,
                                               stack, log)
        connections = memory.connections_side_by_side(workdir, args.bin, args.sdk_dir,
                                                      plan.connections, plan.connect_timeout_s,
                                                      stack, log)
    results["memory"] = {"handlers": handlers, "connections": connections}


def run_service_benchmarks(args, plan, workdir, results):
    """Benchmark 7. A failure (a backend that does not start...) is recorded for the report
    rather than raised, so that the other figures are still written."""
    try:
        results["services"] = services.run(args, plan, workdir, log)
    except BenchError as e:
        log(f"error: 7. service calls: {e}")
        results["services"] = {"error": str(e).splitlines()[0]}


def run_micro(args, plan, results):
    log("3. dispatch micro-benchmarks")
    results["micro"] = micro.run(args.micro, plan.micro_repetitions, plan.micro_min_time_s,
                                 plan.micro_timeout_s)
    if "note" in results["micro"]:
        log(f"  {results['micro']['note']}")


# -- the report's header ------------------------------------------------------------------------

def _output(cmd):
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout + done.stderr).strip()


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def git_commit():
    commit = _output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = _output(["git", "status", "--porcelain", "--untracked-files=no"])
    return f"{commit}{' (dirty: uncommitted changes)' if dirty else ''}"


def binary_identity(path):
    """The gateway binary and when it was built (its mtime), so a stale build shows."""
    built = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    return f"{os.path.relpath(path, REPO)}, built {built:%Y-%m-%d %H:%M} UTC"


def tool_versions(args):
    """One line: the versions of the gateway, the peers, wrk and the backends' clients."""
    first_lines = [(_output(cmd).splitlines() or ["?"])[0] for cmd in (
        [args.bin, "version"], ["nginx", "-v"], ["node", "--version"], ["wrk", "-v"],
        ["redis-benchmark", "--version"], [backends.pgbench_binary() or "pgbench", "--version"])]
    edgegate, nginx, node, wrk, redis_benchmark, pgbench = first_lines
    return f"{edgegate}; {nginx.replace('nginx version: ', '')}; node {node}; " \
           f"{wrk.split(' Copyright')[0]}; {redis_benchmark}; {pgbench}"


def metadata(args, plan, elapsed_s, at_start):
    uname = os.uname()
    pinning = "servers on CPU 0, wrk on CPU 1" if pinning_enabled() else "none (fewer than 2 CPUs)"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": (f"{os.cpu_count()} cores, {cpu_model()}, "
                    f"Linux {uname.release} ({uname.machine})"),
        "commit": at_start["commit"],
        "mode": (f"{'quick' if args.quick else 'full'}: {plan.rounds} round(s) of "
                 f"{plan.load_s} s per load figure; services: {plan.overhead_rounds} x "
                 f"{plan.overhead_load_s} s (7a), {plan.service_rounds} x "
                 f"{plan.service_load_s} s (7b, 7c)"
                 f"{'' if args.only == set(PARTS) else '; only ' + ', '.join(sorted(args.only))}"),
        "pinning": pinning,
        "load average at start": at_start["load"],
        "binary": binary_identity(args.bin),
        "tools": tool_versions(args),
        "run time": f"{elapsed_s:.0f} s",
    }


def write_report(args, plan, results, elapsed_s, at_start):
    text = report.render(results, metadata(args, plan, elapsed_s, at_start))
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    log("\n" + text)
    log(f"written to {out}")


# -- main ---------------------------------------------------------------------------------------

def _raise_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through every `finally`, which stops the servers


def machine_load():
    """The load average as text; warns when something else is using the CPUs."""
    one, five, _ = os.getloadavg()
    if one > BUSY_LOAD:
        log(f"warning: load average {one:.2f}: another job is using the CPUs, "
            "figures will be noisy")
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def main(argv):
    args = parse_args(argv)
    # Taken before anything runs: the commit is the one the binaries were just built from, even if
    # the tree is edited while the benchmarks run.
    at_start = {"load": machine_load(), "commit": git_commit()}
    plan = make_plan(args)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    started = time.monotonic()
    try:
        check_prerequisites(args)
    except BenchError as e:
        log(f"error: {e}")
        return 1
    workdir = tempfile.mkdtemp(prefix="edgegate-bench-")
    completed = False
    try:
        fd_limit = raise_nofile_limit()
        results = {}
        if "peers" in args.only:
            run_peer_benchmarks(args, plan, workdir, results)
        if "memory" in args.only:
            run_memory_benchmarks(args, plan, workdir, fd_limit, results)
        if "services" in args.only:
            run_service_benchmarks(args, plan, workdir, results)
        if "micro" in args.only:
            run_micro(args, plan, results)
        elapsed = time.monotonic() - started
        write_report(args, plan, results, elapsed, at_start)
        if elapsed > TIME_BUDGET_S:
            log(f"warning: the run took {elapsed:.0f}s, over its {TIME_BUDGET_S}s budget")
        completed = True
        if results.get("micro", {}).get("failed"):
            log(f"error: micro-benchmarks {results['micro']['note']}")
            return 1
        if "error" in results.get("services", {}):
            log(f"error: 7. service calls: {results['services']['error']}")
            return 1
        return 0
    except BenchError as e:
        log(f"error: {e}")
        return 1
    finally:
        if completed and not args.keep_temp:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"server directories and logs kept in {workdir}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
