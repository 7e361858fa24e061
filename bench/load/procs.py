"""Processes the load benchmarks start, and what /proc says about them.

Every server runs in its own process group (so stopping it also stops anything it forked), dies
with the benchmark (PR_SET_PDEATHSIG), inherits the raised open-file limit, and is pinned to the
server CPU with `taskset` on machines with two or more cores (wrk goes to the other one). Every
wait here has a deadline.
"""

import ctypes
import os
import resource
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CPU = 0
LOAD_CPU = 1
STOP_TIMEOUT_S = 15
LOG_TAIL_LINES = 40
PR_SET_PDEATHSIG = 1


class BenchError(Exception):
    """A server did not start, or a request failed during setup: the run cannot go on."""


def pinning_enabled():
    """True when CPUs 0 and 1 are both available to this process (servers on 0, wrk on 1)."""
    return {SERVER_CPU, LOAD_CPU} <= os.sched_getaffinity(0)


def pinned(cmd, cpu):
    """`cmd` run on `cpu` through taskset (which execs it: the pid stays the command's)."""
    if cpu is None or not pinning_enabled():
        return list(cmd)
    return ["taskset", "-c", str(cpu), *cmd]


def raise_nofile_limit():
    """Raises this process's open-file soft limit to the hard limit; returns the new limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_setup():
    """In the child, before exec: die with the benchmark, and get the full open-file limit."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_ticks(pid):
    """utime + stime of process `pid` (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3 of the man page): utime and stime are fields 14 and 15.
    return int(fields[11]) + int(fields[12])


def rss_bytes(pid):
    """Resident set size (VmRSS) of process `pid`, in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise BenchError(f"no VmRSS for pid {pid}")


def wait_until(predicate, timeout_s, what, process=None, interval_s=0.05):
    """Polls `predicate` until it is true; raises BenchError after `timeout_s` or if `process`
    exits meanwhile."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise BenchError(f"{process.name} exited with {process.returncode()} while waiting "
                             f"for {what}\n{process.log_tail()}")
        if predicate():
            return
        time.sleep(interval_s)
    tail = f"\n{process.log_tail()}" if process is not None else ""
    raise BenchError(f"timed out after {timeout_s}s waiting for {what}{tail}")


class Process:
    """One server process in its own process group, its output in `<log_dir>/<name>.log`."""

    def __init__(self, name, cmd, log_dir, env=None, cpu=SERVER_CPU):
        self.name = name
        self.cmd = pinned(cmd, cpu)
        self.env = env
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.popen = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env, start_new_session=True, preexec_fn=_child_setup)
        return self

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def returncode(self):
        return None if self.popen is None else self.popen.poll()

    def cpu_ticks(self):
        return cpu_ticks(self.pid)

    def rss_bytes(self):
        return rss_bytes(self.pid)

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return f"({self.name}: no log)"
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(lines[-LOG_TAIL_LINES:])

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM to the process group, then SIGKILL if it is still there after `timeout_s`."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass
        self._signal_group(signal.SIGKILL)  # also reaps stragglers the leader left in its group
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            pass

    def _signal_group(self, sig):
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
