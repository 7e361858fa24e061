"""Small HTTP/1.1 client pieces for the benchmarks (127.0.0.1 only, every call with a timeout)."""

import http.client
import socket
import time

REQUEST_TIMEOUT_S = 10


def request_bytes(path):
    """A minimal keep-alive GET for `path`, as wrk sends it."""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode("ascii")


def response_length(buf):
    """The byte length of the complete response at the start of `buf` (Content-Length framed),
    or None while it is incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = 0
    for line in buf[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    total = end + 4 + length
    return total if len(buf) >= total else None


def get(port, path, timeout_s=REQUEST_TIMEOUT_S):
    """GET `path` on a fresh connection; returns (status, body bytes). OSError on failure."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    except http.client.HTTPException as e:
        raise OSError(f"GET {path} on port {port}: {e!r}") from e
    finally:
        conn.close()


def accepts(port):
    """True if something accepts TCP connections on 127.0.0.1:`port`."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def raw_response(port, path, timeout_s=REQUEST_TIMEOUT_S):
    """The whole response to one GET `path`, headers included, as bytes (for its size)."""
    deadline = time.monotonic() + timeout_s
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        s.sendall(request_bytes(path))
        buf = b""
        while response_length(buf) is None:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                raise OSError(f"port {port} closed before a whole response to {path}")
            buf += chunk
        return buf[:response_length(buf)]


class KeepAliveClient:
    """One keep-alive connection that GETs paths and reconnects after a failure."""

    def __init__(self, port, timeout_s=REQUEST_TIMEOUT_S):
        self.port, self.timeout_s = port, timeout_s
        self.conn = None

    def get(self, path):
        """(status, body); (None, b"") if the request failed (the next call reconnects)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            body = response.read()
            if response.will_close:
                self.close()
            return response.status, body
        except (OSError, http.client.HTTPException):
            self.close()
            return None, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
