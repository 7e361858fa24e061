"""Persistence and shutdown: after `kill -9` a restart on the same data directory serves exactly
the versions that were active, without recompiling; SIGTERM lets an in-flight request finish and
exits 0.
"""

import pathlib
import socket
import time
import unittest

from harness import Gateway, fill_route, raw_request, text_handler, unique

SERVE_AFTER_RESTART_TIMEOUT_S = 10

SLOW_HANDLER = (
    "#include <edgegate/sdk.hpp>\n"
    "#include <chrono>\n"
    "#include <thread>\n"
    "using namespace edgegate;\n"
    "\n"
    "Response handle(Context&, const Request&) {\n"
    "  std::this_thread::sleep_for(std::chrono::milliseconds(1500));\n"
    "  return Response::text(200, \"slow done\");\n"
    "}\n"
    "EDGEGATE_HANDLER(handle)\n"
)


def libraries(data_dir):
    """{path: (inode, size, mtime_ns)} of every shared library under `data_dir`."""
    return {str(p): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
            for p in pathlib.Path(data_dir).rglob("*.so*") if p.is_file()}


class KillAndRestartTest(unittest.TestCase):

    def snapshot(self, gw, endpoint_ids):
        """What must survive a restart: status, active version and the version list."""
        state = {}
        for endpoint_id in endpoint_ids:
            endpoint = gw.endpoint(endpoint_id)
            versions = sorted((v["version"], v["hash"]) for v in gw.versions(endpoint_id))
            state[endpoint_id] = (endpoint["status"], endpoint["active_version"], versions)
        return state

    def test_a_restart_after_kill_9_serves_the_same_versions_without_recompiling(self):
        with Gateway() as gw:
            hello = gw.deploy_example("hello")
            hello_path = fill_route(hello["path"], name="again")
            # Active version "one", newest compiled version "two": the active one must come back.
            marker = gw.create_and_deploy(unique("marker"), "/marker", text_handler("one"))
            gw.admin_ok("PUT", f"/api/endpoints/{marker['id']}/code",
                        json={"code": text_handler("two")})
            gw.admin_ok("POST", f"/api/endpoints/{marker['id']}/compile")
            stopped = gw.create_and_deploy(unique("stopped"), "/stopped", text_handler("off"))
            gw.admin_ok("POST", f"/api/endpoints/{stopped['id']}/stop")

            ids = [hello["id"], marker["id"], stopped["id"]]
            before = self.snapshot(gw, ids)
            libraries_before = libraries(gw.data_dir)
            self.assertEqual(gw.call("GET", hello_path).body, b"hello again")
            self.assertEqual(gw.call("GET", "/marker").body, b"one")

            gw.kill9()
            gw.start()

            reply = gw.wait_for(lambda: ok_or_none(gw.call("GET", hello_path)),
                                SERVE_AFTER_RESTART_TIMEOUT_S, "hello to answer after restart")
            self.assertEqual(reply.body, b"hello again")
            self.assertEqual(gw.call("GET", "/marker").body, b"one")
            self.assertEqual(gw.call("GET", "/stopped").status, 404)
            self.assertEqual(self.snapshot(gw, ids), before)
            for active in (hello, marker):
                states = {v["version"]: v["state"] for v in gw.versions(active["id"])}
                self.assertEqual(states[active["active_version"]], "active", states)
            libraries_after = libraries(gw.data_dir)
            for path in libraries_before.keys() & libraries_after.keys():
                self.assertEqual(libraries_after[path], libraries_before[path],
                                 f"{path} was rewritten by the restart")


class GracefulStopTest(unittest.TestCase):

    def test_sigterm_lets_an_in_flight_request_finish_and_exits_0(self):
        with Gateway() as gw:
            gw.create_and_deploy(unique("fast"), "/fast", text_handler("fast"))
            gw.create_and_deploy(unique("slow"), "/slow", SLOW_HANDLER)
            with gw.connect(timeout=30) as client:
                # One answered request first: the connection is accepted and being served.
                client.send(raw_request("GET", "/fast"))
                self.assertEqual(client.read_response().body, b"fast")
                client.send(raw_request("GET", "/slow"))
                time.sleep(0.3)  # the gateway reads the request and enters the 1.5 s handler
                gw.terminate()
                response = client.read_response(timeout=30)
            self.assertEqual((response.status, response.body), (200, b"slow done"))
            self.assertEqual(gw.wait_exit(), 0)
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", gw.port), timeout=2).close()

            # A clean stop keeps everything too.
            gw.start()
            self.assertEqual(gw.call("GET", "/fast").body, b"fast")
            self.assertEqual(gw.stop(), 0)

    def test_sigterm_on_an_idle_gateway_exits_0(self):
        with Gateway() as gw:
            self.assertEqual(gw.stop(), 0)


def ok_or_none(reply):
    return reply if reply.status == 200 else None


if __name__ == "__main__":
    unittest.main()
