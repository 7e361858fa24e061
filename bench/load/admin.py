"""A client for Edgegate's admin API (JSON envelope, bearer key), as the benchmarks use it.

Any answer other than the expected success raises BenchError: the benchmarks only call the API
to set up what they measure.
"""

import http.client
import json

from procs import BenchError

ADMIN_TIMEOUT_S = 180  # a compile on a loaded 2-core machine can be slow


class AdminClient:
    """Calls one gateway's admin API on a keep-alive connection. Not thread-safe: give each
    thread its own copy()."""

    def __init__(self, port, key, process=None):
        self.port, self.key, self.process = port, key, process
        self.conn = None

    def copy(self):
        """A client of its own, for another thread."""
        return AdminClient(self.port, self.key, self.process)

    def call(self, method, path, body=None, expect=(200, 201), auth=True):
        """Sends one request; returns the envelope's `data`. BenchError unless the status is in
        `expect`."""
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.key}"
        payload = None if body is None else json.dumps(body)
        try:
            status, text = self._send(method, path, payload, headers)
        except (OSError, http.client.HTTPException) as e:
            raise BenchError(f"admin {method} {path}: {e!r}{self._tail()}") from e
        if status not in expect:
            raise BenchError(f"admin {method} {path} answered {status}: {text[:2000]}"
                             f"{self._tail()}")
        return json.loads(text).get("data") if text else None

    def _send(self, method, path, payload, headers):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=ADMIN_TIMEOUT_S)
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, text

    def _tail(self):
        return f"\n{self.process.log_tail()}" if self.process is not None else ""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def healthy(self):
        try:
            self.call("GET", "/api/health", auth=False, expect=(200,))
            return True
        except BenchError:
            return False

    def create_endpoint(self, name, method, path, code):
        """Creates an endpoint with its source; returns its id."""
        data = self.call("POST", "/api/endpoints",
                         {"name": name, "method": method, "path": path, "code": code})
        return data["id"]

    def put_code(self, endpoint_id, code):
        self.call("PUT", f"/api/endpoints/{endpoint_id}/code", {"code": code})

    def deploy(self, endpoint_id):
        """Compile + start; returns the answer (`version`, `cached`, `previous_version`, ...)."""
        data = self.call("POST", f"/api/endpoints/{endpoint_id}/deploy")
        if data.get("status") != "running":
            raise BenchError(f"deploy of {endpoint_id} answered {data}")
        return data
