"""The servers under load: Edgegate and its peers (nginx, nginx + Lua, Node.js).

Each answers the same two requests with the same bodies:
  GET /hello/world       -> 200 "hello world" (text/plain)
  GET /items/42?q=hello  -> 200 {"id":"42","q":"hello","ok":true} (application/json; all but
                            plain nginx)
Each runs in its own temporary directory on a free 127.0.0.1 port, with one worker / one loop.
"""

import json
import os
import pathlib
import secrets

import httpc
from admin import AdminClient
from procs import BenchError, Process, free_port, wait_until

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
HELLO_SOURCE = REPO / "examples/handlers/hello.cpp"
JSON_SOURCE = HERE / "handlers/json_params.cpp"
NODE_SERVER = HERE / "node_server.js"
NGINX_MODULES = pathlib.Path("/usr/lib/nginx/modules")

HELLO_PATH = "/hello/world"
HELLO_BODY = b"hello world"
JSON_PATH = "/items/42?q=hello"
JSON_BODY = {"id": "42", "q": "hello", "ok": True}

START_TIMEOUT_S = 30
IDLE_TIMEOUT_MS = 600_000  # idle keep-alive connections must outlive the memory measurement


class Server:
    """One server: display name, data-plane port, working directory, and its process once
    started."""

    name = "server"

    def __init__(self, workdir, dirname=None):
        dirname = dirname or self.name.replace("+", "_").replace(".", "").lower()
        self.workdir = pathlib.Path(workdir) / dirname
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None

    @property
    def pid(self):
        return self.process.pid

    def command(self):
        raise NotImplementedError

    def env(self):
        return None

    def start(self, cpu):
        self.process = Process(self.name, self.command(), str(self.workdir), self.env(), cpu)
        self.process.start()
        wait_until(lambda: httpc.accepts(self.port), START_TIMEOUT_S,
                   f"{self.name} to accept on port {self.port}", self.process)
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop()

    def check(self, path, expect):
        """GETs `path` once; raises BenchError unless it answers 200 with `expect` (bytes, or a
        dict compared as parsed JSON)."""
        try:
            status, body = httpc.get(self.port, path)
        except OSError as e:
            raise BenchError(f"{self.name}: GET {path} failed: {e}\n{self.process.log_tail()}")
        got = body
        if isinstance(expect, dict) and status == 200:
            try:
                got = json.loads(body)
            except ValueError:
                pass
        if status != 200 or got != expect:
            raise BenchError(f"{self.name}: GET {path} answered {status} {body[:200]!r}, "
                             f"expected 200 {expect!r}\n{self.process.log_tail()}")


class NginxServer(Server):
    """nginx with one worker and no master (`master_process off`: the pid is the worker's).

    Plain: `return 200 "hello world"`. With `lua=True`: both routes in content_by_lua_block,
    the hello body built from the path as the Edgegate handler does.
    """

    def __init__(self, workdir, lua=False, worker_connections=4096, dirname=None):
        self.name = "nginx+Lua" if lua else "nginx"
        super().__init__(workdir, dirname)
        self.lua = lua
        self.worker_connections = worker_connections

    def command(self):
        conf = self.workdir / "nginx.conf"
        conf.write_text(self.config())
        return ["nginx", "-p", f"{self.workdir}/", "-c", str(conf),
                "-e", str(self.workdir / "error.log")]

    def config(self):
        d = self.workdir
        modules = ""
        if self.lua:
            modules = "".join(f"load_module {NGINX_MODULES / m};\n"
                              for m in ("ndk_http_module.so", "ngx_http_lua_module.so"))
        temp_paths = "".join(f"  {kind}_temp_path {d}/tmp_{kind};\n"
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        return f"""{modules}daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile {self.worker_connections + 1024};
error_log {d}/error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections {self.worker_connections}; }}
http {{
  access_log off;
  keepalive_timeout {IDLE_TIMEOUT_MS // 1000}s;
  keepalive_requests 100000000;
{temp_paths}{self.lua_init()}  server {{
    listen 127.0.0.1:{self.port} backlog=4096;
    default_type text/plain;
{self.locations()}  }}
}}
"""

    def lua_init(self):
        if not self.lua:
            return ""
        # JSON string escaping by hand (lua-cjson is not part of Debian's nginx Lua module):
        # quotes, backslashes and control characters become \\u00XX.
        return """  init_by_lua_block {
    function json_escape(s)
      return (string.gsub(s, '[%c"\\\\]', function(c)
        return string.format("\\\\u%04x", string.byte(c)) end))
    end
  }
"""

    def locations(self):
        if not self.lua:
            return f'    location = {HELLO_PATH} {{ return 200 "{HELLO_BODY.decode()}"; }}\n'
        return """    location ~ ^/hello/([^/]+)$ {
      content_by_lua_block {
        local body = "hello " .. ngx.var[1]
        ngx.header.content_length = #body
        ngx.print(body)
      }
    }
    location ~ ^/items/([^/]+)$ {
      content_by_lua_block {
        local q = ngx.var.arg_q
        q = q and ngx.unescape_uri(q) or ""
        local body = '{"id":"' .. json_escape(ngx.var[1]) .. '","q":"' .. json_escape(q)
                     .. '","ok":true}'
        ngx.header.content_type = "application/json"
        ngx.header.content_length = #body
        ngx.print(body)
      }
    }
"""


class NodeServer(Server):
    """Node.js `http` server (bench/load/node_server.js), one process."""

    name = "Node.js"

    def command(self):
        return ["node", str(NODE_SERVER), str(self.port), str(IDLE_TIMEOUT_MS)]


class EdgegateServer(Server):
    """`edgegate serve` with one data-plane loop, a fresh data directory and a random admin key."""

    name = "Edgegate"

    def __init__(self, workdir, binary, sdk_dir, threads=1, dirname=None):
        super().__init__(workdir, dirname)
        self.binary, self.sdk_dir, self.threads = binary, sdk_dir, threads
        self.admin_port = free_port()
        self.admin_key = "bench-" + secrets.token_hex(16)
        self.admin = None

    def command(self):
        return [self.binary, "serve",
                "--listen", f"127.0.0.1:{self.port}",
                "--admin-listen", f"127.0.0.1:{self.admin_port}",
                "--data-dir", str(self.workdir / "data"),
                "--threads", str(self.threads),
                "--sdk-dir", self.sdk_dir,
                "--log-level", "warn",
                "--idle-timeout-ms", str(IDLE_TIMEOUT_MS),
                "--shutdown-grace", "2"]

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEGATE_")}
        env["EDGEGATE_ADMIN_KEY"] = self.admin_key
        return env

    def start(self, cpu):
        super().start(cpu)
        self.admin = AdminClient(self.admin_port, self.admin_key, self.process)
        wait_until(self.admin.healthy, START_TIMEOUT_S, "Edgegate's admin API", self.process)
        return self

    def create_and_deploy(self, name, method, path, code):
        """Creates an endpoint, deploys it; returns (endpoint id, deploy answer)."""
        endpoint_id = self.admin.create_endpoint(name, method, path, code)
        return endpoint_id, self.admin.deploy(endpoint_id)


# -- handler sources ----------------------------------------------------------------------------

def read_route(source_path):
    """(METHOD, path pattern) from a handler's first line, `// route: METHOD /path`."""
    first = pathlib.Path(source_path).read_text().splitlines()[0].split()
    if first[:2] != ["//", "route:"] or len(first) != 4:
        raise BenchError(f"{source_path}: first line is not '// route: METHOD /path'")
    return first[2].upper(), first[3]


def _substitute(source, old, new, where):
    if source.count(old) != 1:
        raise BenchError(f"{where}: expected exactly one {old!r} to make a variant")
    return source.replace(old, new)


def hello_source(tag=None):
    """The hello example, or a distinct variant answering "hello <tag> <name>"."""
    source = HELLO_SOURCE.read_text()
    if tag is None:
        return source
    return _substitute(source, '"hello "', f'"hello {tag} "', HELLO_SOURCE)


def hello_body(tag=None, name="world"):
    return (f"hello {tag} {name}" if tag else f"hello {name}").encode()


def json_source(tag=None):
    """The JSON + params handler, or a distinct variant with a member "v": <tag> appended."""
    source = JSON_SOURCE.read_text()
    if tag is None:
        return source
    return _substitute(source, '{"ok", true}', f'{{"ok", true}}, {{"v", "{tag}"}}', JSON_SOURCE)


def json_body(tag=None):
    return dict(JSON_BODY, v=tag) if tag else dict(JSON_BODY)
