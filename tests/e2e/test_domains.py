"""Domains and collections against the real binary: CRUD, auth and scopes, validation errors that
name their field, and what they do to routing: a collection's base_path prefixes its endpoints'
paths (and moving it re-routes them, or is refused with 409 when a route would collide), the
enable switches of collections and domains, and deletes that take the endpoints with them.

Every test uses its own hosts (called through the Host header) and unique names, so the tests
share one gateway without depending on order. All deployed endpoints run the same source (one
compile, then cache hits): it answers "hit <request path>".
"""

import http.client
import json
import unittest

from harness import GatewayTestCase, handler_source, unique

ECHO = handler_source('"hit " + std::string(req.path())', prelude="#include <string>\n")

DOMAIN_FIELDS = {"id", "name", "host", "description", "enabled", "created_at", "updated_at"}
COLLECTION_FIELDS = {"id", "domain_id", "name", "description", "base_path", "enabled",
                     "created_at", "updated_at"}


def admin_status_from(gw, source_ip, method, path, key):
    """The status of one admin request sent from loopback address `source_ip`.

    Failed authentications are rate limited per client address; sending each deliberate failure
    from its own address keeps the limiter out of what is measured (and out of the other tests,
    which use 127.0.0.1).
    """
    conn = http.client.HTTPConnection("127.0.0.1", gw.admin_port, timeout=30,
                                      source_address=(source_ip, 0))
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    try:
        conn.request(method, path, body=b"{}", headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def host(label):
    """A fresh host name under .test."""
    return f"{unique(label).replace('_', '-')}.test"


class DomainsTestCase(GatewayTestCase):
    """Helpers shared by the test classes below."""

    def domain(self, host_name=None, **fields):
        body = {"name": unique("domain"), "host": host_name or host("d"), **fields}
        return self.gw.admin_ok("POST", "/api/domains", json=body, status=201)

    def collection(self, domain_id, base_path="", **fields):
        body = {"domain_id": domain_id, "name": unique("coll"), "base_path": base_path, **fields}
        return self.gw.admin_ok("POST", "/api/collections", json=body, status=201)

    def deployed(self, path, collection_id=None, domain=None, method="GET"):
        fields = {"collection_id": collection_id} if collection_id else {}
        return self.gw.create_and_deploy(unique("ep"), path, ECHO, method=method, domain=domain,
                                         **fields)

    def assert_routed(self, host_name, path, method="GET"):
        reply = self.gw.call(method, path, host=host_name)
        self.assertEqual((reply.status, reply.body), (200, f"hit {path}".encode()),
                         f"{method} {host_name}{path}")

    def assert_not_routed(self, host_name, path):
        self.assert_json_error(self.gw.call("GET", path, host=host_name), 404)

    def put(self, resource, fields, status=200):
        return self.gw.admin_ok("PUT", f"/api/{resource}", json=fields, status=status)

    def field_error(self, method, path, body, field, status=400):
        self.assert_field_error(self.gw.admin_error(method, path, json=body, status=status), field)


class DomainsApiTest(DomainsTestCase):

    def test_a_domain_is_created_read_listed_updated_and_deleted(self):
        created = self.domain("API.Crud.TEST", description="the api")
        self.assertEqual(set(created), DOMAIN_FIELDS)
        self.assertEqual(created["host"], "api.crud.test")  # hosts compare case-insensitively
        self.assertEqual((created["description"], created["enabled"]), ("the api", True))
        path = f"/api/domains/{created['id']}"
        self.assertEqual(self.gw.admin_ok("GET", path), created)
        listed = self.gw.admin_ok("GET", "/api/domains")
        self.assertIn(created["id"], [d["id"] for d in listed])

        updated = self.put(f"domains/{created['id']}", {"name": "renamed", "enabled": False})
        self.assertEqual((updated["name"], updated["enabled"]), ("renamed", False))
        self.assertEqual(updated["host"], "api.crud.test")
        deleted = self.gw.admin_ok("DELETE", path)
        self.assertEqual((deleted["id"], deleted["deleted"]), (created["id"], True))
        self.gw.admin_error("GET", path, status=404)
        self.gw.admin_error("DELETE", path, status=404)

    def test_wildcard_and_any_hosts_are_accepted(self):
        self.assertEqual(self.domain(f"*.{host('wild')}")["host"][:2], "*.")
        # "*" is unique like any host: create it unless another test of this gateway did.
        if "*" not in [d["host"] for d in self.gw.admin_ok("GET", "/api/domains")]:
            self.assertEqual(self.domain("*")["host"], "*")

    def test_an_invalid_host_is_400_naming_host(self):
        for bad in ["", "bad host.test", "api.test:8080", "a.*.test", "**.test", ".lead.test"]:
            with self.subTest(host=bad):
                self.field_error("POST", "/api/domains", {"name": "x", "host": bad}, "host")
        d = self.domain()
        self.field_error("PUT", f"/api/domains/{d['id']}", {"host": "no spaces.test"}, "host")

    def test_a_duplicate_host_is_409_naming_host(self):
        taken = self.domain()
        self.field_error("POST", "/api/domains", {"name": "again", "host": taken["host"].upper()},
                         "host", status=409)
        other = self.domain()
        self.field_error("PUT", f"/api/domains/{other['id']}", {"host": taken["host"]}, "host",
                         status=409)
        self.assertEqual(self.gw.admin_ok("GET", f"/api/domains/{other['id']}"), other)

    def test_domain_bodies_are_validated_field_by_field(self):
        self.field_error("POST", "/api/domains", {"host": host("n")}, "name")
        self.field_error("POST", "/api/domains", {"name": "no host"}, "host")
        self.field_error("POST", "/api/domains", {"name": "", "host": host("n")}, "name")
        self.field_error("POST", "/api/domains", {"name": "x", "host": host("n"), "enabled": "no"},
                         "enabled")
        self.field_error("POST", "/api/domains", {"name": "x", "host": host("n"), "colour": 1},
                         "colour")
        reply = self.gw.admin_error("POST", "/api/domains", body=b"{not json")
        self.assert_field_error(reply, "body")

    def test_unknown_domains_are_404(self):
        for method, suffix in [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/collections")]:
            with self.subTest(method=method, suffix=suffix):
                self.gw.admin_error(method, f"/api/domains/nope{suffix}",
                                    json={} if method == "PUT" else None, status=404)

    def test_a_collection_is_created_read_listed_updated_and_deleted(self):
        d = self.domain()
        c = self.collection(d["id"], "/v1", description="pets")
        self.assertEqual(set(c), COLLECTION_FIELDS)
        self.assertEqual((c["domain_id"], c["base_path"], c["enabled"]), (d["id"], "/v1", True))
        path = f"/api/collections/{c['id']}"
        self.assertEqual(self.gw.admin_ok("GET", path), c)
        self.assertEqual(self.gw.admin_ok("GET", f"/api/collections?domain_id={d['id']}"), [c])
        self.assertEqual(self.gw.admin_ok("GET", f"/api/domains/{d['id']}/collections"), [c])
        self.assertIn(c["id"], [x["id"] for x in self.gw.admin_ok("GET", "/api/collections")])
        self.assertEqual(self.gw.admin_ok("GET", f"{path}/endpoints"), [])

        updated = self.put(f"collections/{c['id']}", {"base_path": "/", "name": "renamed"})
        self.assertEqual((updated["base_path"], updated["name"]), ("", "renamed"))
        self.gw.admin_ok("DELETE", path)
        self.gw.admin_error("GET", path, status=404)
        self.gw.admin_error("GET", f"{path}/endpoints", status=404)
        self.assertEqual(self.gw.admin_ok("GET", f"/api/domains/{d['id']}/collections"), [])

    def test_collection_bodies_are_validated_field_by_field(self):
        d = self.domain()
        self.field_error("POST", "/api/collections", {"name": "x"}, "domain_id")
        self.field_error("POST", "/api/collections", {"domain_id": "nope", "name": "x"},
                         "domain_id")
        self.field_error("POST", "/api/collections", {"domain_id": d["id"]}, "name")
        for bad in ["v1", "/v1/", "/v1/{version}", "/files/{*rest}", "/a//b", "/a/../b"]:
            with self.subTest(base_path=bad):
                self.field_error("POST", "/api/collections",
                                 {"domain_id": d["id"], "name": "x", "base_path": bad}, "base_path")
        c = self.collection(d["id"])
        self.field_error("PUT", f"/api/collections/{c['id']}", {"domain_id": "nope"}, "domain_id")
        self.field_error("PUT", f"/api/collections/{c['id']}", {"enabled": 1}, "enabled")
        self.gw.admin_error("PUT", "/api/collections/nope", json={}, status=404)
        self.gw.admin_error("DELETE", "/api/collections/nope", status=404)

    def test_every_route_needs_a_key(self):
        d = self.domain()
        c = self.collection(d["id"])
        routes = [("GET", "/api/domains"), ("POST", "/api/domains"),
                  ("GET", f"/api/domains/{d['id']}"), ("PUT", f"/api/domains/{d['id']}"),
                  ("DELETE", f"/api/domains/{d['id']}"),
                  ("GET", f"/api/domains/{d['id']}/collections"),
                  ("GET", "/api/collections"), ("POST", "/api/collections"),
                  ("GET", f"/api/collections/{c['id']}"), ("PUT", f"/api/collections/{c['id']}"),
                  ("DELETE", f"/api/collections/{c['id']}"),
                  ("GET", f"/api/collections/{c['id']}/endpoints")]
        for i, (method, path) in enumerate(routes):
            for j, key in enumerate([None, "not-a-key"]):
                with self.subTest(method=method, path=path, key=key):
                    status, body = admin_status_from(self.gw, f"127.0.{10 + j}.{10 + i}",
                                                     method, path, key)
                    self.assertEqual((status, body["ok"]), (401, False), body)
        self.gw.admin_ok("GET", f"/api/domains/{d['id']}")  # nothing was deleted

    def key_with(self, *scopes):
        reply = self.gw.admin("POST", "/api/keys", json={"label": unique("k"),
                                                          "scopes": list(scopes)})
        if reply.status == 404:
            self.skipTest("no key management API (POST /api/keys) in this build")
        self.assertEqual(reply.status, 201, reply.data)
        return reply.data["data"]["key"]

    def test_each_route_checks_its_own_scope(self):
        d = self.domain()
        c = self.collection(d["id"])
        endpoints_only = self.key_with("endpoints:*")
        domains_read = self.key_with("domains:read")
        collections_write = self.key_with("collections:write")
        for path in ["/api/domains", f"/api/collections/{c['id']}"]:
            self.gw.admin_error("GET", path, key=endpoints_only, status=403)
        self.gw.admin_ok("GET", f"/api/domains/{d['id']}", key=domains_read)
        self.gw.admin_ok("GET", f"/api/domains/{d['id']}/collections", key=domains_read)
        self.gw.admin_error("PUT", f"/api/domains/{d['id']}", json={"name": "x"},
                            key=domains_read, status=403)
        self.gw.admin_error("GET", f"/api/collections/{c['id']}", key=domains_read, status=403)
        self.gw.admin_ok("PUT", f"/api/collections/{c['id']}", json={"name": "by scope"},
                         key=collections_write)  # write implies read
        self.gw.admin_ok("GET", f"/api/collections/{c['id']}/endpoints", key=collections_write)
        self.gw.admin_error("DELETE", f"/api/domains/{d['id']}", key=collections_write,
                            status=403)


class DomainRoutingTest(DomainsTestCase):

    def setup_collection(self, base_path="/v1", label="r"):
        d = self.domain(host(label))
        return d, self.collection(d["id"], base_path)

    def test_an_endpoint_of_a_collection_is_routed_below_its_base_path_on_its_domain(self):
        d, c = self.setup_collection("/v1")
        pets = self.deployed("/pets/{id}", c["id"])
        root = self.deployed("/", c["id"])
        self.assertEqual(pets["domain"], d["host"])  # taken from the collection's domain
        self.assertEqual(pets["path"], "/pets/{id}")
        self.assert_routed(d["host"], "/v1/pets/7")
        self.assert_routed(d["host"], "/v1")
        self.assert_not_routed(d["host"], "/pets/7")
        self.assert_not_routed("elsewhere.test", "/v1/pets/7")
        listed = self.gw.admin_ok("GET", f"/api/collections/{c['id']}/endpoints")
        self.assertEqual([e["id"] for e in listed], [pets["id"], root["id"]])
        self.assertNotIn("code", listed[0])

    def test_an_endpoint_of_a_collection_cannot_name_another_domain(self):
        _, c = self.setup_collection()
        self.field_error("POST", "/api/endpoints", {"name": unique("x"), "path": "/x",
                                                    "method": "GET", "domain": "*",
                                                    "collection_id": c["id"]}, "domain")
        self.field_error("POST", "/api/endpoints", {"name": unique("x"), "path": "/x",
                                                    "method": "GET", "collection_id": "nope"},
                         "collection_id")

    def test_the_same_path_in_two_collections_with_different_base_paths_is_no_conflict(self):
        d, v1 = self.setup_collection("/v1")
        v2 = self.collection(d["id"], "/v2")
        self.deployed("/pets", v1["id"])
        self.deployed("/pets", v2["id"])
        self.assert_routed(d["host"], "/v1/pets")
        self.assert_routed(d["host"], "/v2/pets")

    def test_changing_the_base_path_re_routes_the_collections_endpoints(self):
        d, c = self.setup_collection("/v1")
        self.deployed("/pets/{id}", c["id"])
        self.put(f"collections/{c['id']}", {"base_path": "/v2"})
        self.assert_not_routed(d["host"], "/v1/pets/7")
        self.assert_routed(d["host"], "/v2/pets/7")
        self.put(f"collections/{c['id']}", {"base_path": ""})
        self.assert_routed(d["host"], "/pets/7")

    def test_a_base_path_change_that_collides_is_409_and_changes_nothing(self):
        d, c = self.setup_collection("/a")
        self.deployed("/x", c["id"])
        self.deployed("/b/x", domain=d["host"])  # outside any collection, same host
        before = self.gw.admin_ok("GET", f"/api/collections/{c['id']}")
        self.field_error("PUT", f"/api/collections/{c['id']}", {"base_path": "/b", "name": "new"},
                         "base_path", status=409)
        self.assertEqual(self.gw.admin_ok("GET", f"/api/collections/{c['id']}"), before)
        self.assert_routed(d["host"], "/a/x")
        self.assert_routed(d["host"], "/b/x")

    def test_a_host_change_re_routes_and_a_colliding_one_is_409(self):
        d, c = self.setup_collection("/v1")
        self.deployed("/pets", c["id"])
        busy = host("busy")
        self.deployed("/v1/pets", domain=busy)
        self.field_error("PUT", f"/api/domains/{d['id']}", {"host": busy}, "host", status=409)
        self.assert_routed(d["host"], "/v1/pets")
        new_host = host("moved")
        self.put(f"domains/{d['id']}", {"host": new_host})
        self.assert_not_routed(d["host"], "/v1/pets")
        self.assert_routed(new_host, "/v1/pets")

    def test_a_disabled_collection_answers_404_until_it_is_enabled_again(self):
        d, c = self.setup_collection("/v1")
        endpoint = self.deployed("/pets", c["id"])
        self.put(f"collections/{c['id']}", {"enabled": False})
        self.assert_not_routed(d["host"], "/v1/pets")
        self.assertEqual(self.gw.endpoint(endpoint["id"])["status"], "running")  # nothing lost
        self.put(f"collections/{c['id']}", {"enabled": True})
        self.assert_routed(d["host"], "/v1/pets")

    def test_a_disabled_domain_answers_404_for_all_its_endpoints(self):
        d, c = self.setup_collection("/v1")
        self.deployed("/pets", c["id"])
        self.deployed("/plain", domain=d["host"])  # no collection: follows the domain by host
        self.put(f"domains/{d['id']}", {"enabled": False})
        self.assert_not_routed(d["host"], "/v1/pets")
        self.assert_not_routed(d["host"], "/plain")
        self.put(f"domains/{d['id']}", {"enabled": True})
        self.assert_routed(d["host"], "/v1/pets")
        self.assert_routed(d["host"], "/plain")

    def test_deleting_a_domain_deletes_its_collections_and_their_endpoints(self):
        d, c = self.setup_collection("/v1")
        endpoint = self.deployed("/pets", c["id"])
        self.assert_routed(d["host"], "/v1/pets")
        deleted = self.gw.admin_ok("DELETE", f"/api/domains/{d['id']}")
        self.assertEqual(deleted["endpoints_deleted"], 1)
        self.assert_not_routed(d["host"], "/v1/pets")
        self.gw.admin_error("GET", f"/api/endpoints/{endpoint['id']}", status=404)
        self.gw.admin_error("GET", f"/api/collections/{c['id']}", status=404)

    def test_deleting_a_collection_deletes_its_endpoints(self):
        d, c = self.setup_collection("/v1")
        endpoint = self.deployed("/pets", c["id"])
        self.gw.admin_ok("DELETE", f"/api/collections/{c['id']}")
        self.assert_not_routed(d["host"], "/v1/pets")
        self.gw.admin_error("GET", f"/api/endpoints/{endpoint['id']}", status=404)
        self.gw.admin_ok("GET", f"/api/domains/{d['id']}")


class DomainRestartTest(DomainsTestCase):
    """Has its own gateway, which it kills."""

    def test_base_paths_and_enable_switches_survive_a_kill_9(self):
        d = self.domain(host("restart"))
        on = self.collection(d["id"], "/v1")
        off = self.collection(d["id"], "/v2")
        self.deployed("/pets", on["id"])
        self.deployed("/pets", off["id"])
        self.put(f"collections/{off['id']}", {"enabled": False})
        self.gw.kill9()
        self.gw.start()
        self.assert_routed(d["host"], "/v1/pets")
        self.assert_not_routed(d["host"], "/v2/pets")
        self.put(f"collections/{off['id']}", {"enabled": True})
        self.assert_routed(d["host"], "/v2/pets")


if __name__ == "__main__":
    unittest.main()
