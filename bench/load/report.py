"""Turns the collected results into bench/RESULTS.md (also printed): the targets table first,
then every benchmark's figures as min / **median** / max, then how they were measured.
Targets are compared, never asserted: a missed one is marked, and the run still succeeds.
"""

import statistics

import micro
import services_report
from stats import (fmt_bytes, fmt_count, fmt_ratio, fmt_summary, fmt_time, ratio, summarize)

EDGEGATE = "Edgegate"


# -- figures derived from the results -----------------------------------------------------------

def _median(runs, field):
    summary = summarize([getattr(r, field) for r in runs])
    return summary.median if summary else None


def load_ratio(section, peer, field):
    """Edgegate's median `field` over the peer's median (None if either is missing)."""
    if not section or peer not in section["runs"]:
        return None
    return ratio(_median(section["runs"][EDGEGATE], field), _median(section["runs"][peer], field))


def deploy_median(results, label):
    summary = summarize(results.get("deploy", {}).get(label, {}).get("seconds", []))
    return summary.median if summary else None


def micro_median(results, name):
    summary = results.get("micro", {}).get("benchmarks", {}).get(name)
    return summary.median if summary else None


def swap_failures(results):
    swap = results.get("swap")
    if not swap:
        return None
    return sum(r["during"].non_2xx + r["during"].errors for r in swap["rounds"])


def _swap_median(swap, phase, field):
    return statistics.median(getattr(r[phase], field) for r in swap["rounds"])


def swap_p99_ratio(results):
    """The median p99 during swaps over the median steady p99, across rounds."""
    swap = results.get("swap")
    if not swap:
        return None
    return ratio(_swap_median(swap, "during", "p99_s"), _swap_median(swap, "steady", "p99_s"))


def per_handler_bytes(results):
    mem = results.get("memory", {}).get("handlers")
    return None if not mem else (mem["after"] - mem["before"]) / mem["handlers"]


def per_connection_bytes(results, server):
    conns = results.get("memory", {}).get("connections", {}).get(server)
    return None if not conns else (conns["after"] - conns["before"]) / conns["count"]


# -- the targets table --------------------------------------------------------------------------

def _at_most(limit):
    return lambda v: v <= limit


def _at_least(limit):
    return lambda v: v >= limit


def target_rows(results):
    """(figure, target, measured text, meets: True/False/None) for every target of issue 3."""
    hello, js = results.get("hello"), results.get("json")
    route_ratio = ratio(micro_median(results, micro.ROUTE_MATCH_LARGE),
                        micro_median(results, micro.ROUTE_MATCH_SMALL))
    dispatch_ns = micro_median(results, micro.DISPATCH)
    conn_ratio = ratio(per_connection_bytes(results, EDGEGATE),
                       per_connection_bytes(results, "nginx"))
    rows = [
        ("hello world req/s, 1 loop vs nginx 1 worker", "≥ 1.0×",
         load_ratio(hello, "nginx", "rps"), fmt_ratio, _at_least(1.0)),
        ("hello world server CPU per request vs nginx", "≤ 1.0×",
         load_ratio(hello, "nginx", "cpu_per_request_s"), fmt_ratio, _at_most(1.0)),
        ("hello world p99 vs nginx", "≤ 1.2×",
         load_ratio(hello, "nginx", "p99_s"), fmt_ratio, _at_most(1.2)),
        ("JSON + params req/s vs nginx+Lua", "≥ 1.2×",
         load_ratio(js, "nginx+Lua", "rps"), fmt_ratio, _at_least(1.2)),
        ("route match at 10,000 routes vs 10 routes", "≤ 1.5× the time",
         route_ratio, fmt_ratio, _at_most(1.5)),
        ("match + pin + call + unpin", "≤ 200 ns",
         None if dispatch_ns is None else dispatch_ns * 1e-9, fmt_time, _at_most(200e-9)),
        ("deploy to first response: hello cold", "≤ 300 ms",
         deploy_median(results, "hello, cold (new source)"), fmt_time, _at_most(0.300)),
        ("deploy to first response: hello cached (earlier version)", "≤ 20 ms",
         deploy_median(results, "hello, cached (earlier version)"), fmt_time, _at_most(0.020)),
        ("deploy to first response: hello cached (new endpoint)", "≤ 20 ms",
         deploy_median(results, "hello, cached (new endpoint)"), fmt_time, _at_most(0.020)),
        ("deploy to first response: JSON handler cold", "≤ 500 ms",
         deploy_median(results, "JSON handler, cold (new source)"), fmt_time, _at_most(0.500)),
        ("failed requests during hot swaps under load", "0",
         swap_failures(results), fmt_count, _at_most(0)),
        ("p99 during swaps vs steady", "≤ 2×", swap_p99_ratio(results), fmt_ratio, _at_most(2.0)),
        ("RSS per loaded handler", "≤ 256 KiB",
         per_handler_bytes(results), fmt_bytes, _at_most(256 * 1024)),
        ("RSS per idle connection vs nginx", "≤ 2×", conn_ratio, fmt_ratio, _at_most(2.0)),
    ]
    return [(figure, target, fmt(value), None if value is None else meets(_as_shown(value, fmt)))
            for figure, target, value, fmt, meets in rows]


def _as_shown(value, fmt):
    """A ratio rounded as the table shows it (2 decimals), so that the verdict matches the
    figure a reader sees (0.996 shows as 1.00×, which meets ≥ 1.0×)."""
    return round(value, 2) if fmt is fmt_ratio else value


def _verdict(meets):
    return {True: "yes", False: "**no**", None: "n/a"}[meets]


def targets_table(results):
    lines = ["| figure | target | measured (from medians) | meets |", "|---|---|---|---|"]
    lines += [f"| {figure} | {target} | {measured} | {_verdict(meets)} |"
              for figure, target, measured, meets in
              target_rows(results) + services_report.target_rows(results)]
    return lines


# -- one section per benchmark ------------------------------------------------------------------

def _us(seconds):
    return f"{seconds * 1e6:.0f}" if seconds >= 100e-6 else f"{seconds * 1e6:.1f}"


def _us2(seconds):
    return f"{seconds * 1e6:.2f}"


def load_section(title, section):
    if not section:
        return [f"## {title}", "", "Not run.", ""]
    lines = [f"## {title}", "",
             f"`wrk -t1 -c50 -d{section['duration_s']}s --latency "
             f"http://127.0.0.1:PORT{section['path']}`, {section['rounds']} interleaved round(s); "
             "min / **median** / max over rounds.", "",
             "| server | response bytes | req/s | p50 (µs) | p99 (µs) | CPU per request (µs) "
             "| non-2xx + socket errors |", "|---|---|---|---|---|---|---|"]
    for name in section["servers"]:
        runs = section["runs"][name]
        failures = sum(r.non_2xx + r.socket_errors for r in runs)
        lines.append(
            f"| {name} | {section['bytes'][name]} "
            f"| {fmt_summary(summarize([r.rps for r in runs]), fmt_count)} "
            f"| {fmt_summary(summarize([r.p50_s for r in runs]), _us)} "
            f"| {fmt_summary(summarize([r.p99_s for r in runs]), _us)} "
            f"| {fmt_summary(summarize([r.cpu_per_request_s for r in runs]), _us2)} "
            f"| {failures} |")
    lines += ["", "| Edgegate vs | req/s ratio (≥ 1 is better) | CPU per request ratio "
              "(≤ 1 is better) | p99 ratio (≤ 1 is better) |", "|---|---|---|---|"]
    for peer in section["servers"]:
        if peer != EDGEGATE:
            lines.append(f"| {peer} | {fmt_ratio(load_ratio(section, peer, 'rps'))} "
                         f"| {fmt_ratio(load_ratio(section, peer, 'cpu_per_request_s'))} "
                         f"| {fmt_ratio(load_ratio(section, peer, 'p99_s'))} |")
    return lines + [""]


def micro_section(results):
    lines = ["## 3. Dispatch path (Google Benchmark, bench/micro)", ""]
    data = results.get("micro", {})
    if not data:
        return lines + ["Not run.", ""]
    if "note" in data:
        return lines + [data["note"], ""]
    lines += ["CPU time per operation; min / **median** / max over repetitions.", "",
              "| benchmark | ns/op |", "|---|---|"]
    lines += [f"| {name} | {fmt_summary(summary, lambda v: f'{v:.1f}')} |"
              for name, summary in data.get("benchmarks", {}).items()]
    lines += [f"| {error} | error |" for error in data.get("errors", [])]
    return lines + [""]


def deploy_section(results):
    lines = ["## 4. Deploy latency (POST .../deploy → first 200 of the new version)", ""]
    data = results.get("deploy")
    if not data:
        return lines + ["Not run.", ""]
    lines += ["| case | samples | min / **median** / max | answered `cached: true` |",
              "|---|---|---|---|"]
    for label, sample in data.items():
        summary = summarize(sample["seconds"])
        lines.append(f"| {label} | {summary.n} | {fmt_summary(summary, fmt_time)} "
                     f"| {sum(sample['cached'])} of {len(sample['cached'])} |")
    return lines + [""]


def swap_section(results):
    lines = ["## 5. Hot swap under load", ""]
    swap = results.get("swap")
    if not swap:
        return lines + ["Not run.", ""]
    runs = swap["rounds"]

    def both(fmt, value):  # "min / median / max" of value(round, phase) for steady, during
        return " | ".join(fmt_summary(summarize([value(r, phase) for r in runs]), fmt)
                          for phase in ("steady", "during"))

    calls = summarize([s for r in runs for s in r["deploy_call_s"]])
    errors = {}
    for r in runs:
        for k, v in r["during"].socket_errors.items():
            errors[k] = errors.get(k, 0) + v
    error_list = ", ".join(f"{k} {v}" for k, v in errors.items())
    lines += [
        f"{len(runs)} round(s), each: wrk -t1 -c50 -d{swap['duration_s']}s on one hello route, "
        f"first without swaps (steady), then while {swap['swaps']} deploys alternate between two "
        f"built versions (A = v{swap['versions']['A']}, B = v{swap['versions']['B']}). "
        "Figures are min / **median** / max over rounds; counts are totals.", "",
        "| figure | steady | during swaps |", "|---|---|---|",
        f"| req/s | {both(fmt_count, lambda r, p: r[p].rps)} |",
        f"| p50 | {both(fmt_time, lambda r, p: r[p].p50_s)} |",
        f"| p99 | {both(fmt_time, lambda r, p: r[p].p99_s)} |",
        f"| gateway CPU per request (admin work included) "
        f"| {both(fmt_time, lambda r, p: r['cpu_per_request_s'][p])} |",
        f"| non-2xx | {sum(r['steady'].non_2xx for r in runs)} "
        f"| {sum(r['during'].non_2xx for r in runs)} |",
        f"| socket errors | {sum(r['steady'].errors for r in runs)} "
        f"| {sum(r['during'].errors for r in runs)} ({error_list}) |",
        f"| swaps (active version changed) | 0 | {swap['swaps'] * len(runs)} "
        f"({sum(r['cached'] for r in runs)} answered `cached: true`) |",
        f"| admin time per swap (PUT code + deploy), min / **median** / max | | "
        f"{fmt_summary(calls, fmt_time)} |", ""]
    return lines


def memory_section(results):
    lines = ["## 6. Memory (VmRSS)", ""]
    mem = results.get("memory")
    if not mem:
        return lines + ["Not run.", ""]
    handlers = mem["handlers"]
    lines += ["| figure | before | after | per unit |", "|---|---|---|---|",
              f"| Edgegate idle (fresh start, nothing deployed) | "
              f"| {fmt_bytes(handlers['idle'])} | |",
              f"| Edgegate, {handlers['handlers']} distinct handlers loaded and called once "
              f"| {fmt_bytes(handlers['before'])} | {fmt_bytes(handlers['after'])} "
              f"| {fmt_bytes(per_handler_bytes(results))} per handler |"]
    for name, conns in mem["connections"].items():
        lines.append(f"| {name}, {conns['count']:,} idle keep-alive connections "
                     f"| {fmt_bytes(conns['before'])} | {fmt_bytes(conns['after'])} "
                     f"| {fmt_bytes(per_connection_bytes(results, name))} per connection |")
    return lines + [""]


HOW_MEASURED = """## How measured

- Everything runs on 127.0.0.1. Servers start on free ports in a temporary directory and are
  stopped at the end. With 2+ cores every server is pinned to CPU 0 and wrk to CPU 1 (`taskset`).
- Peers: Edgegate `--threads 1` serving `examples/handlers/hello.cpp` and
  `bench/load/handlers/json_params.cpp`, deployed through the admin API; nginx with one worker
  and `master_process off` (`return 200 "hello world"`); nginx + Lua (`content_by_lua_block`,
  the hello body built from the path capture like the handler does; JSON built by hand with
  escaping, since Debian's module ships without lua-cjson); Node.js `http`
  (`bench/load/node_server.js`). Every answer carries a Content-Length; sizes are in the tables.
- Load (1, 2): `wrk -t1 -c50 --latency`, keep-alive; rounds interleaved across servers, after an
  unrecorded warm-up run each. CPU per request = (utime + stime of the server process, all
  threads, from `/proc/PID/stat`) / requests wrk counted. Ratios are Edgegate's median over the
  peer's median.
- Micro (3): the `dispatch_bench` binary with `--benchmark_repetitions` and
  `--benchmark_enable_random_interleaving`; CPU time per iteration.
- Deploy (4): clock from sending `POST /api/endpoints/{id}/deploy` until the data plane (polled on
  an open keep-alive connection) first answers 200 with the new version's body. Source upload and
  endpoint creation happen before. "cached (earlier version)": the endpoint's source is set back
  to one it already built, so the deploy reuses that version (`cached: true`) and swaps to it.
  "cached (new endpoint)": a new endpoint whose source an earlier endpoint built, served from the
  content-addressed build cache.
- Hot swap (5): versions A and B are both built before the measured runs (no compiler competes
  with the loop for the CPU); each swap is PUT code + deploy, paced evenly over the run. Every
  swap therefore reuses an existing version (`cached: true`), and is still a real swap of the
  active version, with the old one drained. Failures = wrk's non-2xx responses + socket errors,
  over all rounds. The p99 ratio is the median p99 during swaps over the median steady p99 (3
  rounds of a steady run and a swap run): one steady run's p99 ranged 1.2-10 ms here.
- Memory (6): VmRSS from `/proc/PID/status`, each figure on a fresh server. Per handler: one
  warm-up handler first, then N distinct variants of hello (one endpoint each, deployed 2 at a
  time, each called once). Per connection: N connections opened by the script in batches, each
  served one request and left idle; nginx with `worker_connections` N + 1024.
- Figures are reported, never asserted: a missed target is marked **no** (ratios are judged as
  shown, to 2 decimals) and the run still exits 0.
- On a shared VM req/s and p99 vary by tens of percent between rounds; CPU per request and the
  ratios within one run are the steadier figures. A load average above 0.5 at the start means
  another job shared the CPUs.
"""


def render(results, meta):
    """The whole RESULTS.md text."""
    lines = ["# Edgegate benchmark results", "",
             "Written by `bench/load/run.py` (`make bench`); see bench/README.md.", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += ["", "## Targets (issues 3 and 5)", ""] + targets_table(results) + [""]
    lines += load_section("1. HTTP hello world vs peers", results.get("hello"))
    lines += load_section("2. JSON + path and query params", results.get("json"))
    lines += micro_section(results)
    lines += deploy_section(results)
    lines += swap_section(results)
    lines += memory_section(results)
    lines += services_report.section(results)
    return "\n".join(lines) + "\n" + HOW_MEASURED + services_report.HOW_MEASURED
