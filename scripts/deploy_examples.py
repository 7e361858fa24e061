#!/usr/bin/python3
"""Deploys examples/handlers/*.cpp to a running gateway and prints curl commands to try them.

Used by scripts/run.sh. Each example's first line names its route: `// route: GET /hello/{name}`.
The endpoint is named after the file stem: created if no endpoint has that name, otherwise its
route and code are updated; then it is deployed (compiled and started). Failures are reported
per example and do not stop the others. Stdlib only; the admin key comes from
EDGEGATE_ADMIN_KEY or the key file, and is never printed.
"""

import argparse
import http.client
import json
import os
import pathlib
import re
import shlex
import sys
import urllib.parse

ROUTE_LINE = re.compile(r"^\s*//\s*route:\s*([A-Za-z]+)\s+(\S+)\s*$")
# An optional second line: `// services: counters=memory, visits=sqlite` (name=service_type).
SERVICES_LINE = re.compile(r"^\s*//\s*services:\s*(.+?)\s*$")
# Configs for the embedded service types the examples use (paths relative to the gateway's
# working directory: make run starts it in the repository with its data in ./data).
EXAMPLE_SERVICE_CONFIG = {
    "memory": lambda name: {},
    "sqlite": lambda name: {"path": f"data/examples/{name}.db"},
    "files": lambda name: {"root": f"data/examples/{name}"},
    "outbox": lambda name: {"directory": f"data/examples/{name}"},
}
# Sample values for path parameters in the printed commands (others get "example").
SAMPLE_PARAMS = {"name": "world", "kind": "ok", "id": "42", "page": "home"}
# Sample query strings and bodies for the printed commands, by example stem.
SAMPLE_QUERY = {"query": "?tag=a&tag=b&limit=5"}
SAMPLE_BODY = '{"hello": "world"}'


class AdminError(Exception):
    pass


class Admin:
    """A minimal admin API client: one request per connection, envelope unwrapped."""

    def __init__(self, url, key):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.key = key

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        try:
            headers = {"Authorization": f"Bearer {self.key}"}
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=headers)
            reply = conn.getresponse()
            raw = reply.read()
        finally:
            conn.close()
        try:
            envelope = json.loads(raw)
        except ValueError:
            raise AdminError(f"{method} {path}: HTTP {reply.status}: {raw[:200]!r}") from None
        if not envelope.get("ok"):
            raise AdminError(f"{method} {path}: HTTP {reply.status}: {envelope.get('error')}",
                             envelope.get("details"))
        return envelope.get("data")


def read_route(source_path):
    """Returns (METHOD, path) from the example's first line; raises ValueError without one."""
    with open(source_path, encoding="utf-8") as f:
        match = ROUTE_LINE.match(f.readline())
    if not match:
        raise ValueError(f"{source_path}: first line is not '// route: METHOD /path'")
    return match.group(1).upper(), match.group(2)


def read_services(source_path):
    """Returns [(name, service_type)] from the example's `// services:` line, if any."""
    with open(source_path, encoding="utf-8") as f:
        f.readline()
        match = SERVICES_LINE.match(f.readline())
    if not match:
        return []
    pairs = [item.split("=", 1) for item in match.group(1).split(",")]
    if any(len(p) != 2 or p[1].strip() not in EXAMPLE_SERVICE_CONFIG for p in pairs):
        raise ValueError(f"{source_path}: bad '// services:' line: {match.group(1)}")
    return [(name.strip(), kind.strip()) for name, kind in pairs]


def bind_services(admin, endpoint_id, services):
    """Creates and activates each (name, type) service unless it exists, and binds it."""
    existing = {s["name"]: s for s in admin.call("GET", "/api/services")}
    for name, service_type in services:
        service = existing.get(name)
        if service is None:
            service = admin.call("POST", "/api/services", {
                "name": name, "service_type": service_type,
                "config": EXAMPLE_SERVICE_CONFIG[service_type](name), "enabled": True})
        elif service.get("status") != "active":
            admin.call("POST", f"/api/services/{service['id']}/activate")
        admin.call("POST", f"/api/endpoints/{endpoint_id}/services",
                   {"service_id": service["id"], "pool_id": name})


def deploy(admin, endpoints_by_name, stem, method, path, code):
    """Creates or updates endpoint `stem` and deploys it; returns (endpoint id, deploy data)."""
    existing = endpoints_by_name.get(stem)
    if existing is None:
        created = admin.call("POST", "/api/endpoints",
                             {"name": stem, "method": method, "path": path, "code": code})
        endpoint_id = created["id"]
    else:
        endpoint_id = existing["id"]
        if existing.get("method", "").upper() != method or existing.get("path") != path:
            admin.call("PUT", f"/api/endpoints/{endpoint_id}", {"method": method, "path": path})
        admin.call("PUT", f"/api/endpoints/{endpoint_id}/code", {"code": code})
    return endpoint_id, admin.call("POST", f"/api/endpoints/{endpoint_id}/deploy")


def sample_target(stem, path):
    """The route with sample values for its parameters, plus a sample query string."""
    def fill(match):
        name = match.group(1).lstrip("*")
        return "a/b" if match.group(1).startswith("*") else SAMPLE_PARAMS.get(name, "example")
    return re.sub(r"\{([^}]*)\}", fill, path) + SAMPLE_QUERY.get(stem, "")


def curl_line(method, url, body=None, auth=None):
    words = ["curl", "-i"]
    if method == "HEAD":
        words = ["curl", "-I"]
    elif method != "GET":
        words += ["-X", method]
    line = " ".join(shlex.quote(w) for w in words)
    if auth:
        line += f' -H "Authorization: Bearer {auth}"'
    if body is not None:
        line += " -H 'Content-Type: application/json' -d " + shlex.quote(body)
    return f"{line} {shlex.quote(url)}"


def print_diagnostics(details):
    for d in (details or {}).get("diagnostics", []):
        print(f"    {d.get('file')}:{d.get('line')}:{d.get('column')}: "
              f"{d.get('severity')}: {d.get('message')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", required=True)
    parser.add_argument("--data-url", required=True)
    parser.add_argument("--key-file", required=True)
    parser.add_argument("--examples", required=True)
    args = parser.parse_args()

    key = os.environ.get("EDGEGATE_ADMIN_KEY")
    key_hint = "$EDGEGATE_ADMIN_KEY"
    if not key:
        try:
            key = pathlib.Path(args.key_file).read_text().strip()
        except OSError:
            print(f"no admin key: set EDGEGATE_ADMIN_KEY or provide {args.key_file}",
                  file=sys.stderr)
            return 1
        key_hint = f"$(cat {shlex.quote(args.key_file)})"
        print(f"Admin key: in {args.key_file} (written by the gateway at first start)")

    admin = Admin(args.admin_url, key)
    endpoints_by_name = {e["name"]: e for e in admin.call("GET", "/api/endpoints")}
    tries, failures, first_id = [], 0, None
    for source in sorted(pathlib.Path(args.examples).glob("*.cpp")):
        stem = source.stem
        try:
            method, path = read_route(source)
            services = read_services(source)
            endpoint_id, result = deploy(admin, endpoints_by_name, stem, method, path,
                                         source.read_text(encoding="utf-8"))
            bind_services(admin, endpoint_id, services)
        except (ValueError, AdminError) as e:
            failures += 1
            print(f"  {stem}: FAILED: {e.args[0]}")
            print_diagnostics(e.args[1] if len(e.args) > 1 else None)
            continue
        first_id = first_id or endpoint_id
        print(f"  {stem}: {method} {path} -> version {result.get('version')} running"
              f" ({'cached' if result.get('cached') else 'compiled'}"
              f" in {result.get('duration_ms')} ms)")
        body = SAMPLE_BODY if method in ("POST", "PUT", "PATCH") else None
        tries.append(curl_line(method, args.data_url + sample_target(stem, path), body))

    print("\nTry the examples:")
    for line in tries:
        print(f"  {line}")
    print("\nAdmin API:")
    print(f"  {curl_line('GET', args.admin_url + '/api/endpoints', auth=key_hint)}")
    if first_id:
        versions = f"{args.admin_url}/api/endpoints/{first_id}/versions"
        print(f"  {curl_line('GET', versions, auth=key_hint)}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AdminError, OSError) as e:
        print(f"admin API: {e}", file=sys.stderr)
        sys.exit(1)
