"""Benchmark 7's part of bench/RESULTS.md: its target rows and its section (see services.py for
what is measured)."""

from stats import fmt_count, fmt_ratio, fmt_summary, ratio, summarize

OVERHEAD_TARGET_S = 5e-6


def _us(seconds):
    return f"{seconds * 1e6:.0f}" if abs(seconds) >= 100e-6 else f"{seconds * 1e6:.1f}"


def _us2(seconds):
    return f"{seconds * 1e6:.2f}"


def _rounds(n):
    return f"{n} round{'' if n == 1 else 's'}"


def _field(runs, field):
    """Summary of `field` over runs that are LoadRuns (attributes) or dicts."""
    return summarize([r[field] if isinstance(r, dict) else getattr(r, field) for r in runs])


def _median(runs, field):
    summary = _field(runs, field)
    return summary.median if summary else None


def overhead_diffs(data, field, path="get", calls=1):
    """Summary of (`path` minus nop) / `calls` for `field`, paired round by round."""
    runs = data["overhead"]["runs"]
    return summarize([(getattr(g, field) - getattr(n, field)) / calls
                      for g, n in zip(runs[path], runs["nop"])])


def paired_diff(data):
    """Summary over rounds of the paired runs' median (get − nop), or None."""
    pairs = data["overhead"].get("paired") or []
    return summarize([run.diff_p50_s for run in pairs])


def redis_ratio(data):
    runs = data["redis"]
    return ratio(_median(runs["gateway"], "rps"), _median(runs["redis-benchmark"], "rps"))


def postgres_ratio(data):
    runs = data["postgres"]
    return ratio(_median(runs["gateway"], "rps"), _median(runs["pgbench"], "tps"))


def target_rows(results):
    """(figure, target, measured text, meets: True/False/None) for issue 5's figures."""
    data = results.get("services")
    ok = bool(data) and "error" not in data
    p50 = paired_diff(data) if ok else None
    p50_diff = p50.median if p50 else None
    rows = [("memory cache `get` round trip: p50 over the same handler doing nothing "
             "(paired requests)",
             "≤ 5 µs", "n/a" if p50_diff is None else f"{p50_diff * 1e6:.2f} µs",
             None if p50_diff is None else p50_diff <= OVERHEAD_TARGET_S)]
    for figure, value in (("Redis GET handler req/s vs redis-benchmark -t get",
                           redis_ratio(data) if ok else None),
                          ("PostgreSQL SELECT handler req/s vs pgbench -S TPS",
                           postgres_ratio(data) if ok else None)):
        rows.append((figure, "reported", fmt_ratio(value), None))
    return rows


def section(results):
    lines = ["## 7. Service calls (issue 5)", ""]
    data = results.get("services")
    if not data:
        return lines + ["Not run.", ""]
    if "error" in data:
        return lines + [f"Failed: {data['error']}", ""]
    lines += ["One gateway (`--threads 1`), handler `bench/load/handlers/services.cpp`; "
              "min / **median** / max over rounds; the sides of a comparison interleaved, "
              "their order reversed every other round.", ""]
    return lines + overhead_lines(data) + redis_lines(data) + postgres_lines(data)


def overhead_lines(data):
    ov = data["overhead"]
    lines = ["### 7a. Actor round trip with the `memory` cache", "",
             f"`wrk -t1 -c1 -d{data['overhead_s']}s --latency` on `GET /svc/c/get` (one "
             "`ctx.cache(\"c\").get(key)`), `GET /svc/c/nop` (the same handler without the "
             f"call, same body) and `GET /svc/c/g100` ({data['calls_per_g100']} gets in a row), "
             f"{_rounds(data['overhead_rounds'])}. The `memory` cache runs its calls inline on the "
             "loop (no thread hand-off). get − nop of separate wrk runs carries the drift between "
             "runs (a nop's p50 moves by 2× between runs of a few seconds on these VMs); the "
             "target's figure is the paired one: per round, nop and get alternate request by "
             "request on one connection for "
             f"{data['overhead_s']} s (the order within a pair swapped every other pair), and the "
             "figure is the median over pairs of get − nop. It pays for a single call per "
             "request, including the caches its code finds cold after the loop slept; "
             f"(g100 − nop) / {data['calls_per_g100']} is one call on a hot path.", "",
             "| path | response bytes | req/s | p50 (µs) | p99 (µs) | CPU per request (µs) "
             "| non-2xx + socket errors |", "|---|---|---|---|---|---|---|"]
    for name in ("nop", "get", "g100"):
        runs = ov["runs"][name]
        lines.append(f"| {name} | {ov['bytes'][name]} "
                     f"| {fmt_summary(_field(runs, 'rps'), fmt_count)} "
                     f"| {fmt_summary(_field(runs, 'p50_s'), _us)} "
                     f"| {fmt_summary(_field(runs, 'p99_s'), _us)} "
                     f"| {fmt_summary(_field(runs, 'cpu_per_request_s'), _us2)} "
                     f"| {sum(r.non_2xx + r.socket_errors for r in runs)} |")
    lines.append(f"| **get − nop** (same round) | | "
                 f"| {fmt_summary(overhead_diffs(data, 'p50_s'), _us)} "
                 f"| {fmt_summary(overhead_diffs(data, 'p99_s'), _us)} "
                 f"| {fmt_summary(overhead_diffs(data, 'cpu_per_request_s'), _us2)} | |")
    n = data["calls_per_g100"]
    lines.append(f"| **(g100 − nop) / {n}**: one call, hot (same round) | | "
                 f"| {fmt_summary(overhead_diffs(data, 'p50_s', 'g100', n), _us2)} | "
                 f"| {fmt_summary(overhead_diffs(data, 'cpu_per_request_s', 'g100', n), _us2)} | |")
    pairs = ov.get("paired") or []
    if pairs:
        total = sum(run.pairs for run in pairs)
        lines.append(f"| **get − nop, paired** (median over pairs; {fmt_count(total)} pairs in "
                     f"{_rounds(len(pairs))}) | | "
                     f"| {fmt_summary(paired_diff(data), _us2)} | | | |")
        lines.append(f"| nop; get in the paired runs | | "
                     f"| {fmt_summary(summarize([r.first_p50_s for r in pairs]), _us)}; "
                     f"{fmt_summary(summarize([r.second_p50_s for r in pairs]), _us)} | | | |")
    return lines + [""]


def redis_lines(data):
    runs, c = data["redis"], data["concurrency"]
    gateway, direct = runs["gateway"], runs["redis-benchmark"]
    failures = sum(r.non_2xx + r.socket_errors for r in gateway)
    return ["### 7b. Redis GET: handler vs redis-benchmark", "",
            f"Both at concurrency {c}, {_rounds(data['rounds'])} of {data['duration_s']} s, against "
            f"the same Redis, which is on the server CPU with the gateway; service `pool_size` "
            f"{c}. Both read an 11-byte value. The handler without the call (nop) at the same "
            "concurrency shows what the HTTP side alone costs.", "",
            "| client | req/s | p50 (µs) | p99 (µs) | gateway CPU per request (µs) |",
            "|---|---|---|---|---|",
            _wrk_row(f"`wrk -t1 -c{c}` → handler, one `ctx.cache(\"r\").get`", gateway),
            _wrk_row(f"`wrk -t1 -c{c}` → the same handler without the call (nop)", runs["nop"]),
            f"| `redis-benchmark -t get -c {c}` "
            f"| {fmt_summary(_field(direct, 'rps'), fmt_count)} "
            f"| {fmt_summary(_field(direct, 'p50_s'), _us)} "
            f"| {fmt_summary(_field(direct, 'p99_s'), _us)} | |", "",
            f"Handler / redis-benchmark req/s (medians): **{fmt_ratio(redis_ratio(data))}**; "
            f"handler non-2xx + socket errors: {failures}.", ""]


def _wrk_row(label, runs):
    return (f"| {label} | {fmt_summary(_field(runs, 'rps'), fmt_count)} "
            f"| {fmt_summary(_field(runs, 'p50_s'), _us)} "
            f"| {fmt_summary(_field(runs, 'p99_s'), _us)} "
            f"| {fmt_summary(_field(runs, 'cpu_per_request_s'), _us2)} |")


def postgres_lines(data):
    runs, c = data["postgres"], data["concurrency"]
    gateway, direct = runs["gateway"], runs["pgbench"]
    failures = sum(r.non_2xx + r.socket_errors for r in gateway)
    return ["### 7c. PostgreSQL primary-key SELECT: handler vs pgbench -S", "",
            f"Both at concurrency {c}, {_rounds(data['rounds'])} of {data['duration_s']} s, on "
            f"`pgbench_accounts` (scale 1, "
            f"100,000 rows) of the same server, which is on the server CPU with the gateway; "
            f"service `pool_size` {c}.", "",
            "| client | req/s or TPS | latency (µs) | gateway CPU per request (µs) |",
            "|---|---|---|---|",
            f"| `wrk -t1 -c{c}` → handler, one `SELECT abalance ... WHERE aid = $1` "
            f"| {fmt_summary(_field(gateway, 'rps'), fmt_count)} "
            f"| p50 {fmt_summary(_field(gateway, 'p50_s'), _us)} "
            f"| {fmt_summary(_field(gateway, 'cpu_per_request_s'), _us2)} |",
            f"| `pgbench -S -M extended -c {c} -j 1` "
            f"| {fmt_summary(_field(direct, 'tps'), fmt_count)} "
            f"| average {fmt_summary(_field(direct, 'latency_s'), _us)} | |", "",
            f"Handler req/s / pgbench TPS (medians): **{fmt_ratio(postgres_ratio(data))}**; "
            f"handler non-2xx + socket errors: {failures}.", ""]


HOW_MEASURED = """- Service calls (7): one gateway serving `bench/load/handlers/services.cpp` on
  `GET /svc/{service}/{op}`, bound to a `memory` cache, a Redis cache and a PostgreSQL database.
  Redis and PostgreSQL are started by `scripts/backends/up.sh` with a state directory in the
  run's temporary directory and stopped by `down.sh`; their processes are pinned to CPU 0 with
  the gateway, and redis-benchmark and pgbench to CPU 1 like wrk. Memory cache: wrk -c1 on a
  path doing one `get` and a path of the same handler doing nothing, same body, in rounds
  that alternate which path goes first; the target's overhead is measured in paired runs, the
  two paths alternating request by request on one connection (median over pairs of the
  difference). Redis: wrk at
  concurrency C on a path doing one GET vs `redis-benchmark -t get -c C` (its request count
  sized to last as long), alternating. PostgreSQL: wrk at concurrency C on a path doing one
  primary-key SELECT (key rotating over the 100,000 rows) vs `pgbench -S -M extended -c C -j 1
  -T` for the same time (`-M extended`: the unnamed-statement protocol the gateway's libpq
  calls use), alternating. Both services get `pool_size` C.
"""
