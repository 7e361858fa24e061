"""Benchmark 6: resident memory (VmRSS) of Edgegate idle, per loaded handler, and per idle
keep-alive connection side by side with nginx.

Each figure gets a fresh server, so memory one test freed cannot be reused by the next one and
hide its cost. Per-handler and per-connection figures are (RSS after - RSS before) / count.
"""

import concurrent.futures
import time

import idle_conns
from procs import BenchError
from servers import HELLO_BODY, HELLO_PATH, EdgegateServer, NginxServer, hello_body, hello_source

SETTLE_S = 1.0
DEPLOY_WORKERS = 2  # the gateway's default --max-builds


def _start_gateway(workdir, binary, sdk_dir, dirname, stack):
    gateway = EdgegateServer(workdir, binary, sdk_dir, dirname=dirname)
    stack.callback(gateway.stop)
    return gateway.start(cpu=None)


def _deploy_hello(gateway):
    gateway.create_and_deploy("bench_hello", "GET", "/hello/{name}", hello_source())
    gateway.check(HELLO_PATH, HELLO_BODY)


def _deploy_variant(gateway, i):
    """Deploys handler variant `i` on its own endpoint (own admin connection) and calls it once,
    so its code has run."""
    admin = gateway.admin.copy()
    try:
        endpoint_id = admin.create_endpoint(f"bench_mem{i}", "GET", f"/mem{i}/{{name}}",
                                            hello_source(f"m{i}"))
        admin.deploy(endpoint_id)
    finally:
        admin.close()
    gateway.check(f"/mem{i}/world", hello_body(f"m{i}"))


def idle_and_per_handler(workdir, binary, sdk_dir, handlers, stack, log):
    """RSS of a fresh gateway, and RSS per loaded handler over `handlers` distinct handlers
    (after one warm-up handler, so one-time costs of the first deploy are not counted)."""
    gateway = _start_gateway(workdir, binary, sdk_dir, "edgegate-mem-handlers", stack)
    time.sleep(SETTLE_S)
    idle = gateway.process.rss_bytes()
    _deploy_hello(gateway)
    time.sleep(SETTLE_S)
    before = gateway.process.rss_bytes()
    pool = concurrent.futures.ThreadPoolExecutor(DEPLOY_WORKERS)
    try:
        for future in [pool.submit(_deploy_variant, gateway, i) for i in range(handlers)]:
            future.result()
    finally:  # on a failure, deploys not yet started are dropped
        pool.shutdown(wait=True, cancel_futures=True)
    time.sleep(SETTLE_S)
    after = gateway.process.rss_bytes()
    gateway.stop()
    log(f"  Edgegate idle {idle / 1024:.0f} KiB; {handlers} handlers: {before / 1024:.0f} → "
        f"{after / 1024:.0f} KiB")
    return {"idle": idle, "handlers": handlers, "before": before, "after": after}


def per_connection(server, count, timeout_s, log):
    """(RSS before, RSS with `count` idle keep-alive connections open) of `server`."""
    before = server.process.rss_bytes()
    socks = idle_conns.open_idle(server.port, count, HELLO_PATH, timeout_s)
    try:
        time.sleep(SETTLE_S)
        if not server.process.alive():
            raise BenchError(f"{server.name} exited with {count} connections open")
        after = server.process.rss_bytes()
    finally:
        idle_conns.close_all(socks)
    log(f"  {server.name}: {count} idle connections: {before / 1024:.0f} → {after / 1024:.0f} KiB")
    return {"count": count, "before": before, "after": after}


def connections_side_by_side(workdir, binary, sdk_dir, count, timeout_s, stack, log):
    """{server name: per_connection(...)} for a fresh gateway and a fresh nginx."""
    gateway = _start_gateway(workdir, binary, sdk_dir, "edgegate-mem-conns", stack)
    _deploy_hello(gateway)
    results = {"Edgegate": per_connection(gateway, count, timeout_s, log)}
    gateway.stop()
    nginx = NginxServer(workdir, worker_connections=count + 1024, dirname="nginx-mem-conns")
    stack.callback(nginx.stop)
    nginx.start(cpu=None)
    nginx.check(HELLO_PATH, HELLO_BODY)
    results["nginx"] = per_connection(nginx, count, timeout_s, log)
    nginx.stop()
    return results


def check_fd_limit(count, limit):
    """BenchError unless `count` connections fit in the open-file limit (with some headroom)."""
    if count + 256 > limit:
        raise BenchError(f"{count} idle connections need an open-file limit above {count + 256}; "
                         f"the hard limit is {limit} (lower --connections)")

