"""The `edgegate` client commands (deploy, endpoints list|show|rm, import, status) run as real
processes against a real gateway, configured as a user would: EDGEGATE_ADMIN_URL and
EDGEGATE_ADMIN_KEY, or --data-dir holding admin.key.

Checks what scripts rely on: output, `--json` that parses, and exit codes (0 ok, 1 API error,
2 usage, 3 unreachable).
"""

import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest
import uuid

from harness import BIN, GatewayTestCase, free_ports, handler_source, text_handler

SPECS = pathlib.Path(__file__).resolve().parent / "specs"
CLI_TIMEOUT_S = 300  # a deploy compiles; slow on a loaded 2-core machine


class CliTest(GatewayTestCase):

    def setUp(self):
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="edgegate-cli-"))
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def cli(self, *args, url=None, key=None, env=None):
        """Runs `edgegate ARGS` in an empty directory; returns the CompletedProcess (text)."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEGATE_")}
        full_env["EDGEGATE_ADMIN_URL"] = url or f"http://127.0.0.1:{self.gw.admin_port}"
        full_env["EDGEGATE_ADMIN_KEY"] = key or self.gw.admin_key
        full_env.update(env or {})
        return subprocess.run([BIN, *args], cwd=self.work, env=full_env, capture_output=True,
                              text=True, timeout=CLI_TIMEOUT_S)

    def cli_ok(self, *args, **kwargs):
        done = self.cli(*args, **kwargs)
        self.assertEqual(done.returncode, 0, f"edgegate {args}: {done.stdout}\n{done.stderr}")
        return done.stdout

    def write(self, name, text):
        path = self.work / name
        path.write_text(text, encoding="utf-8")
        return path

    def list_json(self, *args):
        return json.loads(self.cli_ok("endpoints", "list", "--json", *args))

    def test_deploy_creates_updates_lists_shows_and_removes(self):
        name = f"greet_{uuid.uuid4().hex[:8]}"
        prefix = f"/{name}"
        source = self.write(f"{name}.cpp", handler_source(
            '"v1 " + std::string(req.path_param("who").value_or("?"))'))
        out = self.cli_ok("deploy", str(source), "--route", f"GET {prefix}/{{who}}")
        self.assertIn(f"created and deployed {name}", out)
        self.assertIn("version 1", out)
        self.assertEqual(self.gw.call("GET", f"{prefix}/you").body, b"v1 you")

        source.write_text(text_handler("v2"), encoding="utf-8")
        out = self.cli_ok("deploy", str(source), "--route", f"GET {prefix}/{{who}}", "--json")
        deployed = json.loads(out)
        self.assertEqual((deployed["name"], deployed["version"], deployed["created"]),
                         (name, 2, False))
        self.assertEqual(self.gw.call("GET", f"{prefix}/you").body, b"v2")

        table = self.cli_ok("endpoints", "list")
        self.assertTrue(table.startswith("NAME"), table)
        row = next(line for line in table.splitlines() if line.startswith(name + " "))
        self.assertEqual(row.split()[:6], [name, "GET", f"{prefix}/{{who}}", "*", "running", "2"])
        listed = [e for e in self.list_json() if e["name"] == name]
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["active_version"], 2)

        shown = self.cli_ok("endpoints", "show", name)
        self.assertIn(f"path: {prefix}/{{who}}", shown)
        self.assertIn("versions:", shown)
        shown_json = json.loads(self.cli_ok("endpoints", "show", listed[0]["id"], "--json"))
        self.assertEqual(shown_json["code"], text_handler("v2"))

        self.assertIn(f"deleted {name}", self.cli_ok("endpoints", "rm", name))
        self.assertEqual(self.gw.call("GET", f"{prefix}/you").status, 404)
        self.assertFalse([e for e in self.list_json() if e["name"] == name])
        missing = self.cli("endpoints", "show", name)
        self.assertEqual(missing.returncode, 1)
        self.assertIn(name, missing.stderr)

    def test_compile_error_is_shown_like_a_compiler_and_exits_1(self):
        name = f"broken_{uuid.uuid4().hex[:8]}"
        text = handler_source("no_such_symbol")
        source = self.write(f"{name}.cpp", text)
        line_no = next(i for i, line in enumerate(text.splitlines(), 1) if "no_such_symbol" in line)
        done = self.cli("deploy", str(source), "--route", f"GET /{name}")
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertEqual(done.stdout, "")
        lines = done.stderr.splitlines()
        first = next((i for i, line in enumerate(lines)
                      if line.startswith(f"{source}:{line_no}:") and ": error: " in line), None)
        self.assertIsNotNone(first, done.stderr)
        self.assertIn("no_such_symbol", lines[first])
        self.assertIn("return Response::text(200, no_such_symbol);", lines[first + 1])
        caret = lines[first + 2]
        self.assertEqual(caret.rstrip()[-1], "^", done.stderr)
        # The caret sits under the column the diagnostic names.
        column = int(lines[first].split(":")[2])
        source_line = lines[first + 1]
        self.assertEqual(caret.index("^") - source_line.index("| ") - 2, column - 1, done.stderr)

    def test_import_petstore_creates_endpoints_then_reports_unchanged(self):
        domain = f"cli-{uuid.uuid4().hex[:8]}.test"
        spec = str(SPECS / "petstore.yaml")
        out = self.cli_ok("import", spec, "--domain", domain)
        for operation in ("listPets", "createPets", "showPetById"):
            self.assertRegex(out, rf"(?m)^created\s+{operation}\s")
        listed = self.list_json("--domain", domain)
        self.assertEqual(sorted(e["name"] for e in listed),
                         ["createPets", "listPets", "showPetById"])
        report = json.loads(self.cli_ok("import", spec, "--domain", domain, "--json"))
        self.assertEqual(report["counts"]["unchanged"], 3)

    def test_status_shows_health(self):
        self.assertIn("status: ok", self.cli_ok("status"))
        status = json.loads(self.cli_ok("status", "--json"))
        self.assertEqual(status["health"]["status"], "ok")

    def test_key_is_read_from_the_data_dir(self):
        data_dir = self.work / "data"
        data_dir.mkdir()
        (data_dir / "admin.key").write_text(self.gw.admin_key + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEGATE_")}
        env["EDGEGATE_ADMIN_URL"] = f"http://127.0.0.1:{self.gw.admin_port}"
        done = subprocess.run([BIN, "endpoints", "list", "--data-dir", str(data_dir)], env=env,
                              capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.startswith("NAME"), done.stdout)

    def test_bad_key_exits_1_with_the_api_message(self):
        done = self.cli("endpoints", "list", key="eg_" + "0" * 48)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("edgegate:", done.stderr)
        self.assertIn("401", done.stderr)
        self.assertEqual(done.stdout, "")

    def test_unreachable_url_exits_3(self):
        (port,) = free_ports(1)
        done = self.cli("status", url=f"http://127.0.0.1:{port}")
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn(f"127.0.0.1:{port}", done.stderr)

    def test_usage_errors_exit_2(self):
        source = self.write("ok.cpp", text_handler("x"))
        cases = [
            ("deploy", str(source)),                                  # --route missing
            ("deploy", str(source), "--route", "GET"),                # no path
            ("deploy", str(self.work / "none.cpp"), "--route", "GET /x"),  # unreadable
            ("import", str(source)),                                  # not a spec or bundle
            ("import", str(SPECS / "petstore.yaml"), "--start"),      # bundles only
            ("endpoints",),                                           # subcommand missing
            ("no-such-command",),
        ]
        for args in cases:
            with self.subTest(args=args):
                self.assertEqual(self.cli(*args).returncode, 2)


if __name__ == "__main__":
    unittest.main()
