"""Runs wrk (pinned to the load CPU) and parses its --latency report."""

import dataclasses
import re
import subprocess

from procs import LOAD_CPU, BenchError, pinned

CONNECTIONS = 50
THREADS = 1
EXTRA_WAIT_S = 30  # beyond the run's duration, before a wrk process counts as hung

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"


@dataclasses.dataclass
class WrkResult:
    requests: int
    rps: float
    p50_s: float
    p99_s: float
    non_2xx: int
    socket_errors: dict  # connect, read, write, timeout -> count

    @property
    def errors(self):
        return sum(self.socket_errors.values())


def command(url, duration_s, connections=CONNECTIONS):
    return pinned(["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{duration_s}s", "--latency",
                   url], LOAD_CPU)


def _seconds(value, unit):
    return float(value) * _UNITS[unit]


def parse(text):
    """WrkResult from wrk's output; BenchError if a figure is missing."""
    def find(pattern):
        match = re.search(pattern, text, re.MULTILINE)
        if not match:
            raise BenchError(f"wrk output lacks /{pattern}/:\n{text}")
        return match
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if match:
        errors = dict(zip(errors, map(int, match.groups())))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return WrkResult(
        requests=int(find(r"^\s*(\d+) requests in")[1]),
        rps=float(find(r"^Requests/sec:\s*([\d.]+)")[1]),
        p50_s=_seconds(*find(rf"^\s*50(?:\.000)?%\s+{_DURATION}").groups()),
        p99_s=_seconds(*find(rf"^\s*99(?:\.000)?%\s+{_DURATION}").groups()),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=errors)


def run(url, duration_s, connections=CONNECTIONS):
    """Runs wrk to completion (`connections` keep-alive connections); returns its WrkResult."""
    return finish(start(url, duration_s, connections), duration_s)


def start(url, duration_s, connections=CONNECTIONS):
    """Starts wrk in the background; pass the result to finish()."""
    return subprocess.Popen(command(url, duration_s, connections), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)


def finish(popen, duration_s):
    """Waits (bounded) for a wrk started by start(); returns its WrkResult."""
    try:
        out, _ = popen.communicate(timeout=duration_s + EXTRA_WAIT_S)
    except subprocess.TimeoutExpired:
        stop(popen)
        raise BenchError(f"wrk did not finish within {duration_s + EXTRA_WAIT_S}s")
    except BaseException:  # interrupted (SIGTERM, Ctrl-C): no wrk may outlive the benchmark
        stop(popen)
        raise
    if popen.returncode != 0:
        raise BenchError(f"wrk exited with {popen.returncode}:\n{out}")
    return parse(out)


def stop(popen):
    """Kills a wrk started by start() if it still runs, and reaps it (bounded)."""
    if popen.poll() is None:
        popen.kill()
    try:
        popen.communicate(timeout=EXTRA_WAIT_S)
    except subprocess.TimeoutExpired:
        pass
