"""The real backend servers of scripts/backends/up.sh, for end-to-end tests of service actors.

Stdlib only (run with /usr/bin/python3). `make test` starts the servers before ctest and exports
EDGEGATE_BACKENDS_ENV (the env.json they are described in); by hand: `make backends-up`.

    env = backends.load()                   # the whole env.json
    pg = backends.server("postgres")        # {"host", "port", "user", "password", ...}
    backends.smtp_messages()                # captured mails, oldest first
    backends.stop("redis"); backends.start("redis")   # fault tests (same port if still free)

A test that needs a server it does not find should skip (`unittest.SkipTest` via
`require(...)`), so the suite still runs where the servers are not up. stop()/start() change
shared servers: tests using them must not run in parallel with other users of that server.
"""

import json
import os
import pathlib
import subprocess
import time
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts/backends"
SCRIPT_TIMEOUT_S = 120


def env_path():
    """Path of env.json: $EDGEGATE_BACKENDS_ENV, else <repo>/build/backends/env.json."""
    return pathlib.Path(os.environ.get("EDGEGATE_BACKENDS_ENV")
                        or REPO / "build/backends/env.json")


def load():
    """env.json as a dict ({"version", "state_dir", "data_root", "servers": {name: {...}}}).

    Raises FileNotFoundError if the servers were never started.
    """
    return json.loads(env_path().read_text())


def server(name):
    """The description of server `name` (e.g. "postgres"); KeyError if it is not running."""
    return load()["servers"][name]


def required():
    """True under `make test` (EDGEGATE_REQUIRE_BACKENDS=1): a missing server fails the test."""
    return os.environ.get("EDGEGATE_REQUIRE_BACKENDS") == "1"


def require(*names):
    """Unless every server in `names` is described in env.json: fails the test under
    `make test` (see required()), else raises unittest.SkipTest."""
    def missing_servers(why):
        if required():
            raise AssertionError(f"{why} (make test starts them with scripts/backends/up.sh)")
        raise unittest.SkipTest(f"{why}: run `make backends-up`")
    try:
        running = load()["servers"]
    except FileNotFoundError:
        missing_servers(f"no {env_path()}")
    missing = [n for n in names if n not in running]
    if missing:
        missing_servers(f"backend servers not running: {', '.join(missing)}")


def smtp_messages(since=0.0):
    """Captured mails, oldest first: dicts {"from", "to", "raw", "auth_user", "received_at"}.

    `since` (a time.time() value) skips messages captured before it; each dict also has "path".
    """
    folder = pathlib.Path(server("smtp")["capture_dir"])
    messages = []
    for path in sorted(folder.glob("*.json")):
        if path.stat().st_mtime < since:
            continue
        message = json.loads(path.read_text())
        message["path"] = str(path)
        messages.append(message)
    return messages


def wait_smtp_messages(count, since=0.0, timeout_s=10.0):
    """Waits (bounded) until at least `count` messages since `since` exist; returns them."""
    deadline = time.monotonic() + timeout_s
    while True:
        messages = smtp_messages(since)
        if len(messages) >= count or time.monotonic() >= deadline:
            return messages
        time.sleep(0.05)


def clear_smtp_messages():
    """Deletes every captured mail."""
    for path in pathlib.Path(server("smtp")["capture_dir"]).glob("*.json"):
        path.unlink(missing_ok=True)


def _run(script, names):
    env = dict(os.environ)
    # The scripts find the state directory from EDGEGATE_BACKENDS_DIR: point them at the one
    # that holds the env.json this module reads.
    if "EDGEGATE_BACKENDS_DIR" not in env and env_path().exists():
        env["EDGEGATE_BACKENDS_DIR"] = load()["state_dir"]
    result = subprocess.run(["bash", str(SCRIPTS / script), *names], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=SCRIPT_TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(names)} failed:\n{result.stdout}")
    return result.stdout


def stop(*names):
    """Stops the servers `names` (down.sh NAMES); env.json no longer lists them."""
    _run("down.sh", names)


def start(*names):
    """Starts the servers `names` (up.sh NAMES), on their previous ports when still free, with
    fresh data; returns their new descriptions (ports may differ: use these, not old ones)."""
    _run("up.sh", names)
    return {name: server(name) for name in names}


def restart(*names):
    """stop() then start(); returns the new descriptions."""
    stop(*names)
    return start(*names)
