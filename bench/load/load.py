"""Benchmarks 1 and 2: throughput, latency and CPU per request under wrk, against peers.

For each server and round: wrk -t1 -c50 --latency on one URL (keep-alive), and the server's
user + system CPU time over the run (/proc/PID/stat, all threads) divided by the requests wrk
counted. Rounds are interleaved (A B C D, A B C D, ...) so that a noisy neighbour or a frequency
change hits every server alike; each server first gets one short unrecorded warm-up run.
"""

import dataclasses

import httpc
import wrk
from procs import CLK_TCK, BenchError


@dataclasses.dataclass
class LoadRun:
    rps: float
    p50_s: float
    p99_s: float
    cpu_per_request_s: float
    requests: int
    non_2xx: int
    socket_errors: int


def measure(server, path, duration_s, connections=wrk.CONNECTIONS):
    """One wrk run against `server`; its LoadRun. BenchError if the server died meanwhile."""
    before = server.process.cpu_ticks()
    result = wrk.run(f"http://127.0.0.1:{server.port}{path}", duration_s, connections)
    if not server.process.alive():
        raise BenchError(f"{server.name} exited during a load run\n{server.process.log_tail()}")
    cpu_s = (server.process.cpu_ticks() - before) / CLK_TCK
    return LoadRun(rps=result.rps, p50_s=result.p50_s, p99_s=result.p99_s,
                   cpu_per_request_s=cpu_s / max(result.requests, 1), requests=result.requests,
                   non_2xx=result.non_2xx, socket_errors=result.errors)


def interleaved_rounds(servers, path, rounds, duration_s, warmup_s, log):
    """Runs `rounds` interleaved rounds; returns {server name: [LoadRun per round]}."""
    for server in servers:
        wrk.run(f"http://127.0.0.1:{server.port}{path}", warmup_s)
    runs = {server.name: [] for server in servers}
    for round_no in range(1, rounds + 1):
        for server in servers:
            run = measure(server, path, duration_s)
            runs[server.name].append(run)
            log(f"  round {round_no}/{rounds} {server.name:<10} {run.rps:>9,.0f} req/s  "
                f"p99 {run.p99_s * 1e6:>7.0f} µs  CPU {run.cpu_per_request_s * 1e6:5.2f} µs/req"
                f"{'  non-2xx ' + str(run.non_2xx) if run.non_2xx else ''}"
                f"{'  socket errors ' + str(run.socket_errors) if run.socket_errors else ''}")
    return runs


def response_sizes(servers, path):
    """{server name: bytes of one whole response (status line, headers, body)}."""
    sizes = {}
    for server in servers:
        try:
            sizes[server.name] = len(httpc.raw_response(server.port, path))
        except OSError as e:
            raise BenchError(f"{server.name}: GET {path}: {e}")
    return sizes


def benchmark(servers, path, expect, rounds, duration_s, warmup_s, log):
    """Checks every server's answer to `path`, then measures them; a dict for the report."""
    for server in servers:
        server.check(path, expect)
    return {"path": path, "servers": [s.name for s in servers], "rounds": rounds,
            "duration_s": duration_s, "bytes": response_sizes(servers, path),
            "runs": interleaved_rounds(servers, path, rounds, duration_s, warmup_s, log)}
