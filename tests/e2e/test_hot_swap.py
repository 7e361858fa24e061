"""Hot swap under load: 20 deploys of new versions while 4 keep-alive clients send requests
non-stop. No request may fail, every answer comes from a deployed version, a request sent after
a deploy returned is answered by that version or a newer one, and replaced versions end up
unloaded.
"""

import http.client
import re
import threading
import time
import unittest

from harness import GatewayTestCase, text_handler, unique

CLIENTS = 4
SWAPS = 20
PROGRESS_TIMEOUT_S = 30  # for every client to finish a request sent after a swap
UNLOAD_TIMEOUT_S = 30
ANSWER = re.compile(rb"v(\d+)")


class Client(threading.Thread):
    """Sends GET `path` in a loop on one keep-alive connection until `stop` is set.

    Records (monotonic send time, version answered) per success, and a description per failure
    (an exception, a non-200 status or an unexpected body); reconnects after a failure.
    """

    def __init__(self, port, path, stop):
        super().__init__(daemon=True)
        self.port, self.path, self.stop = port, path, stop
        self.answers = []
        self.failures = []

    def run(self):
        conn = None
        while not self.stop.is_set():
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            sent = time.monotonic()
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as e:
                self.failures.append(f"{e!r}")
                conn.close()
                conn = None
                continue
            match = ANSWER.fullmatch(body)
            if response.status != 200 or not match:
                self.failures.append(f"{response.status} {body[:200]!r}")
            else:
                self.answers.append((sent, int(match.group(1))))
            if response.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


class HotSwapTest(GatewayTestCase):

    def test_swapping_versions_under_load_drops_no_request(self):
        endpoint = self.gw.create_and_deploy(unique("swap"), "/swap", text_handler("v1"))
        endpoint_id = endpoint["id"]
        swapped_at = {1: time.monotonic()}  # label → when its deploy call returned
        stop = threading.Event()
        clients = [Client(self.gw.port, "/swap", stop) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        try:
            self.wait_for_progress(clients)
            previous = endpoint["active_version"]
            for label in range(2, SWAPS + 2):
                self.gw.admin_ok("PUT", f"/api/endpoints/{endpoint_id}/code",
                                 json={"code": text_handler(f"v{label}")})
                deployed = self.gw.deploy(endpoint_id)
                swapped_at[label] = time.monotonic()
                self.assertEqual((deployed["status"], deployed["previous_version"]),
                                 ("running", previous))
                previous = deployed["version"]
                self.wait_for_progress(clients)
        finally:
            stop.set()
            for client in clients:
                client.join(30)

        failures = [f for client in clients for f in client.failures]
        self.assertEqual(failures[:10], [], f"{len(failures)} failed requests")
        answers = sorted(a for client in clients for a in client.answers)
        self.assertGreaterEqual(len(answers), CLIENTS * (SWAPS + 1))
        self.assert_no_stale_answers(answers, swapped_at)
        self.assert_replaced_versions_unload(endpoint_id, active=previous)

    def wait_for_progress(self, clients):
        """Waits until every client has completed a request sent after this call began."""
        floor = [len(client.answers) + len(client.failures) + 2 for client in clients]
        self.gw.wait_for(
            lambda: all(len(c.answers) + len(c.failures) >= n for c, n in zip(clients, floor)),
            PROGRESS_TIMEOUT_S, "every client to complete two more requests")

    def assert_no_stale_answers(self, answers, swapped_at):
        """A request sent after the deploy of label L returned must be answered by L or newer."""
        deployed = sorted(swapped_at.items(), key=lambda item: item[1])
        stale = []
        for sent, label in answers:
            newest = max((lbl for lbl, at in deployed if at < sent), default=1)
            if label < newest or label not in swapped_at:
                stale.append((round(sent, 4), f"v{label}", f"want >= v{newest}"))
        self.assertEqual(stale[:10], [], f"{len(stale)} stale answers")

    def assert_replaced_versions_unload(self, endpoint_id, active):
        def settled():
            versions = self.gw.versions(endpoint_id)
            states = {v["version"]: v["state"] for v in versions}
            others = [s for number, s in states.items() if number != active]
            return versions if states.get(active) == "active" and set(others) == {"unloaded"} \
                else None

        versions = self.gw.wait_for(settled, UNLOAD_TIMEOUT_S,
                                    f"all versions but {active} to be unloaded")
        for version in versions:
            self.assertEqual(version["in_flight"], 0, version)


if __name__ == "__main__":
    unittest.main()
