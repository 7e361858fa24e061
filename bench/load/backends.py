"""The real Redis and PostgreSQL servers of benchmark 7, and their own benchmark clients.

The servers come from scripts/backends/up.sh (the ones the integration tests use), with a state
directory of the benchmark's own (EDGEGATE_BACKENDS_DIR under its temporary directory), so a
developer's `make backends-up` servers are never touched. stop() runs down.sh; it is safe to
call at any point, also while up.sh still runs. With 2+ cores the servers' processes are pinned
to the server CPU like every other server here, and the clients (redis-benchmark, pgbench) to
the load CPU like wrk. Every wait is bounded.
"""

import csv
import io
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

from procs import LOAD_CPU, SERVER_CPU, BenchError, pinned, pinning_enabled

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts/backends"
NAMES = ("redis", "postgres")
UP_TIMEOUT_S = 150      # up.sh: a cluster initdb on a loaded 2-core VM, and the apt check
DOWN_TIMEOUT_S = 60     # down.sh: SIGKILL after 10 s per server
CLIENT_EXTRA_S = 30     # beyond a client run's expected duration, before it counts as hung
PGBENCH_SCALE = 1       # 100,000 rows in pgbench_accounts (the handler's key range)
PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")


def pgbench_binary():
    """PostgreSQL 15's own pgbench (the server's version), else any pgbench on the PATH."""
    own = PG_BIN / "pgbench"
    return str(own) if os.access(own, os.X_OK) else shutil.which("pgbench")


def missing_tools():
    """The client tools benchmark 7 needs that are not installed."""
    missing = [t for t in ("redis-benchmark", "redis-cli") if not shutil.which(t)]
    return missing + ([] if pgbench_binary() else ["pgbench"])


class Backends:
    """Redis and PostgreSQL from up.sh in `<workdir>/backends`, output in `backends.log`."""

    def __init__(self, workdir):
        self.state_dir = pathlib.Path(workdir) / "backends"
        self.log_path = pathlib.Path(workdir) / "backends.log"
        self.up = None  # the up.sh process while it runs
        # up.sh keeps the servers' data under the state directory only if the unprivileged
        # `postgres` user can reach it (else under /tmp): open the way (mkdtemp makes 0700).
        os.chmod(workdir, 0o755)
        self.state_dir.mkdir(mode=0o755, exist_ok=True)

    def _env(self):
        return dict(os.environ, EDGEGATE_BACKENDS_DIR=str(self.state_dir))

    def start(self):
        """Starts up.sh in the background; wait() waits for it."""
        with open(self.log_path, "ab") as log:
            self.up = subprocess.Popen(["bash", str(SCRIPTS / "up.sh"), *NAMES], env=self._env(),
                                       stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)

    def wait(self):
        """Waits (bounded) for up.sh; returns env.json's servers. BenchError if it failed."""
        try:
            code = self.up.wait(timeout=UP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._kill_up()
            raise BenchError(f"scripts/backends/up.sh did not finish in {UP_TIMEOUT_S}s"
                             f"\n{self.log_tail()}")
        self.up = None
        if code != 0:
            raise BenchError(f"scripts/backends/up.sh {' '.join(NAMES)} failed ({code})"
                             f"\n{self.log_tail()}")
        return self.servers()

    def servers(self):
        return json.loads((self.state_dir / "env.json").read_text())["servers"]

    def stop(self):
        """Stops up.sh if it still runs, then every server it started (down.sh)."""
        self._kill_up()
        with open(self.log_path, "ab") as log:
            try:
                subprocess.run(["bash", str(SCRIPTS / "down.sh"), *NAMES], env=self._env(),
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               timeout=DOWN_TIMEOUT_S, check=False)
            except subprocess.TimeoutExpired:
                print(f"warning: down.sh did not finish in {DOWN_TIMEOUT_S}s; see "
                      f"{self.log_path}", flush=True)
        self._stop_unrecorded_postgres()

    def _stop_unrecorded_postgres(self):
        """A postmaster that up.sh started but never recorded (pg_ctl gave up waiting for it)
        is invisible to down.sh: stop it by the pid in its data directory, if that process
        still runs on that directory."""
        data = self.state_dir / "postgres/data"
        try:
            pid = int((data / "postmaster.pid").read_text().split()[0])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(data).encode() not in f.read():
                    return
        except (OSError, ValueError, IndexError):
            return
        for sig in (signal.SIGINT, signal.SIGKILL):  # SIGINT: PostgreSQL's fast shutdown
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
                time.sleep(0.1)

    def _kill_up(self):
        if self.up is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):  # its group: bash and what it runs now
            if self.up.poll() is not None:
                break
            try:
                os.killpg(self.up.pid, sig)
                self.up.wait(timeout=10)
            except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
                pass
        self.up = None

    def log_tail(self, lines=30):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(text.splitlines()[-lines:])


# -- pinning -------------------------------------------------------------------------------------

def _children(pid):
    """Pids whose parent is `pid` (PostgreSQL's background processes and backends)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def pin_to_server_cpu(servers):
    """Pins every process (all threads) of the servers to the server CPU; backends forked later
    by the postmaster inherit it. No-op on machines with fewer than 2 CPUs."""
    if not pinning_enabled():
        return
    pids = []
    for info in servers.values():
        for pid in info.get("pids", []):
            pids += [pid, *_children(pid)]
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", str(SERVER_CPU), str(pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10,
                       check=False)


# -- the backends' own clients -------------------------------------------------------------------

def _run(cmd, timeout_s, env=None, what=None):
    """Runs a client to completion (bounded); its stdout. BenchError on failure."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what or cmd[0]} did not finish within {timeout_s}s")
    if done.returncode != 0:
        raise BenchError(f"{what or ' '.join(cmd)} exited with {done.returncode}:\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def _redis_env(redis):
    return dict(os.environ, REDISCLI_AUTH=redis["password"])


def redis_set(redis, key, value):
    """SET key value through redis-cli."""
    _run(["redis-cli", "-h", redis["host"], "-p", str(redis["port"]), "SET", key, value], 20,
         env=_redis_env(redis))


def redis_benchmark(redis, requests, connections):
    """`redis-benchmark -t get` (key `key:__rand_int__`, no -r: one key) on the load CPU;
    returns {"rps", "p50_s", "p99_s"} from its --csv line."""
    cmd = pinned(["redis-benchmark", "-h", redis["host"], "-p", str(redis["port"]),
                  "-a", redis["password"], "-t", "get", "-c", str(connections),
                  "-n", str(requests), "--csv"], LOAD_CPU)
    out = _run(cmd, 60 + CLIENT_EXTRA_S, what="redis-benchmark")
    for row in csv.DictReader(io.StringIO(out)):
        if row.get("test") == "GET":
            return {"rps": float(row["rps"]), "p50_s": float(row["p50_latency_ms"]) / 1e3,
                    "p99_s": float(row["p99_latency_ms"]) / 1e3}
    raise BenchError(f"redis-benchmark printed no GET line:\n{out[-2000:]}")


def _pg_env(pg):
    # Plain TCP, as the gateway's service in benchmark 7c (the test server also speaks TLS).
    return dict(os.environ, PGPASSWORD=pg["password"], PGSSLMODE="disable")


def _pg_target(pg):
    return ["-h", pg["host"], "-p", str(pg["port"]), "-U", pg["user"]]


def pgbench_init(pg):
    """pgbench -i at PGBENCH_SCALE in the service's database (data generated server-side)."""
    _run([pgbench_binary(), "-i", "-q", "-s", str(PGBENCH_SCALE), "-I", "dtGvp",
          *_pg_target(pg), pg["database"]], 120, env=_pg_env(pg), what="pgbench -i")


def pgbench(pg, duration_s, connections):
    """`pgbench -S -M extended` (select-only, the protocol the gateway's libpq calls use) on the
    load CPU for `duration_s`; returns {"tps", "latency_s"}."""
    cmd = pinned([pgbench_binary(), "-S", "-n", "-M", "extended", "-c", str(connections),
                  "-j", "1", "-T", str(duration_s), *_pg_target(pg), pg["database"]], LOAD_CPU)
    out = _run(cmd, duration_s + CLIENT_EXTRA_S, env=_pg_env(pg), what="pgbench -S")
    tps = re.search(r"^tps = ([\d.]+)", out, re.MULTILINE)
    latency = re.search(r"^latency average = ([\d.]+) ms", out, re.MULTILINE)
    if not tps:
        raise BenchError(f"pgbench printed no tps line:\n{out[-2000:]}")
    return {"tps": float(tps[1]), "latency_s": float(latency[1]) / 1e3 if latency else None}
