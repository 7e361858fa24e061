"""End-to-end harness: runs the real `edgegate` binary on free loopback ports and speaks HTTP to it.

Stdlib only (run with /usr/bin/python3). A `Gateway` owns one gateway process, its temporary data
directory and its log files; every wait is bounded and every connection goes to 127.0.0.1.

Environment (set by tests/CMakeLists.txt; defaults suit a by-hand run from the source tree):
  EDGEGATE_BIN        the gateway binary (default <repo>/build/src/cli/edgegate)
  EDGEGATE_EXAMPLES   examples/handlers (default <repo>/examples/handlers)
  EDGEGATE_SDK_DIR    passed through to the gateway (other EDGEGATE_* variables are not)
  EDGEGATE_E2E_KEEP   if set, temporary data directories are kept (their paths are printed)
"""

import collections
import ctypes
import http.client
import json as jsonlib
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("EDGEGATE_BIN") or str(REPO / "build/src/cli/edgegate")
EXAMPLES = pathlib.Path(os.environ.get("EDGEGATE_EXAMPLES") or REPO / "examples/handlers")
if "EDGEGATE_SDK_DIR" not in os.environ and (REPO / "build/sdk").is_dir():
    os.environ["EDGEGATE_SDK_DIR"] = str(REPO / "build/sdk")

HEALTH_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
ADMIN_TIMEOUT_S = 180  # a compile can be slow on a loaded 2-core machine
CALL_TIMEOUT_S = 30
LOG_TAIL_LINES = 60
PORT_ATTEMPTS = 3

ROUTE_LINE = re.compile(r"^\s*//\s*route:\s*([A-Za-z]+)\s+(\S+)\s*$")

# The only EDGEGATE_* variables the gateway inherits: the tests assume default settings, whatever
# the caller's shell has exported (the admin key is set per Gateway).
PASSED_THROUGH_ENV = {"EDGEGATE_SDK_DIR", "EDGEGATE_CXX"}

_DEFAULT = object()  # "use the gateway's admin key"

AdminReply = collections.namedtuple("AdminReply", "status headers data")
Reply = collections.namedtuple("Reply", "status headers body")


def handler_source(body_expr, prelude=""):
    """C++ source of a handler answering `Response::text(200, <body_expr>)`.

    `body_expr` is a C++ expression that may use `req`; `prelude` goes after the includes.
    """
    return (
        "#include <edgegate/sdk.hpp>\n"
        f"{prelude}"
        "using namespace edgegate;\n"
        "\n"
        "Response handle(Context& ctx, const Request& req) {\n"
        "  (void)ctx;\n"
        "  (void)req;\n"
        f"  return Response::text(200, {body_expr});\n"
        "}\n"
        "EDGEGATE_HANDLER(handle)\n"
    )


def text_handler(text):
    """C++ source of a handler answering 200 with the fixed text `text` (no quotes/backslashes)."""
    return handler_source(f'"{text}"')


def unique(prefix):
    """A fresh endpoint name: `prefix` plus 8 hex digits."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def read_route(source_path):
    """Returns (METHOD, path) from an example's first line, `// route: METHOD /path`."""
    with open(source_path, encoding="utf-8") as f:
        match = ROUTE_LINE.match(f.readline())
    if not match:
        raise AssertionError(f"{source_path}: first line is not '// route: METHOD /path'")
    return match.group(1).upper(), match.group(2)


def fill_route(path, **values):
    """Replaces `{param}` / `{*rest}` in a route pattern by values (default "x")."""
    return re.sub(r"\{\*?([^}]*)\}", lambda m: str(values.get(m.group(1), "x")), path)


def free_ports(count):
    """Returns `count` distinct TCP ports that were free on 127.0.0.1 a moment ago."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent():
    """In the child: ask the kernel to SIGKILL us if the test process dies (no orphans).

    The signal follows the *thread* that forked: start gateways from the main thread.
    """
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------------------------
# Raw HTTP/1.1 on a socket, for what http.client refuses to send or hides (pipelining, malformed
# requests, interim responses, connection closes).

class RawResponse:
    """One parsed response: status, reason, headers (list of pairs, in order), body bytes."""

    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name, default=None):
        """The first value of header `name` (case-insensitive), or `default`."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    def header_names(self):
        return {key.lower() for key, _ in self.headers}

    def json(self):
        return jsonlib.loads(self.body)

    def __repr__(self):
        return f"<RawResponse {self.status} {self.reason} {self.headers} {self.body[:300]!r}>"


def parse_response(buf, head=False):
    """Parses one response at the start of `buf`.

    Returns (RawResponse, rest) or None if `buf` does not hold a complete response yet. Bodies
    are framed by Content-Length or chunked encoding; 1xx/204/304 and HEAD answers have none; a
    response with neither framing is not complete until the caller knows the connection closed
    (see `parse_final`).
    """
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    version_status = lines[0].split(" ", 2)
    if len(version_status) < 2 or not version_status[0].startswith("HTTP/"):
        raise AssertionError(f"not an HTTP response: {buf[:200]!r}")
    status = int(version_status[1])
    reason = version_status[2] if len(version_status) > 2 else ""
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if line]
    response = RawResponse(status, reason, headers, b"")
    rest = buf[end + 4:]
    if head or status < 200 or status in (204, 304):
        return response, rest
    length = response.header("Content-Length")
    if length is not None:
        length = int(length)
        if len(rest) < length:
            return None
        response.body = rest[:length]
        return response, rest[length:]
    if "chunked" in (response.header("Transfer-Encoding") or "").lower():
        return _parse_chunked(response, rest)
    return None


def _parse_chunked(response, buf):
    body, pos = b"", 0
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(buf[pos:line_end].split(b";")[0], 16)
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n\r\n", pos - 2)
            if trailer_end < 0:
                return None
            response.body = body
            return response, buf[trailer_end + 4:]
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos:pos + size]
        pos += size + 2


class RawClient:
    """One TCP connection to a listener; sends bytes and reads whole responses. Bounded reads."""

    def __init__(self, port, timeout=10.0):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.closed = False  # the peer closed (EOF or reset)

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads once more into the buffer; returns False on EOF, reset or deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.closed:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        return True

    def read_response(self, head=False, timeout=None):
        """Reads the next response (interim 1xx responses included). Fails after `timeout`."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            parsed = parse_response(self.buf, head=head)
            if parsed:
                response, self.buf = parsed
                return response
            if not self._fill(deadline):
                break
        raise AssertionError(f"no complete response (closed={self.closed}); got {self.buf[:500]!r}")

    def read_until_close(self, timeout=None):
        """Reads until the peer closes or `timeout` passes; returns all unread bytes."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline):
            pass
        data, self.buf = self.buf, b""
        return data

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_all(data, head=False):
    """Parses every complete response in `data` (read until close); returns (list, leftover)."""
    responses = []
    while True:
        parsed = parse_response(data, head=head)
        if not parsed:
            return responses, data
        response, data = parsed
        responses.append(response)


def raw_request(method, target, *header_lines, body=b"", host="127.0.0.1"):
    """Request bytes; `header_lines` are "Name: value" strings, sent after Host as given."""
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"
    head += "".join(f"{line}\r\n" for line in header_lines) + "\r\n"
    return head.encode("latin-1") + body


def chunked(*pieces):
    """Encodes byte strings as a chunked body (terminating chunk included)."""
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p) + b"0\r\n\r\n"


# ---------------------------------------------------------------------------------------------

class Gateway:
    """One `edgegate serve` process on two free loopback ports, with its own data directory.

    Use as a context manager (logs are printed when the block raises). `admin_key=None` starts
    without EDGEGATE_ADMIN_KEY, so the gateway writes `<data_dir>/admin.key` and the harness then
    uses that key. Not thread-safe except `call`, `admin` and `raw`, which open their own
    connection per call.
    """

    def __init__(self, args=(), env=None, admin_key=_DEFAULT, threads=2):
        if not os.access(BIN, os.X_OK):
            raise AssertionError(f"no gateway binary at {BIN} (set EDGEGATE_BIN or build first)")
        self.extra_args = list(args)
        self.extra_env = dict(env or {})
        self.env_admin_key = f"test-{secrets.token_hex(16)}" if admin_key is _DEFAULT else admin_key
        self.admin_key = self.env_admin_key
        self.threads = threads
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="edgegate-e2e-"))
        self.data_dir = self.tmp / "data"
        self.stdout_path = self.tmp / "stdout.log"
        self.stderr_path = self.tmp / "stderr.log"
        self.port, self.admin_port = free_ports(2)
        self.proc = None
        self.starts = 0
        self.was_ready = False  # once true, the ports are fixed (restart keeps them)

    # -- process ------------------------------------------------------------------------------

    def command(self):
        return [BIN, "serve",
                "--listen", f"127.0.0.1:{self.port}",
                "--admin-listen", f"127.0.0.1:{self.admin_port}",
                "--data-dir", str(self.data_dir),
                "--threads", str(self.threads), *self.extra_args]

    def start(self):
        """Starts the process and waits until /api/health answers and the data port accepts.

        On the first start only, a gateway that exits because a port was taken meanwhile (the
        free-port probe is racy) is retried on new ports.
        """
        assert self.proc is None or self.proc.poll() is not None, "already running"
        for attempt in range(1, PORT_ATTEMPTS + 1):
            log_offsets = self._launch()
            try:
                self._wait_ready()
                break
            except AssertionError:
                lost_port = self.proc.poll() is not None and "in use" in self._log_since(
                    log_offsets).lower()
                if not (lost_port and not self.was_ready and attempt < PORT_ATTEMPTS):
                    raise
                self.port, self.admin_port = free_ports(2)
        self.was_ready = True
        if self.admin_key is None:
            self.admin_key = self.read_admin_key_file()
        return self

    def _launch(self):
        """Starts the process, logs appended; returns the log sizes before this start."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("EDGEGATE_") or k in PASSED_THROUGH_ENV}
        if self.env_admin_key is not None:
            env["EDGEGATE_ADMIN_KEY"] = self.env_admin_key
        env.update(self.extra_env)
        self.starts += 1
        marker = f"==== start {self.starts}: {' '.join(self.command())}\n".encode()
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            offsets = (out.tell(), err.tell())
            out.write(marker)
            err.write(marker)
            out.flush()
            err.flush()
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env,
                                         preexec_fn=_die_with_parent)
        return offsets

    def _log_since(self, offsets):
        text = ""
        for path, offset in zip((self.stdout_path, self.stderr_path), offsets):
            with open(path, "rb") as f:
                f.seek(offset)
                text += f.read().decode(errors="replace")
        return text

    def _wait_ready(self):
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gateway exited with {self.proc.returncode} during start-up"
                                     f"\n{self.log_tail()}")
            if self._healthy() and self._accepts(self.port):
                return
            time.sleep(0.05)
        self.kill9()
        raise AssertionError(f"gateway not healthy within {HEALTH_TIMEOUT_S}s\n{self.log_tail()}")

    def _healthy(self):
        try:
            return self.admin("GET", "/api/health", key=None, timeout=2).status == 200
        except (OSError, http.client.HTTPException):
            return False

    @staticmethod
    def _accepts(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def read_admin_key_file(self):
        path = self.data_dir / "admin.key"
        if not path.exists():
            raise AssertionError(f"{path} was not written\n{self.log_tail()}")
        return path.read_text().strip()

    def stop(self, timeout=STOP_TIMEOUT_S):
        """Sends SIGTERM and waits up to `timeout` s; returns the exit code (see wait_exit)."""
        self.terminate()
        return self.wait_exit(timeout)

    def terminate(self):
        """Sends SIGTERM if the process is running; does not wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout=STOP_TIMEOUT_S):
        """Waits up to `timeout` s for the process to exit; returns its exit code (None if it was
        never started). A process still running then is killed and the call fails."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError(f"gateway still running after {timeout}s\n{self.log_tail()}")

    def kill9(self):
        """SIGKILL, then reap."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_S)

    def restart(self):
        """Stops the process if running (SIGTERM) and starts it again: same ports and data dir."""
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        return self.start()

    def close(self):
        """Kills the process if still running; removes the temp dir unless EDGEGATE_E2E_KEEP."""
        self.kill9()
        if os.environ.get("EDGEGATE_E2E_KEEP"):
            print(f"kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.print_logs()
        self.close()

    def log_tail(self, lines=LOG_TAIL_LINES):
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                text = ["(none)"]
            parts.append(f"--- {path.name} (last {lines} lines) ---\n" + "\n".join(text))
        return "\n".join(parts)

    def print_logs(self):
        print(f"\n==== gateway logs ({self.tmp}) ====\n{self.log_tail()}", file=sys.stderr)

    # -- admin plane --------------------------------------------------------------------------

    def admin(self, method, path, json=None, body=None, headers=None, key=_DEFAULT,
              timeout=ADMIN_TIMEOUT_S):
        """One admin API request on a fresh connection.

        Returns AdminReply(status, headers, data) where data is the parsed JSON body, or the raw
        bytes if the body is not JSON. `key=None` sends no Authorization header.
        """
        headers = dict(headers or {})
        key = self.admin_key if key is _DEFAULT else key
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        if json is not None:
            body = jsonlib.dumps(json).encode()
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        status, reply_headers, raw = _request(self.admin_port, method, path, body, headers,
                                              timeout)
        try:
            data = jsonlib.loads(raw)
        except ValueError:
            data = raw
        return AdminReply(status, reply_headers, data)

    def admin_ok(self, method, path, json=None, status=200, **kwargs):
        """An admin request that must succeed with `status`; returns the envelope's data."""
        reply = self.admin(method, path, json=json, **kwargs)
        if (reply.status != status or not isinstance(reply.data, dict)
                or reply.data.get("ok") is not True or "data" not in reply.data):
            raise AssertionError(f"{method} {path}: wanted {status} ok, got {reply.status}: "
                                 f"{reply.data!r}")
        return reply.data["data"]

    def admin_error(self, method, path, json=None, status=400, **kwargs):
        """An admin request that must fail with `status` and an error envelope; returns it."""
        reply = self.admin(method, path, json=json, **kwargs)
        data = reply.data
        if (reply.status != status or not isinstance(data, dict) or data.get("ok") is not False
                or not isinstance(data.get("error"), str) or not data["error"]):
            raise AssertionError(f"{method} {path}: wanted {status} error envelope, got "
                                 f"{reply.status}: {data!r}")
        return data

    def create_endpoint(self, name, path, method="GET", code=None, domain=None, **fields):
        """POST /api/endpoints; must answer 201. Returns the endpoint object."""
        body = {"name": name, "path": path, "method": method, **fields}
        if code is not None:
            body["code"] = code
        if domain is not None:
            body["domain"] = domain
        return self.admin_ok("POST", "/api/endpoints", json=body, status=201)

    def deploy(self, endpoint_id):
        """POST /api/endpoints/{id}/deploy; must succeed. Returns the deploy data."""
        return self.admin_ok("POST", f"/api/endpoints/{endpoint_id}/deploy")

    def create_and_deploy(self, name, path, code, method="GET", domain=None, **fields):
        """Creates an endpoint with `code` and deploys it; returns the endpoint as now stored."""
        endpoint = self.create_endpoint(name, path, method, code=code, domain=domain, **fields)
        self.deploy(endpoint["id"])
        return self.endpoint(endpoint["id"])

    def deploy_example(self, stem, name=None, domain=None):
        """Deploys examples/handlers/<stem>.cpp on the route of its first line.

        Returns the endpoint as stored after the deploy (its `path` and `method` are the route).
        """
        source = EXAMPLES / f"{stem}.cpp"
        method, path = read_route(source)
        return self.create_and_deploy(name or unique(stem), path,
                                      source.read_text(encoding="utf-8"), method, domain)

    def endpoint(self, endpoint_id):
        return self.admin_ok("GET", f"/api/endpoints/{endpoint_id}")

    def versions(self, endpoint_id):
        return self.admin_ok("GET", f"/api/endpoints/{endpoint_id}/versions")

    # -- data plane ---------------------------------------------------------------------------

    def call(self, method, path, host=None, body=None, headers=None, timeout=CALL_TIMEOUT_S):
        """One data-plane request on a fresh connection. Returns Reply(status, headers, body)."""
        headers = dict(headers or {})
        if host is not None:
            headers["Host"] = host
        if isinstance(body, str):
            body = body.encode()
        return Reply(*_request(self.port, method, path, body, headers, timeout))

    def raw(self, data, read_until_close=True, timeout=5.0, head=False):
        """Sends `data` on a fresh data-plane connection.

        With `read_until_close`, returns (bytes received until the peer closed or `timeout`
        passed, whether it closed). Otherwise returns the first response, parsed.
        """
        with RawClient(self.port, timeout) as client:
            client.send(data)
            if not read_until_close:
                return client.read_response(head=head)
            received = client.read_until_close()
            return received, client.closed

    def connect(self, timeout=10.0):
        """A RawClient on the data plane, for multi-step exchanges."""
        return RawClient(self.port, timeout)

    def wait_for(self, predicate, timeout, what):
        """Polls `predicate()` every 50 ms until it returns a truthy value; returns it."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def _request(port, method, path, body, headers, timeout):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


class GatewayTestCase(unittest.TestCase):
    """Shares one Gateway per test class (`gateway_args`, `gateway_env`), started in setUpClass.

    Prints the gateway's log tail after any failing or erroring test of the class.
    """

    gateway_args = ()
    gateway_env = None
    gw = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw = Gateway(args=cls.gateway_args, env=cls.gateway_env)
        try:
            cls.gw.start()
        except BaseException:
            cls.gw.close()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.gw is not None:
            cls.gw.close()
        super().tearDownClass()

    def run(self, result=None):
        before = _problems(result)
        outcome = super().run(result)
        if result is not None and _problems(result) > before and self.gw is not None:
            self.gw.print_logs()
        return outcome

    # -- assertions shared by the tests -------------------------------------------------------

    def assert_field_error(self, reply_envelope, field):
        details = reply_envelope.get("details") or {}
        self.assertEqual(details.get("field"), field, f"error should name {field!r}: "
                         f"{reply_envelope!r}")

    def assert_json_error(self, reply, want_status):
        """A gateway-generated error (a Reply or RawResponse): the status wanted, a JSON body."""
        self.assertEqual(reply.status, want_status, reply.body[:300])
        try:
            jsonlib.loads(reply.body)
        except ValueError:
            self.fail(f"error body is not JSON: {reply.body[:300]!r}")


def _problems(result):
    if result is None:
        return 0
    return len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
