"""Benchmarks 4 and 5: deploy latency, and hot swaps under load.

Deploy latency is the time from sending `POST /api/endpoints/{id}/deploy` to the first 200 of
the new version on the data plane (polled on a keep-alive connection opened beforehand; each
version answers a distinct body). Uploading the source (PUT .../code) and creating an endpoint
happen before the clock starts.
"""

import json
import time

import httpc
import wrk
from procs import CLK_TCK, BenchError
from servers import hello_body, hello_source, json_body, json_source

FIRST_RESPONSE_TIMEOUT_S = 30
POLL_INTERVAL_S = 0.0005


def _matches(body, expect):
    if isinstance(expect, dict):
        try:
            return json.loads(body) == expect
        except ValueError:
            return False
    return body == expect


def timed_deploy(gateway, endpoint_id, path, expect):
    """Deploys `endpoint_id`; returns (seconds to the first 200 answering `expect` on `path`,
    the deploy answer)."""
    client = httpc.KeepAliveClient(gateway.port)
    try:
        client.get(path)  # connect (and learn the route snapshot) before the clock starts
        start = time.perf_counter()
        answer = gateway.admin.deploy(endpoint_id)
        deadline = time.monotonic() + FIRST_RESPONSE_TIMEOUT_S
        while time.monotonic() < deadline:
            status, body = client.get(path)
            if status == 200 and _matches(body, expect):
                return time.perf_counter() - start, answer
            time.sleep(POLL_INTERVAL_S)
    finally:
        client.close()
    raise BenchError(f"deploy of {endpoint_id}: {path} did not answer {expect!r} within "
                     f"{FIRST_RESPONSE_TIMEOUT_S}s\n{gateway.process.log_tail()}")


def _sample(samples, label, seconds, answer, log):
    samples.setdefault(label, {"seconds": [], "cached": []})
    samples[label]["seconds"].append(seconds)
    samples[label]["cached"].append(bool(answer.get("cached")))
    log(f"  {label:<34} {seconds * 1e3:8.1f} ms  version {answer.get('version')}"
        f"  cached {answer.get('cached')}")


def deploy_latency(gateway, count, log):
    """{label: {"seconds": [...], "cached": [...]}} for the four deploy cases, `count` each."""
    samples = {}
    admin = gateway.admin
    hello_id, _ = gateway.create_and_deploy("bench_deploy_hello", "GET", "/deploy/{name}",
                                            hello_source("d0"))  # warm-up, not measured
    for i in range(1, count + 1):
        admin.put_code(hello_id, hello_source(f"d{i}"))
        _sample(samples, "hello, cold (new source)",
                *timed_deploy(gateway, hello_id, "/deploy/world", hello_body(f"d{i}")), log)
    for i in range(count):  # an earlier version's source: the endpoint swaps back to it
        admin.put_code(hello_id, hello_source(f"d{i}"))
        _sample(samples, "hello, cached (earlier version)",
                *timed_deploy(gateway, hello_id, "/deploy/world", hello_body(f"d{i}")), log)
    for i in range(count):  # a new endpoint whose source was built before: build-cache hit
        new_id = admin.create_endpoint(f"bench_deploy_copy{i}", "GET", f"/copy{i}/{{name}}",
                                       hello_source("d0"))
        _sample(samples, "hello, cached (new endpoint)",
                *timed_deploy(gateway, new_id, f"/copy{i}/world", hello_body("d0")), log)
    json_id, _ = gateway.create_and_deploy("bench_deploy_json", "GET", "/deploy-json/items/{id}",
                                           json_source("j0"))  # warm-up, not measured
    for i in range(1, count + 1):
        admin.put_code(json_id, json_source(f"j{i}"))
        _sample(samples, "JSON handler, cold (new source)",
                *timed_deploy(gateway, json_id, "/deploy-json/items/42?q=hello",
                              json_body(f"j{i}")), log)
    return samples


# -- hot swap under load ------------------------------------------------------------------------

def _prepare_swap_endpoint(gateway):
    """An endpoint with versions A and B both built, A active; returns (id, {tag: version})."""
    admin = gateway.admin
    endpoint_id, answer_a = gateway.create_and_deploy("bench_swap", "GET", "/swap/{name}",
                                                      hello_source("A"))
    admin.put_code(endpoint_id, hello_source("B"))
    answer_b = admin.deploy(endpoint_id)
    admin.put_code(endpoint_id, hello_source("A"))
    admin.deploy(endpoint_id)
    gateway.check("/swap/world", hello_body("A"))
    return endpoint_id, {"A": answer_a["version"], "B": answer_b["version"]}


def _swap_loop(gateway, endpoint_id, versions, swaps, lead_s, window_s, start):
    """`swaps` deploys alternating B, A, B, ..., evenly spread over `window_s` after `lead_s`.
    Returns (admin call time of each (PUT code + deploy), how many answered cached: true)."""
    call_s, cached = [], 0
    for i in range(swaps):
        tag = "B" if i % 2 == 0 else "A"
        time.sleep(max(0.0, start + lead_s + i * window_s / swaps - time.monotonic()))
        t0 = time.perf_counter()
        gateway.admin.put_code(endpoint_id, hello_source(tag))
        answer = gateway.admin.deploy(endpoint_id)
        call_s.append(time.perf_counter() - t0)
        cached += bool(answer.get("cached"))
        if answer.get("version") != versions[tag]:
            raise BenchError(f"swap {i + 1}: deploy of {tag} activated {answer}, expected "
                             f"version {versions[tag]}")
    return call_s, cached


def _cpu_per_request(gateway, ticks_before, result):
    return (gateway.process.cpu_ticks() - ticks_before) / CLK_TCK / max(result.requests, 1)


def _swap_round(gateway, url, endpoint_id, versions, duration_s, swaps, log):
    """One steady run, then one run with `swaps` swaps. `swaps` is even, so A is active again
    at the end and every round starts alike."""
    ticks = gateway.process.cpu_ticks()
    steady = wrk.run(url, duration_s)
    steady_cpu = _cpu_per_request(gateway, ticks, steady)
    lead_s = min(0.5, duration_s * 0.1)
    ticks = gateway.process.cpu_ticks()
    popen = wrk.start(url, duration_s)
    try:
        call_s, cached = _swap_loop(gateway, endpoint_id, versions, swaps, lead_s,
                                    duration_s - 2 * lead_s, time.monotonic())
        during = wrk.finish(popen, duration_s)
    finally:
        wrk.stop(popen)
    during_cpu = _cpu_per_request(gateway, ticks, during)
    log(f"  steady p99 {steady.p99_s * 1e6:.0f} µs; swaps: {during.rps:,.0f} req/s, "
        f"p99 {during.p99_s * 1e6:.0f} µs, non-2xx {during.non_2xx}, "
        f"socket errors {during.errors}")
    return {"steady": steady, "during": during, "deploy_call_s": call_s, "cached": cached,
            "cpu_per_request_s": {"steady": steady_cpu, "during": during_cpu}}


def hot_swap(gateway, duration_s, swaps, rounds, log):
    """`rounds` times: wrk on the swap route for `duration_s` without swaps (steady), then again
    while `swaps` deploys alternate between two built versions. p99 on this VM moves a lot
    between runs of the same server, so the figures are medians over rounds of steady/swap
    pairs, like the other load figures. A dict for the report."""
    endpoint_id, versions = _prepare_swap_endpoint(gateway)
    url = f"http://127.0.0.1:{gateway.port}/swap/world"
    swaps += swaps % 2
    runs = []
    for i in range(rounds):
        log(f"  round {i + 1}/{rounds}")
        runs.append(_swap_round(gateway, url, endpoint_id, versions, duration_s, swaps, log))
    return {"swaps": swaps, "duration_s": duration_s, "versions": versions, "rounds": runs}
