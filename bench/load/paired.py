"""Paired latency: two paths of one server, request by request on one keep-alive connection.

Why: at one request in flight the latency of a request on these VMs moves by 2x between runs
of a few seconds (how fast an idle vCPU wakes up), so the difference of two paths measured in
separate wrk runs is mostly that drift. Here the two paths alternate on one connection (the
order within a pair swapped every other pair), and the figure is the median over pairs of the
difference: drift slower than one pair cancels out.
"""

import dataclasses
import os
import socket
import statistics
import time

import httpc
from procs import LOAD_CPU, BenchError, pinning_enabled

IO_TIMEOUT_S = 10


@dataclasses.dataclass
class PairedRun:
    pairs: int
    first_p50_s: float   # median latency of the first path's requests
    second_p50_s: float  # ... and of the second path's
    diff_p50_s: float    # median over pairs of (second - first)


def _exchange(sock, request, size):
    """Sends `request` and reads a `size`-byte response starting "HTTP/1.1 200"; its latency in
    ns. BenchError otherwise."""
    started = time.perf_counter_ns()
    sock.sendall(request)
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(65536)
        if not chunk:
            raise BenchError("the server closed the connection during a paired run")
        buf += chunk
    elapsed = time.perf_counter_ns() - started
    if len(buf) != size or not buf.startswith(b"HTTP/1.1 200"):
        raise BenchError(f"unexpected response in a paired run: {buf[:200]!r}")
    return elapsed


def run(port, first, second, sizes, duration_s, max_pairs=1_000_000):
    """Alternates GET `first` and GET `second` on 127.0.0.1:`port` for about `duration_s`, from
    the load CPU; a PairedRun. `sizes` maps each path to the byte length of its whole response
    (a 200), which every answer must have."""
    requests = {path: httpc.request_bytes(path) for path in (first, second)}
    saved = os.sched_getaffinity(0)
    if pinning_enabled():
        os.sched_setaffinity(0, {LOAD_CPU})
    try:
        latencies = {first: [], second: []}
        with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            deadline = time.monotonic() + duration_s
            pair = 0
            while pair < max_pairs and time.monotonic() < deadline:
                order = (first, second) if pair % 2 == 0 else (second, first)
                for path in order:
                    latencies[path].append(_exchange(sock, requests[path], sizes[path]))
                pair += 1
    finally:
        os.sched_setaffinity(0, saved)
    a, b = latencies[first], latencies[second]
    if not a:
        raise BenchError("a paired run completed no pair")
    return PairedRun(pairs=len(a), first_p50_s=statistics.median(a) / 1e9,
                     second_p50_s=statistics.median(b) / 1e9,
                     diff_p50_s=statistics.median(y - x for x, y in zip(a, b)) / 1e9)
