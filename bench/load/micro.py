"""Benchmark 3: runs the dispatch micro-benchmarks (bench/micro, Google Benchmark) and collects
their figures in ns per operation: min / median / max over repetitions of CPU time per iteration.
"""

import json
import os
import subprocess

from stats import summarize

_TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
ROUTE_MATCH_SMALL = "BM_RouteMatch/10"
ROUTE_MATCH_LARGE = "BM_RouteMatch/10000"
DISPATCH = "BM_Dispatch"


def run(binary, repetitions, min_time_s, timeout_s):
    """{"benchmarks": {name: Summary in ns}, "errors": [...]} or {"note": why it was skipped or
    failed, "failed": bool}."""
    if not binary:
        return {"note": "skipped: no --micro binary given", "failed": False}
    if not os.access(binary, os.X_OK):
        return {"note": f"skipped: {binary} does not exist (build target dispatch_bench)",
                "failed": False}
    # Interleaved: repetitions of all benchmarks in random order, so that a slow spell of this
    # shared machine does not land on one side of a ratio (the 10,000 vs 10 routes one).
    cmd = [binary, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
           f"--benchmark_min_time={min_time_s}", "--benchmark_enable_random_interleaving=true"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"note": f"failed: {binary} ran longer than {timeout_s}s", "failed": True}
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-10:])
        return {"note": f"failed: {binary} exited with {done.returncode}: {tail}", "failed": True}
    try:
        return parse(json.loads(done.stdout))
    except (ValueError, KeyError) as e:
        return {"note": f"failed: unreadable JSON from {binary}: {e!r}", "failed": True}


def parse(report):
    """Summaries by benchmark name from Google Benchmark's JSON (iterations only, no aggregates)."""
    times, errors = {}, []
    for entry in report["benchmarks"]:
        if entry.get("run_type", "iteration") != "iteration":
            continue
        name = entry.get("run_name", entry["name"])
        if entry.get("error_occurred"):
            errors.append(f"{name}: {entry.get('error_message', 'error')}")
            continue
        times.setdefault(name, []).append(entry["cpu_time"] * _TO_NS[entry.get("time_unit", "ns")])
    return {"benchmarks": {name: summarize(v) for name, v in times.items()}, "errors": errors}
