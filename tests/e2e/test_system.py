"""System routes against the real binary: GET /api/stats (counters move with traffic, auth
required) and GET /api/openapi.json (valid 3.1, lists every documented route, and every
operation it lists is one the server routes: the document and the route list cannot drift).
"""

import re
import unittest

from harness import GatewayTestCase, fill_route

STATS_FIELDS = {"endpoints_total", "endpoints_running", "requests_handled", "errors",
                "not_found", "uptime_seconds", "versions_loaded", "versions_draining"}

# Every route of docs/admin-api.md.
DOCUMENTED_ROUTES = [
    ("GET", "/api/health"), ("GET", "/api/stats"), ("GET", "/api/openapi.json"),
    ("GET", "/api/endpoints"), ("POST", "/api/endpoints"),
    ("GET", "/api/endpoints/{id}"), ("PUT", "/api/endpoints/{id}"),
    ("DELETE", "/api/endpoints/{id}"),
    ("GET", "/api/endpoints/{id}/code"), ("PUT", "/api/endpoints/{id}/code"),
    ("POST", "/api/endpoints/{id}/compile"), ("POST", "/api/endpoints/{id}/start"),
    ("POST", "/api/endpoints/{id}/stop"), ("POST", "/api/endpoints/{id}/deploy"),
    ("GET", "/api/endpoints/{id}/versions"), ("GET", "/api/endpoints/{id}/logs"),
    ("GET", "/metrics"),
    ("GET", "/api/domains"), ("POST", "/api/domains"), ("GET", "/api/domains/{id}"),
    ("PUT", "/api/domains/{id}"), ("DELETE", "/api/domains/{id}"),
    ("GET", "/api/domains/{id}/collections"),
    ("GET", "/api/collections"), ("POST", "/api/collections"),
    ("GET", "/api/collections/{id}"), ("PUT", "/api/collections/{id}"),
    ("DELETE", "/api/collections/{id}"), ("GET", "/api/collections/{id}/endpoints"),
    ("POST", "/api/import/openapi"), ("POST", "/api/import/bundle"),
    ("GET", "/api/keys"), ("POST", "/api/keys"), ("GET", "/api/keys/{id}"),
    ("POST", "/api/keys/{id}/enable"), ("POST", "/api/keys/{id}/disable"),
    ("DELETE", "/api/keys/{id}"),
    ("GET", "/api/services"), ("POST", "/api/services"), ("GET", "/api/service-types"),
    ("GET", "/api/services/{id}"), ("PUT", "/api/services/{id}"),
    ("DELETE", "/api/services/{id}"), ("POST", "/api/services/{id}/activate"),
    ("POST", "/api/services/{id}/deactivate"), ("POST", "/api/services/{id}/test"),
    ("GET", "/api/endpoints/{id}/services"), ("POST", "/api/endpoints/{id}/services"),
    ("DELETE", "/api/endpoints/{id}/services/{service_id}"),
]

DUMMY_ID = "00000000-0000-4000-8000-000000000000"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


class StatsTest(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hello = cls.gw.deploy_example("hello")

    def stats(self):
        data = self.gw.admin_ok("GET", "/api/stats")
        self.assertEqual(set(data), STATS_FIELDS)
        for name, value in data.items():
            self.assertIsInstance(value, int, name)
            self.assertGreaterEqual(value, 0, name)
        return data

    def test_stats_need_a_key(self):
        reply = self.gw.admin("GET", "/api/stats", key=None)
        self.assertEqual(reply.status, 401)
        self.assertIs(reply.data["ok"], False)

    def test_stats_count_the_deployed_endpoint(self):
        stats = self.stats()
        self.assertEqual(stats["endpoints_running"], 1)
        self.assertGreaterEqual(stats["endpoints_total"], 1)
        self.assertGreaterEqual(stats["versions_loaded"], 1)

    def test_requests_handled_grows_with_calls(self):
        before = self.stats()
        path = fill_route(self.hello["path"], name="stats")
        for _ in range(5):
            self.assertEqual(self.gw.call("GET", path).status, 200)
        after = self.stats()
        self.assertGreaterEqual(after["requests_handled"] - before["requests_handled"], 5)
        self.assertGreaterEqual(after["uptime_seconds"], before["uptime_seconds"])

    def test_not_found_grows_with_an_unrouted_request(self):
        before = self.stats()
        self.assertEqual(self.gw.call("GET", "/no/such/route/for/stats").status, 404)
        after = self.stats()
        self.assertGreaterEqual(after["not_found"] - before["not_found"], 1)


class OpenApiTest(GatewayTestCase):

    def document(self):
        reply = self.gw.admin("GET", "/api/openapi.json", key=None)
        self.assertEqual(reply.status, 200)
        self.assertIsInstance(reply.data, dict, "the document must be JSON")
        return reply.data

    def operations(self, document):
        """(METHOD, path) of every operation in the document."""
        return {(method.upper(), path)
                for path, item in document["paths"].items()
                for method in item if method in HTTP_METHODS}

    def test_document_is_openapi_31_without_auth(self):
        document = self.document()
        self.assertTrue(document["openapi"].startswith("3.1"), document["openapi"])
        self.assertEqual(document["info"]["version"], "0.1.0")
        self.assertIn("bearer", document["components"]["securitySchemes"])

    def test_every_documented_route_is_in_the_document(self):
        operations = self.operations(self.document())
        missing = [route for route in DOCUMENTED_ROUTES if route not in operations]
        self.assertEqual(missing, [])

    def test_documented_routes_have_a_specific_summary(self):
        paths = self.document()["paths"]
        generic = [(method, path) for method, path in DOCUMENTED_ROUTES
                   if paths[path][method.lower()]["summary"] == f"{method} {path}"]
        self.assertEqual(generic, [], "add these to kRouteDocs in src/admin/openapi_doc.cc")

    def test_scoped_operations_name_their_scope(self):
        paths = self.document()["paths"]
        self.assertEqual(paths["/api/stats"]["get"]["x-required-scope"], "endpoints:read")
        self.assertEqual(paths["/api/keys"]["post"]["x-required-scope"], "keys:write")
        self.assertEqual(paths["/api/health"]["get"]["security"], [])
        self.assertNotIn("x-required-scope", paths["/api/openapi.json"]["get"])

    def test_every_operation_in_the_document_is_routed(self):
        for method, path in sorted(self.operations(self.document())):
            target = re.sub(r"\{[^}]+\}", DUMMY_ID, path)
            with self.subTest(method=method, path=path):
                body = b"{}" if method in ("POST", "PUT") else None
                reply = self.gw.admin(method, target, body=body)
                self.assertNotEqual(reply.status, 405, reply.data)
                if reply.status == 404:
                    error = reply.data.get("error", "") if isinstance(reply.data, dict) else ""
                    self.assertNotIn("no admin route", error)
                    self.assertIn("not found", error)


if __name__ == "__main__":
    unittest.main()
