"""Operations through the real binary: endpoint logs (GET /api/endpoints/{id}/logs, paging,
validation, auth and scope, the live SSE tail, lifecycle and compile entries), the access log
(--access-log / EDGEGATE_ACCESS_LOG), GET /metrics (parsed by prometheus_client's text parser,
Debian's python3-prometheus-client) and the `edgegate logs` command.

Every wait is bounded: SSE reads have a socket timeout, polls use Gateway.wait_for.
"""

import http.client
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import BIN, Gateway, GatewayTestCase, text_handler, unique

SSE_TIMEOUT_S = 20
CLI_TIMEOUT_S = 60

LOGGING_HANDLER = """#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context& ctx, const Request& req) {
  std::string msg(req.query_param("msg").value_or("none"));
  ctx.log(LogLevel::kInfo, "got " + msg);
  ctx.log(LogLevel::kWarn, "warned " + msg);
  int status = std::stoi(std::string(req.query_param("status").value_or("200")));
  return Response::text(status, std::string(req.request_id()));
}
EDGEGATE_HANDLER(handle)
"""


class SseClient:
    """A Server-Sent Events reader over http.client (chunked bodies are de-chunked by it)."""

    def __init__(self, port, path, key, headers=None, timeout=SSE_TIMEOUT_S):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        all_headers = {"Accept": "text/event-stream", **(headers or {})}
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        self.conn.request("GET", path, headers=all_headers)
        self.response = self.conn.getresponse()

    def next_event(self):
        """The next event with data or a type, as a dict; None when the stream ends."""
        event = {}
        while True:
            line = self.response.readline()
            if not line:
                return None
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if "data" in event or "event" in event:
                    return event
                event = {}
                continue
            if line.startswith(":"):
                event.setdefault("comments", 0)
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data" and "data" in event:
                value = event["data"] + "\n" + value
            event[field] = value

    def next_entry(self, predicate):
        """Reads events until one whose JSON data satisfies `predicate`; returns (event, entry)."""
        while True:
            event = self.next_event()
            if event is None:
                raise AssertionError("the log stream ended before the entry arrived")
            if "data" in event and event.get("event") != "deleted":
                entry = json.loads(event["data"])
                if predicate(entry):
                    return event, entry

    def close(self):
        self.response.close()  # the response holds the socket open too
        self.conn.close()


class OpsTestCase(GatewayTestCase):
    """Helpers shared by the operations tests."""

    def logs(self, endpoint_id, query="", key=None, status=200):
        kwargs = {} if key is None else {"key": key}
        path = f"/api/endpoints/{endpoint_id}/logs{query}"
        if status != 200:
            return self.gw.admin_error("GET", path, status=status, **kwargs)
        return self.gw.admin_ok("GET", path, **kwargs)

    def all_entries(self, endpoint_id):
        return self.logs(endpoint_id, "?since=0&limit=1000")["entries"]

    def key_with(self, *scopes):
        data = self.gw.admin_ok("POST", "/api/keys", json={"label": unique("ops"),
                                                           "scopes": list(scopes)}, status=201)
        return data["key"]


class EndpointLogsTest(OpsTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.name = unique("logs")
        cls.path = f"/{cls.name}"
        cls.endpoint = cls.gw.create_and_deploy(cls.name, cls.path, LOGGING_HANDLER)
        cls.id = cls.endpoint["id"]

    def call(self, msg, status=200):
        reply = self.gw.call("GET", f"{self.path}?msg={msg}&status={status}")
        self.assertEqual(reply.status, status, reply.body)
        return reply.body.decode()  # the request id

    def test_handler_lines_carry_request_id_version_and_level(self):
        msg = uuid.uuid4().hex[:8]
        request_id = self.call(msg)
        entries = [e for e in self.all_entries(self.id) if e["source"] == "handler"
                   and msg in e["message"]]
        self.assertEqual([e["message"] for e in entries], [f"got {msg}", f"warned {msg}"])
        self.assertEqual([e["level"] for e in entries], ["info", "warn"])
        for e in entries:
            self.assertEqual(e["request_id"], request_id)
            self.assertEqual(e["version"], 1)
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(entries[1]["seq"], entries[0]["seq"] + 1)

    def test_deploy_left_lifecycle_and_compile_entries(self):
        entries = self.all_entries(self.id)
        messages = [(e["source"], e["message"]) for e in entries]
        self.assertIn(("lifecycle", f"endpoint created: GET {self.path}"), messages)
        self.assertTrue(any(s == "compile" and m.startswith("compiled version 1")
                            for s, m in messages), messages)
        self.assertIn(("lifecycle", "started version 1"), messages)

    def test_since_and_limit_page_oldest_first(self):
        for i in range(3):
            self.call(f"page{i}")
        everything = self.all_entries(self.id)
        seqs = [e["seq"] for e in everything]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(set(seqs)), len(seqs))
        middle = seqs[len(seqs) // 2]
        page = self.logs(self.id, f"?since={middle}&limit=2")
        self.assertEqual([e["seq"] for e in page["entries"]], [s for s in seqs if s > middle][:2])
        self.assertEqual(page["next_since"], page["entries"][-1]["seq"])
        self.assertFalse(page["reset"])
        latest = self.logs(self.id, "?limit=2")  # no since: the newest entries
        self.assertEqual([e["seq"] for e in latest["entries"]], seqs[-2:])
        after_last = self.logs(self.id, f"?since={seqs[-1]}")
        self.assertEqual(after_last["entries"], [])
        self.assertEqual(after_last["next_since"], seqs[-1])

    def test_bad_query_values_are_400_naming_the_field(self):
        for query, field in [("?limit=0", "limit"), ("?limit=1001", "limit"),
                             ("?limit=ten", "limit"), ("?since=-1", "since"),
                             ("?since=x", "since"), ("?follow=maybe", "follow")]:
            with self.subTest(query=query):
                self.assert_field_error(self.logs(self.id, query, status=400), field)
        self.assertEqual(len(self.logs(self.id, "?limit=1000&since=0")["entries"]) > 0, True)

    def test_unknown_endpoint_is_404(self):
        self.logs(str(uuid.uuid4()), status=404)
        self.logs(str(uuid.uuid4()), "?follow=1", status=404)

    def test_logs_need_a_key_with_endpoints_read(self):
        reply = self.gw.admin("GET", f"/api/endpoints/{self.id}/logs", key=None)
        self.assertEqual(reply.status, 401)
        self.logs(self.id, key=self.key_with("domains:read"), status=403)
        self.assertIn("entries", self.logs(self.id, key=self.key_with("endpoints:read")))

    def test_follow_streams_a_new_line_live(self):
        since = self.logs(self.id, "?limit=1")["next_since"]
        tail = SseClient(self.gw.admin_port, f"/api/endpoints/{self.id}/logs?follow=1&since={since}",
                         self.gw.admin_key)
        try:
            self.assertEqual(tail.response.status, 200)
            self.assertEqual(tail.response.getheader("Content-Type"), "text/event-stream")
            self.assertEqual(tail.response.getheader("Cache-Control"), "no-cache")
            msg = f"live{uuid.uuid4().hex[:6]}"
            request_id = self.call(msg)  # after the stream is open: the entry arrives live
            event, entry = tail.next_entry(lambda e: e["message"] == f"got {msg}")
            self.assertEqual(int(event["id"]), entry["seq"])
            self.assertGreater(entry["seq"], since)
            self.assertEqual(entry["request_id"], request_id)
            _, second = tail.next_entry(lambda e: e["message"] == f"warned {msg}")
            self.assertEqual(second["seq"], entry["seq"] + 1)
        finally:
            tail.close()

    def test_follow_resumes_after_last_event_id(self):
        self.call("resume")
        seqs = [e["seq"] for e in self.all_entries(self.id)]
        tail = SseClient(self.gw.admin_port, f"/api/endpoints/{self.id}/logs?follow=1",
                         self.gw.admin_key, headers={"Last-Event-ID": str(seqs[-3])})
        try:
            event = tail.next_event()
            self.assertEqual(int(event["id"]), seqs[-2])
        finally:
            tail.close()

    def test_a_closed_tail_does_not_linger(self):
        for _ in range(3):
            tail = SseClient(self.gw.admin_port, f"/api/endpoints/{self.id}/logs?follow=1",
                             self.gw.admin_key)
            tail.next_event()
            tail.close()
        self.gw.wait_for(lambda: open_admin_connections(self.gw) <= 1, 10,
                         "closed tails to be noticed")

    def test_redeploy_logs_swap_drain_and_unload(self):
        name = unique("swap")
        endpoint = self.gw.create_and_deploy(name, f"/{name}", text_handler("one"))
        self.gw.admin_ok("PUT", f"/api/endpoints/{endpoint['id']}/code",
                         json={"code": text_handler("two")})
        self.gw.deploy(endpoint["id"])
        self.gw.wait_for(
            lambda: "version 1 drained and unloaded" in
            [e["message"] for e in self.all_entries(endpoint["id"])], 15, "the unload entry")
        messages = [e["message"] for e in self.all_entries(endpoint["id"])]
        started, swapped, draining, unloaded = [messages.index(m) for m in (
            "started version 1", "swapped to version 2 (version 1 draining)",
            "version 1 draining (0 request(s) in flight)", "version 1 drained and unloaded")]
        # The registry logs the drain as it swaps; the service logs the swap once it returned.
        self.assertLess(started, min(swapped, draining))
        self.assertLess(draining, unloaded)
        self.gw.admin_ok("POST", f"/api/endpoints/{endpoint['id']}/stop")
        self.assertIn("stopped", [e["message"] for e in self.all_entries(endpoint["id"])])

    def test_compile_failure_is_logged_with_its_diagnostics(self):
        name = unique("broken")
        endpoint = self.gw.create_endpoint(name, f"/{name}", code=text_handler("x").replace(
            "return", "retrun"))
        self.gw.admin_error("POST", f"/api/endpoints/{endpoint['id']}/deploy", status=422)
        compile_entries = [e for e in self.all_entries(endpoint["id"]) if e["source"] == "compile"]
        self.assertTrue(compile_entries)
        self.assertEqual(compile_entries[0]["level"], "error")
        self.assertTrue(compile_entries[0]["message"].startswith("compilation failed"))
        self.assertTrue(any("handler.cpp:" in e["message"] and e["level"] == "error"
                            for e in compile_entries[1:]), compile_entries)

    def test_deleting_an_endpoint_drops_its_log_and_ends_its_tails(self):
        name = unique("gone")
        endpoint = self.gw.create_endpoint(name, f"/{name}", code=text_handler("x"))
        tail = SseClient(self.gw.admin_port, f"/api/endpoints/{endpoint['id']}/logs?follow=1",
                         self.gw.admin_key)
        try:
            tail.next_entry(lambda e: e["message"].startswith("endpoint created"))
            self.gw.admin_ok("DELETE", f"/api/endpoints/{endpoint['id']}")
            events = []
            while (event := tail.next_event()) is not None:
                events.append(event)
            self.assertEqual(events[-1].get("event"), "deleted", events)
            self.assertIn("endpoint deleted", [json.loads(e["data"]).get("message")
                                               for e in events if e.get("event") != "deleted"])
        finally:
            tail.close()
        self.logs(endpoint["id"], status=404)


def open_admin_connections(gw):
    """edgegate_open_connections{listener="admin"} from /metrics (this request included)."""
    text = gw.admin("GET", "/metrics", key=None).data.decode()
    for line in text.splitlines():
        if line.startswith('edgegate_open_connections{listener="admin"}'):
            return float(line.split()[-1])
    raise AssertionError("no admin connection gauge in /metrics")


class ShutdownWithOpenTailTest(unittest.TestCase):

    def test_sigterm_ends_open_tails_without_waiting_for_the_grace_period(self):
        with Gateway(args=["--shutdown-grace", "30"]) as gw:
            endpoint = gw.create_endpoint(unique("tail"), "/tail", code=text_handler("x"))
            tails = [SseClient(gw.admin_port, f"/api/endpoints/{endpoint['id']}/logs?follow=1",
                               gw.admin_key) for _ in range(2)]
            for tail in tails:
                tail.next_event()
            started = time.monotonic()
            self.assertEqual(gw.stop(timeout=20), 0)
            self.assertLess(time.monotonic() - started, 10, "SIGTERM waited on the tails")
            for tail in tails:
                while tail.next_event() is not None:  # ends (last chunk), does not hang
                    pass
                tail.close()


class AccessLogTest(unittest.TestCase):

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="edgegate-access-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    @staticmethod
    def json_lines(text):
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def test_flag_writes_one_json_line_per_request_to_a_file(self):
        path = self.tmp / "access.log"
        with Gateway(args=["--access-log", str(path)]) as gw:
            name = unique("acc")
            endpoint = gw.create_and_deploy(name, f"/{name}/{{id}}", text_handler("hello"))
            reply = gw.call("GET", f"/{name}/7?secret=token", host="api.example.com")
            self.assertEqual(reply.status, 200)
            self.assertEqual(gw.call("GET", "/no/such/route").status, 404)
            lines = gw.wait_for(lambda: len(self.json_lines(path.read_text())) >= 2 and
                                self.json_lines(path.read_text()), 10, "two access log lines")
        served = next(line for line in lines if line["path"] == f"/{name}/7")
        self.assertEqual(set(served), {"time", "request_id", "client_ip", "method", "host", "path",
                                       "status", "bytes", "duration_us", "endpoint_id",
                                       "version"})
        self.assertEqual(served["status"], 200)
        self.assertEqual(served["method"], "GET")
        self.assertEqual(served["host"], "api.example.com")
        self.assertEqual(served["client_ip"], "127.0.0.1")
        self.assertEqual(served["bytes"], 5)
        self.assertEqual(served["endpoint_id"], endpoint["id"])
        self.assertEqual(served["version"], 1)
        self.assertIsInstance(served["duration_us"], int)
        self.assertRegex(served["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertNotIn("secret", path.read_text(), "the query string is left out by default")
        unrouted = next(line for line in lines if line["path"] == "/no/such/route")
        self.assertEqual((unrouted["status"], unrouted["endpoint_id"], unrouted["version"]),
                         (404, None, None))

    def test_env_var_writes_to_stdout_and_the_log_is_off_by_default(self):
        with Gateway(env={"EDGEGATE_ACCESS_LOG": "-"}) as gw:
            gw.call("GET", "/to/stdout?q=1")
            lines = gw.wait_for(lambda: self.json_lines(gw.stdout_path.read_text()), 10,
                                "an access log line on stdout")
            self.assertEqual(lines[0]["path"], "/to/stdout")
        with Gateway() as gw:
            gw.call("GET", "/not/logged")
            time.sleep(0.5)  # longer than the writer's flush interval
            self.assertEqual(self.json_lines(gw.stdout_path.read_text()), [])


class MetricsTest(OpsTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.name = unique("met")
        cls.path = f"/{cls.name}/{{id}}"
        cls.endpoint = cls.gw.create_and_deploy(cls.name, cls.path, LOGGING_HANDLER)

    def scrape(self, key=None):
        reply = self.gw.admin("GET", "/metrics", key=key)
        self.assertEqual(reply.status, 200, reply.data)
        self.assertEqual(reply.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        return reply.data.decode()

    def samples(self, text):
        """{(sample name, frozenset(labels)): value} via prometheus_client's parser."""
        try:
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError:
            self.fail("python3-prometheus-client is not installed (scripts/install-deps.sh)")
        out = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                out[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return out

    def value(self, samples, name, **labels):
        return samples.get((name, frozenset(labels.items())))

    def test_requests_latency_and_in_flight_per_endpoint_and_version(self):
        for i in range(5):
            self.gw.call("GET", f"/{self.name}/{i}?msg=m")
        for i in range(2):
            self.gw.call("GET", f"/{self.name}/{i}?msg=m&status=404")
        samples = self.samples(self.scrape())  # no key needed by default
        labels = {"endpoint": self.endpoint["id"], "route": f"GET {self.path}", "version": "1"}
        self.assertEqual(self.value(samples, "edgegate_requests_total", **labels, **{"class": "2xx"}),
                         5)
        self.assertEqual(self.value(samples, "edgegate_requests_total", **labels, **{"class": "4xx"}),
                         2)
        self.assertEqual(self.value(samples, "edgegate_requests_total", **labels, **{"class": "5xx"}),
                         0)
        self.assertEqual(self.value(samples, "edgegate_request_duration_seconds_count", **labels), 7)
        self.assertEqual(self.value(samples, "edgegate_request_duration_seconds_bucket", **labels,
                                    le="+Inf"), 7)
        self.assertGreater(self.value(samples, "edgegate_request_duration_seconds_sum", **labels), 0)
        self.assertEqual(self.value(samples, "edgegate_requests_in_flight", **labels), 0)
        raw_paths = [name for name, labels in samples if any("/0" in v for _, v in labels)]
        self.assertEqual(raw_paths, [], "raw request paths must never become labels")

    def test_gateway_compile_and_process_families(self):
        self.gw.call("GET", "/no/route/for/metrics")
        samples = self.samples(self.scrape())
        self.assertGreaterEqual(self.value(samples, "edgegate_compiles_total", result="success"), 1)
        self.assertGreaterEqual(self.value(samples, "edgegate_compile_duration_seconds_count"), 1)
        self.assertGreaterEqual(self.value(samples, "edgegate_handler_versions", state="loaded"), 1)
        self.assertIsNotNone(self.value(samples, "edgegate_handler_versions", state="draining"))
        self.assertGreaterEqual(self.value(samples, "edgegate_endpoints", status="running"), 1)
        self.assertGreaterEqual(self.value(samples, "edgegate_data_plane_not_found_total"), 1)
        self.assertGreaterEqual(self.value(samples, "edgegate_data_plane_requests_total"), 1)
        self.assertGreater(self.value(samples, "edgegate_uptime_seconds"), 0)
        self.assertGreaterEqual(self.value(samples, "edgegate_open_connections", listener="admin"),
                                1)
        self.assertIsNotNone(self.value(samples, "edgegate_open_connections", listener="data"))

    def test_a_deleted_endpoints_series_disappear(self):
        name = unique("metgone")
        endpoint = self.gw.create_and_deploy(name, f"/{name}", text_handler("x"))
        self.gw.call("GET", f"/{name}")
        self.assertIn(endpoint["id"], self.scrape())
        self.gw.admin_ok("DELETE", f"/api/endpoints/{endpoint['id']}")
        self.assertNotIn(endpoint["id"], self.scrape())


class MetricsWithKeyTest(OpsTestCase):
    gateway_args = ("--metrics-require-key",)

    def test_metrics_need_endpoints_read_when_configured(self):
        self.assertEqual(self.gw.admin("GET", "/metrics", key=None).status, 401)
        self.assertEqual(self.gw.admin("GET", "/metrics", key=self.key_with("keys:read")).status,
                         403)
        reply = self.gw.admin("GET", "/metrics", key=self.key_with("endpoints:read"))
        self.assertEqual(reply.status, 200)
        self.assertIn(b"edgegate_uptime_seconds", reply.data)


class LogsCliTest(OpsTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.name = unique("clilogs")
        cls.endpoint = cls.gw.create_and_deploy(cls.name, f"/{cls.name}", LOGGING_HANDLER)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEGATE_")}
        env["EDGEGATE_ADMIN_URL"] = f"http://127.0.0.1:{self.gw.admin_port}"
        env["EDGEGATE_ADMIN_KEY"] = self.gw.admin_key
        return env

    def cli(self, *args):
        return subprocess.run([BIN, *args], env=self.env(), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S)

    def test_plain_and_json_output(self):
        self.gw.call("GET", f"/{self.name}?msg=clitext")
        done = self.cli("logs", self.name)
        self.assertEqual(done.returncode, 0, done.stderr)
        line = next(line for line in done.stdout.splitlines() if line.endswith("got clitext"))
        self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\S+Z INFO  handler   v1 \S+  got clitext$")
        self.assertIn("lifecycle v1  started version 1", done.stdout)
        done = self.cli("logs", self.endpoint["id"], "--json", "--limit", "3")
        self.assertEqual(done.returncode, 0, done.stderr)
        page = json.loads(done.stdout)
        self.assertEqual(len(page["entries"]), 3)
        self.assertEqual(page["next_since"], page["entries"][-1]["seq"])
        self.assertEqual(page["entries"][-1]["message"], "warned clitext")

    def test_errors_exit_1_and_usage_exits_2(self):
        done = self.cli("logs", "no_such_endpoint_name")
        self.assertEqual(done.returncode, 1)
        self.assertIn("no endpoint", done.stderr)
        done = self.cli("logs", self.name, "--limit", "0")
        self.assertEqual(done.returncode, 1)
        self.assertIn("field: limit", done.stderr)
        self.assertEqual(self.cli("logs").returncode, 2)

    def test_follow_prints_new_entries_until_interrupted(self):
        for as_json in (False, True):
            with self.subTest(json=as_json):
                args = [BIN, "logs", self.name, "-f", "--limit", "1"] + (["--json"] if as_json
                                                                          else [])
                proc = subprocess.Popen(args, env=self.env(), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                try:
                    proc.stdout.readline()  # the backlog's newest entry: the tail is open
                    msg = f"follow{uuid.uuid4().hex[:6]}"
                    self.gw.call("GET", f"/{self.name}?msg={msg}")
                    deadline = time.monotonic() + SSE_TIMEOUT_S
                    seen = ""
                    while f"got {msg}" not in seen and time.monotonic() < deadline:
                        seen = proc.stdout.readline()
                    self.assertIn(f"got {msg}", seen)
                    if as_json:
                        self.assertEqual(json.loads(seen)["message"], f"got {msg}")
                    proc.send_signal(signal.SIGINT)
                    self.assertEqual(proc.wait(10), 0, proc.stderr.read())
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                    proc.stdout.close()
                    proc.stderr.close()


if __name__ == "__main__":
    unittest.main()
