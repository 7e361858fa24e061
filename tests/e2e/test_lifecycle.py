"""Admin API lifecycle against the real binary: auth, validation, create → compile → start →
call, code updates, stop, delete, the bootstrap admin key and the example handlers.

Tests that share a gateway use their own domain (called through the Host header) or unique
names, so they neither conflict nor depend on order.
"""

import datetime
import json
import stat
import unittest
import urllib.parse

from harness import (EXAMPLES, Gateway, GatewayTestCase, fill_route, read_route, text_handler,
                     unique)

ENDPOINT_FIELDS = {"id", "name", "path", "method", "domain", "collection_id", "description",
                   "code", "dependencies", "enabled", "status", "active_version", "created_at",
                   "updated_at"}

# The deliberate error is on line 5 of the user's source.
BROKEN_ON_LINE_5 = (
    "#include <edgegate/sdk.hpp>\n"                             # 1
    "using namespace edgegate;\n"                               # 2
    "\n"                                                        # 3
    "Response handle(Context&, const Request&) {\n"             # 4
    "  return Response::text(200, no_such_symbol_here);\n"      # 5
    "}\n"                                                       # 6
    "EDGEGATE_HANDLER(handle)\n"                                # 7
)


def is_iso8601(text):
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except (TypeError, ValueError):
        return False


class AuthTest(GatewayTestCase):

    def test_health_answers_without_a_key(self):
        reply = self.gw.admin("GET", "/api/health", key=None)
        self.assertEqual(reply.status, 200)
        self.assertIs(reply.data["ok"], True)
        self.assertEqual(reply.data["data"]["status"], "ok")
        self.assertEqual(reply.data["data"]["version"], "0.1.0")

    def test_admin_routes_reject_a_missing_key(self):
        self.gw.admin_error("GET", "/api/endpoints", key=None, status=401)
        self.gw.admin_error("POST", "/api/endpoints", json={"name": "x"}, key=None, status=401)

    def test_admin_routes_reject_a_wrong_key(self):
        self.gw.admin_error("GET", "/api/endpoints", key="wrong-" + self.gw.admin_key, status=401)

    def test_admin_routes_reject_a_non_bearer_authorization(self):
        self.gw.admin_error("GET", "/api/endpoints", key=None, status=401,
                            headers={"Authorization": f"Basic {self.gw.admin_key}"})

    def test_the_key_from_the_environment_works(self):
        self.assertIsInstance(self.gw.admin_ok("GET", "/api/endpoints"), list)


class AdminKeyFileTest(unittest.TestCase):

    def test_first_start_without_a_key_writes_a_working_key_file_with_mode_0600(self):
        with Gateway(admin_key=None) as gw:
            key_file = gw.data_dir / "admin.key"
            self.assertEqual(stat.S_IMODE(key_file.stat().st_mode), 0o600)
            self.assertTrue(gw.admin_key)
            self.assertIsInstance(gw.admin_ok("GET", "/api/endpoints", key=gw.admin_key), list)
            gw.admin_error("GET", "/api/endpoints", key=gw.admin_key + "x", status=401)


class ValidationTest(GatewayTestCase):

    def post_invalid(self, body, field):
        envelope = self.gw.admin_error("POST", "/api/endpoints", json=body, status=400)
        self.assert_field_error(envelope, field)

    def test_a_missing_path_is_rejected_naming_the_field(self):
        self.post_invalid({"name": unique("v"), "method": "GET"}, "path")

    def test_a_missing_name_is_rejected_naming_the_field(self):
        self.post_invalid({"path": "/v/missing-name", "method": "GET"}, "name")

    def test_a_missing_method_is_rejected_naming_the_field(self):
        self.post_invalid({"name": unique("v"), "path": "/v/missing-method"}, "method")

    def test_an_unknown_method_is_rejected_naming_the_field(self):
        self.post_invalid({"name": unique("v"), "path": "/v/bad-method", "method": "FETCH"},
                          "method")

    def test_a_malformed_path_pattern_is_rejected_naming_the_field(self):
        for path in ("/a/{", "no-leading-slash"):
            with self.subTest(path=path):
                self.post_invalid({"name": unique("v"), "path": path, "method": "GET"}, "path")

    def test_an_unknown_field_is_rejected_naming_it(self):
        self.post_invalid({"name": unique("v"), "path": "/v/unknown", "method": "GET",
                           "colour": "red"}, "colour")

    def test_an_unknown_field_in_an_update_is_rejected_naming_it(self):
        endpoint = self.gw.create_endpoint(unique("v"), "/v/update-unknown", domain="v.test")
        envelope = self.gw.admin_error("PUT", f"/api/endpoints/{endpoint['id']}",
                                       json={"colour": "red"}, status=400)
        self.assert_field_error(envelope, "colour")

    def test_a_malformed_json_body_is_rejected(self):
        self.gw.admin_error("POST", "/api/endpoints", body=b'{"name": "x", "path": ', status=400)

    def test_the_method_is_case_insensitive(self):
        endpoint = self.gw.create_endpoint(unique("v"), "/v/lower", method="get",
                                           domain="v.test")
        self.assertEqual(endpoint["method"].upper(), "GET")

    def test_an_unsupported_admin_method_answers_405(self):
        self.gw.admin_error("PATCH", "/api/endpoints", json={}, status=405)


class ConflictTest(GatewayTestCase):

    def create(self, path, method="GET", domain="dup.test", status=201):
        body = {"name": unique("dup"), "path": path, "method": method, "domain": domain}
        if status == 201:
            return self.gw.create_endpoint(**body)
        return self.gw.admin_error("POST", "/api/endpoints", json=body, status=status)

    def test_the_same_route_twice_is_a_conflict(self):
        self.create("/pets/{id}")
        self.create("/pets/{id}", status=409)

    def test_a_renamed_parameter_is_the_same_route(self):
        self.create("/owners/{id}")
        self.create("/owners/{ownerId}", status=409)

    def test_another_method_domain_or_shape_is_not_a_conflict(self):
        self.create("/toys/{id}")
        self.create("/toys/{id}", method="POST")
        self.create("/toys/{id}", domain="other-dup.test")
        self.create("/toys/special")


class LifecycleTest(GatewayTestCase):
    """Each test has a domain of its own and calls through that Host."""

    def setUp(self):
        self.domain = unique("life").replace("_", "-") + ".test"

    def call(self, path, method="GET"):
        return self.gw.call(method, path, host=self.domain)

    def create(self, code=None, path="/thing"):
        return self.gw.create_endpoint(unique("life"), path, code=code, domain=self.domain)

    def assert_text(self, path, text):
        reply = self.call(path)
        self.assertEqual((reply.status, reply.body), (200, text.encode()))

    def test_a_created_endpoint_compiles_starts_and_answers(self):
        source = (EXAMPLES / "hello.cpp").read_text(encoding="utf-8")
        _, route = read_route(EXAMPLES / "hello.cpp")
        endpoint = self.gw.create_endpoint(unique("hello"), route, code=source,
                                           domain=self.domain, description="greets")
        self.assertTrue(ENDPOINT_FIELDS <= endpoint.keys(), endpoint.keys())
        self.assertEqual(endpoint["status"], "created")
        self.assertIsNone(endpoint["active_version"])
        self.assertEqual((endpoint["method"], endpoint["path"], endpoint["domain"]),
                         ("GET", route, self.domain))
        self.assertIs(endpoint["enabled"], True)
        self.assertEqual(endpoint["description"], "greets")
        self.assertIsInstance(endpoint["dependencies"], list)
        self.assertTrue(is_iso8601(endpoint["created_at"]), endpoint["created_at"])
        self.assertTrue(is_iso8601(endpoint["updated_at"]), endpoint["updated_at"])
        endpoint_id = endpoint["id"]

        compiled = self.gw.admin_ok("POST", f"/api/endpoints/{endpoint_id}/compile")
        self.assertEqual(compiled["status"], "compiled")
        self.assertIsInstance(compiled["version"], int)
        self.assertIsInstance(compiled["hash"], str)
        self.assertIsInstance(compiled["cached"], bool)
        self.assertIsInstance(compiled["duration_ms"], (int, float))
        self.assertIsInstance(compiled["diagnostics"], list)
        self.assertEqual(self.gw.endpoint(endpoint_id)["status"], "compiled")

        started = self.gw.admin_ok("POST", f"/api/endpoints/{endpoint_id}/start")
        self.assertEqual((started["status"], started["version"], started["previous_version"]),
                         ("running", compiled["version"], None))
        stored = self.gw.endpoint(endpoint_id)
        self.assertEqual((stored["status"], stored["active_version"]),
                         ("running", compiled["version"]))
        self.assertEqual(stored["code"], source)
        self.assert_text(fill_route(route, name="world"), "hello world")

    def test_get_list_and_filters_return_endpoints_without_code(self):
        running = self.create(text_handler("listed"), "/listed")
        self.gw.deploy(running["id"])
        disabled = self.gw.create_endpoint(unique("life"), "/off", domain=self.domain,
                                           enabled=False)
        self.assertIs(disabled["enabled"], False)
        query = "domain=" + urllib.parse.quote(self.domain)

        listed = self.gw.admin_ok("GET", f"/api/endpoints?{query}")
        self.assertEqual({e["id"] for e in listed}, {running["id"], disabled["id"]})
        for endpoint in listed:
            self.assertNotIn("code", endpoint)
            self.assertTrue(ENDPOINT_FIELDS - {"code"} <= endpoint.keys(), endpoint.keys())
        only_disabled = self.gw.admin_ok("GET", f"/api/endpoints?{query}&enabled=false")
        self.assertEqual([e["id"] for e in only_disabled], [disabled["id"]])
        only_running = self.gw.admin_ok("GET", f"/api/endpoints?{query}&status=running")
        self.assertEqual([e["id"] for e in only_running], [running["id"]])

    def test_a_compile_error_answers_422_with_the_diagnostic_on_the_users_line(self):
        endpoint = self.create(BROKEN_ON_LINE_5)
        envelope = self.gw.admin_error("POST", f"/api/endpoints/{endpoint['id']}/compile",
                                       status=422)
        details = envelope["details"]
        self.assertIn("no_such_symbol_here", details["output"])
        errors = [d for d in details["diagnostics"] if d.get("severity") == "error"]
        self.assertTrue(errors, details)
        first = errors[0]
        self.assertEqual((first["file"], first["line"]), ("handler.cpp", 5), first)
        self.assertIsInstance(first["column"], int)
        self.assertIn("no_such_symbol_here", first["message"])

    def test_a_failed_deploy_answers_422_and_keeps_the_running_version(self):
        endpoint = self.create(text_handler("still here"))
        self.gw.deploy(endpoint["id"])
        self.gw.admin_ok("PUT", f"/api/endpoints/{endpoint['id']}/code",
                         json={"code": BROKEN_ON_LINE_5})
        envelope = self.gw.admin_error("POST", f"/api/endpoints/{endpoint['id']}/deploy",
                                       status=422)
        self.assertTrue(envelope["details"]["diagnostics"], envelope)
        self.assert_text("/thing", "still here")

    def test_compiling_the_same_code_again_is_a_cache_hit(self):
        marker = unique("cache")  # unique source: the first compile cannot be cached
        endpoint = self.create(text_handler(marker))
        first = self.gw.admin_ok("POST", f"/api/endpoints/{endpoint['id']}/compile")
        second = self.gw.admin_ok("POST", f"/api/endpoints/{endpoint['id']}/compile")
        self.assertIs(first["cached"], False)
        self.assertIs(second["cached"], True)
        self.assertEqual(second["hash"], first["hash"])

    def test_starting_with_nothing_compiled_is_a_conflict(self):
        endpoint = self.create(text_handler("never compiled"))
        self.gw.admin_error("POST", f"/api/endpoints/{endpoint['id']}/start", status=409)

    def test_a_code_update_keeps_the_running_version_until_start(self):
        endpoint = self.create(text_handler("one"))
        endpoint_id = endpoint["id"]
        first = self.gw.deploy(endpoint_id)
        self.assert_text("/thing", "one")

        new_code = text_handler("two")
        self.gw.admin_ok("PUT", f"/api/endpoints/{endpoint_id}/code", json={"code": new_code})
        self.assertEqual(self.gw.admin_ok("GET", f"/api/endpoints/{endpoint_id}/code"),
                         {"code": new_code})
        self.assert_text("/thing", "one")
        self.assertEqual(self.gw.endpoint(endpoint_id)["active_version"], first["version"])

        compiled = self.gw.admin_ok("POST", f"/api/endpoints/{endpoint_id}/compile")
        self.assertNotEqual(compiled["version"], first["version"])
        self.assert_text("/thing", "one")
        self.assertEqual(self.gw.endpoint(endpoint_id)["active_version"], first["version"])

        started = self.gw.admin_ok("POST", f"/api/endpoints/{endpoint_id}/start")
        self.assertEqual((started["status"], started["version"], started["previous_version"]),
                         ("running", compiled["version"], first["version"]))
        self.assert_text("/thing", "two")
        self.assertEqual(self.gw.endpoint(endpoint_id)["active_version"], compiled["version"])

    def test_a_stopped_endpoint_answers_404_until_started_again(self):
        endpoint = self.create(text_handler("stoppable"))
        self.gw.deploy(endpoint["id"])
        self.assert_text("/thing", "stoppable")

        stopped = self.gw.admin_ok("POST", f"/api/endpoints/{endpoint['id']}/stop")
        self.assertEqual(stopped["status"], "stopped")
        self.assertEqual(self.gw.endpoint(endpoint["id"])["status"], "stopped")
        self.assert_json_error(self.call("/thing"), 404)

        self.gw.admin_ok("POST", f"/api/endpoints/{endpoint['id']}/start")
        self.assert_text("/thing", "stoppable")

    def test_a_deleted_endpoint_is_gone_from_the_api_and_the_data_plane(self):
        endpoint = self.create(text_handler("deletable"))
        self.gw.deploy(endpoint["id"])
        self.assert_text("/thing", "deletable")

        self.gw.admin_ok("DELETE", f"/api/endpoints/{endpoint['id']}")
        self.gw.admin_error("GET", f"/api/endpoints/{endpoint['id']}", status=404)
        self.gw.admin_error("DELETE", f"/api/endpoints/{endpoint['id']}", status=404)
        self.assert_json_error(self.call("/thing"), 404)

    def test_a_partial_update_changes_only_the_given_fields(self):
        endpoint = self.create(text_handler("moved"), path="/before")
        self.gw.deploy(endpoint["id"])
        updated = self.gw.admin_ok("PUT", f"/api/endpoints/{endpoint['id']}",
                                   json={"description": "after the move", "path": "/after"})
        self.assertEqual((updated["description"], updated["path"], updated["name"]),
                         ("after the move", "/after", endpoint["name"]))
        self.assertEqual(updated["method"], "GET")
        self.assert_text("/after", "moved")
        self.assert_json_error(self.call("/before"), 404)


class ExamplesTest(GatewayTestCase):
    """Deploys every examples/handlers/*.cpp on domain `*` once; each test checks one example."""

    deployed = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deployed = {}
        for source in sorted(EXAMPLES.glob("*.cpp")):
            try:
                cls.deployed[source.stem] = cls.gw.deploy_example(source.stem)
            except AssertionError as e:
                cls.deployed[source.stem] = e

    def example(self, stem):
        endpoint = self.deployed.get(stem)
        if endpoint is None:
            self.fail(f"no example {stem}.cpp in {EXAMPLES}")
        if isinstance(endpoint, AssertionError):
            self.fail(f"{stem}.cpp did not deploy: {endpoint}")
        return endpoint

    def test_every_example_deploys_and_runs(self):
        self.assertTrue(self.deployed, f"no examples in {EXAMPLES}")
        for stem in self.deployed:
            with self.subTest(example=stem):
                self.assertEqual(self.example(stem)["status"], "running")

    def test_hello_greets_by_name(self):
        endpoint = self.example("hello")
        reply = self.gw.call("GET", fill_route(endpoint["path"], name="world"))
        self.assertEqual((reply.status, reply.body), (200, b"hello world"))

    def test_json_echo_returns_the_body_and_a_request_id(self):
        document = {"a": 1, "b": [True, None, "x", 2.5], "nested": {"s": "caf\u00e9 \u2713"}}
        answers = [self.echo(json.dumps(document).encode()) for _ in range(2)]
        for reply in answers:
            self.assertEqual(reply.status, 200, reply.body)
            self.assertEqual(reply.headers.get_content_type(), "application/json")
        first, second = (json.loads(reply.body) for reply in answers)
        self.assertEqual(first.keys(), {"echo", "request_id"})
        self.assertEqual(first["echo"], document)
        self.assertIsInstance(first["request_id"], str)
        self.assertNotEqual(first["request_id"], second["request_id"])

    def test_json_echo_rejects_malformed_json_with_400(self):
        reply = self.echo(b'{"a": [1, 2')
        self.assertEqual(reply.status, 400, reply.body)
        self.assertTrue(json.loads(reply.body)["error"].startswith("malformed JSON body"),
                        reply.body)

    def echo(self, body):
        endpoint = self.example("json_echo")
        return self.gw.call(endpoint["method"], fill_route(endpoint["path"]), body=body,
                            headers={"Content-Type": "application/json"})

    def test_query_returns_repeated_keys_in_order_and_an_integer_limit(self):
        self.assertEqual(self.query("?tag=a&tag=b&limit=5"),
                         (200, {"tags": ["a", "b"], "limit": 5}))
        self.assertEqual(self.query(""), (200, {"tags": [], "limit": 10}))
        self.assertEqual(self.query("?q=caf%C3%A9%20noir&tag=x%26y"),
                         (200, {"tags": ["x&y"], "limit": 10, "q": "caf\u00e9 noir"}))

    def test_query_rejects_a_bad_limit_with_400(self):
        for query in ("?limit=five", "?limit=5.5", "?limit=0", "?limit=101"):
            with self.subTest(query=query):
                status, body = self.query(query)
                self.assertEqual(status, 400, body)
                self.assertIn("error", body)

    def query(self, query_string):
        reply = self.gw.call("GET", fill_route(self.example("query")["path"]) + query_string)
        return reply.status, json.loads(reply.body)

    def test_errors_turns_an_http_error_into_a_418_json_response(self):
        self.assertEqual(self.call_errors("http"), (418, {"error": "I'm a teapot"}))

    def test_errors_turns_an_exception_into_500_and_the_gateway_keeps_serving(self):
        status, body = self.call_errors("exception")
        self.assertEqual((status, body["error"]), (500, "internal error"))
        self.assertIsInstance(body["request_id"], str)
        self.assertEqual(self.call_errors("ok"), (200, {"kind": "ok"}))
        self.assertEqual(self.call_errors("exception")[0], 500)
        hello = self.gw.call("GET", fill_route(self.example("hello")["path"], name="still"))
        self.assertEqual((hello.status, hello.body), (200, b"hello still"))

    def test_errors_answers_404_for_an_unknown_kind(self):
        self.assertEqual(self.call_errors("other")[0], 404)

    def call_errors(self, kind):
        reply = self.gw.call("GET", fill_route(self.example("errors")["path"], kind=kind))
        return reply.status, json.loads(reply.body)


if __name__ == "__main__":
    unittest.main()
