"""Imports against the real binary: OpenAPI specs (POST /api/import/openapi) and handler bundles
(POST /api/import/bundle), with real public specs (tests/e2e/specs/) and bundles built at test
time (tests/e2e/bundles/make_bundles.py), including the malicious set that must change nothing.

Each test imports into its own domain (called through the Host header), so tests sharing a
gateway neither conflict nor depend on order.
"""

import json
import pathlib
import sys
import unittest
import uuid

from harness import GatewayTestCase

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "bundles"))
import make_bundles  # noqa: E402  (tests/e2e/bundles is not a package)

SPECS = HERE / "specs"
PETSTORE = (SPECS / "petstore.yaml").read_text(encoding="utf-8")
PETSTORE_OPS = {("listPets", "GET", "/pets"), ("createPets", "POST", "/pets"),
                ("showPetById", "GET", "/pets/{petId}")}

LIST_PETS_CPP = """#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context&, const Request&) {
  return Response::ok(Json::array({Json::object({{"id", 1}, {"name", "rex"}})}));
}
EDGEGATE_HANDLER(handle)
"""

SHOW_PET_CPP = """#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context&, const Request& req) {
  return Response::text(200, "pet " + std::string(req.require_path_param("petId")));
}
EDGEGATE_HANDLER(handle)
"""

BROKEN_CPP = """#include <edgegate/sdk.hpp>
using namespace edgegate;

Response handle(Context&, const Request&) {
  return Response::text(200, no_such_symbol);
}
EDGEGATE_HANDLER(handle)
"""


def domain():
    return f"import-{uuid.uuid4().hex[:8]}.test"


class ImportTestCase(GatewayTestCase):

    def import_spec(self, spec, status=200, **fields):
        body = {"spec": spec, **fields}
        if status == 200:
            return self.gw.admin_ok("POST", "/api/import/openapi", json=body)
        return self.gw.admin_error("POST", "/api/import/openapi", json=body, status=status)

    def endpoints(self, **query):
        path = "/api/endpoints"
        if query:
            path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return self.gw.admin_ok("GET", path)

    def by_name(self, host):
        return {e["name"]: e for e in self.endpoints(domain=host)}

    def post_bundle(self, data, query="", status=200, content_type="application/zip"):
        path = "/api/import/bundle" + (f"?{query}" if query else "")
        headers = {"Content-Type": content_type}
        if status == 200:
            return self.gw.admin_ok("POST", path, body=data, headers=headers)
        return self.gw.admin_error("POST", path, body=data, headers=headers, status=status)

    def assert_stub(self, host, method, path, operation):
        reply = self.gw.call(method, path, host=host)
        self.assertEqual(reply.status, 501, reply.body)
        self.assertEqual(json.loads(reply.body),
                         {"error": "not implemented", "operation": operation})


class OpenApiImportTest(ImportTestCase):

    def test_petstore_creates_one_endpoint_per_operation_whose_stub_answers_501(self):
        host = domain()
        data = self.import_spec(PETSTORE, domain=host)
        self.assertEqual(data["counts"], {"operations": 3, "created": 3, "updated": 0,
                                          "unchanged": 0, "errors": 0})
        self.assertEqual(data["spec"]["title"], "Swagger Petstore")
        self.assertEqual(data["domain"], host)
        self.assertEqual({(e["name"], e["method"], e["path"]) for e in data["created"]},
                         PETSTORE_OPS)
        stored = self.by_name(host)
        self.assertEqual({(e["name"], e["method"], e["path"]) for e in stored.values()},
                         PETSTORE_OPS)
        self.assertEqual(stored["listPets"]["description"], "List all pets")
        self.assertEqual(stored["listPets"]["status"], "created")
        for endpoint in stored.values():
            self.gw.deploy(endpoint["id"])
        self.assert_stub(host, "GET", "/pets", "listPets")
        self.assert_stub(host, "POST", "/pets", "createPets")
        self.assert_stub(host, "GET", "/pets/42", "showPetById")

    def test_reimporting_updates_or_keeps_endpoints_and_never_duplicates(self):
        host = domain()
        self.import_spec(PETSTORE, domain=host)
        again = self.import_spec(PETSTORE, domain=host)
        self.assertEqual(again["counts"]["unchanged"], 3)
        self.assertEqual(again["counts"]["created"], 0)
        changed = PETSTORE.replace("summary: List all pets", "summary: List every pet")
        third = self.import_spec(changed, domain=host)
        self.assertEqual([e["name"] for e in third["updated"]], ["listPets"])
        self.assertEqual(third["counts"]["unchanged"], 2)
        stored = self.by_name(host)
        self.assertEqual(len(stored), 3)
        self.assertEqual(stored["listPets"]["description"], "List every pet")

    def test_reimporting_keeps_code_the_user_wrote(self):
        host = domain()
        self.import_spec(PETSTORE, domain=host)
        show = self.by_name(host)["showPetById"]
        self.gw.admin_ok("PUT", f"/api/endpoints/{show['id']}/code", json={"code": SHOW_PET_CPP})
        data = self.import_spec(PETSTORE, domain=host)
        self.assertEqual(data["counts"]["unchanged"], 3)
        self.assertEqual(self.gw.endpoint(show["id"])["code"], SHOW_PET_CPP)

    def test_a_renamed_operation_is_matched_by_method_and_path(self):
        host = domain()
        self.import_spec(PETSTORE, domain=host)
        before = self.by_name(host)["showPetById"]
        renamed = PETSTORE.replace("operationId: showPetById", "operationId: getPet")
        data = self.import_spec(renamed, domain=host)
        self.assertEqual([(e["name"], e["id"]) for e in data["updated"]],
                         [("getPet", before["id"])])
        self.assertEqual(sorted(self.by_name(host)), ["createPets", "getPet", "listPets"])

    def test_a_larger_openapi_3_1_json_spec_imports(self):
        host = domain()
        spec = (SPECS / "tracker-3.1.json").read_text(encoding="utf-8")
        data = self.import_spec(spec, domain=host)
        self.assertEqual(data["spec"]["openapi"], "3.1.0")
        self.assertEqual(data["counts"]["created"], 21)
        stored = self.by_name(host)
        self.assertEqual(len(stored), 21)
        self.assertEqual(stored["get_user"]["path"], "/user")  # no operationId: generated name
        self.assertEqual(stored["getMeta"]["path"], "/meta")   # through a $ref'd path item
        self.assertEqual(stored["getIssueComment"]["path"],
                         "/repos/{owner}/{repo}/issues/comments/{comment_id}")
        code = self.gw.endpoint(stored["listIssues"]["id"])["code"]
        self.assertIn("per_page (query)", code)  # $ref'd parameters were resolved
        self.gw.deploy(stored["getIssue"]["id"])
        self.assert_stub(host, "GET", "/repos/octo/hello/issues/7", "getIssue")

    def test_the_expanded_petstore_json_imports_with_its_quirky_operation_id(self):
        host = domain()
        spec = (SPECS / "petstore-expanded.json").read_text(encoding="utf-8")
        data = self.import_spec(spec, domain=host)
        self.assertEqual(data["counts"]["created"], 4)
        found = self.by_name(host)["find pet by id"]
        self.gw.deploy(found["id"])
        self.assert_stub(host, "GET", "/pets/3", "find pet by id")

    def test_invalid_specs_answer_400_with_the_location(self):
        host = domain()
        missing_ref = PETSTORE.replace('$ref: "#/components/schemas/Pets"',
                                       '$ref: "#/components/schemas/Nope"')
        cases = [
            (missing_ref, "paths./pets.get.responses.200.content.application/json.schema.$ref"),
            ("openapi: 3.0.0\npaths: {/a: [1, 2\n", "spec"),
            ("swagger: '2.0'\npaths: {}\n", "openapi"),
            ("openapi: 3.0.0\ninfo: {title: x, version: '1'}\n", "paths"),
            (PETSTORE.replace("/pets/{petId}:", "/pets/{pet-id}:"), "paths./pets/{pet-id}.get"),
        ]
        for spec, location in cases:
            with self.subTest(location=location):
                error = self.import_spec(spec, status=400, domain=host)
                details = error["details"]
                first = details.get("location") or details["errors"][0]["location"]
                self.assertEqual(first, location, error)
        self.assertEqual(self.endpoints(domain=host), [])

    def test_bad_yaml_reports_line_and_column(self):
        error = self.import_spec("openapi: 3.0.0\npaths:\n  /a: {get: [\n", status=400)
        self.assertEqual(error["details"]["field"], "spec")
        self.assertGreaterEqual(error["details"]["errors"][0]["line"], 3)
        self.assertIn("line", error["error"])

    def test_one_failing_operation_fails_the_whole_import(self):
        host = domain()
        spec = PETSTORE.replace("components:\n",
                                "  /pets/{other}/x:\n    get: {operationId: fine}\ncomponents:\n")
        spec = spec.replace("/pets/{petId}:", "/pets/{petId}/x:")  # same route as /pets/{other}/x
        error = self.import_spec(spec, status=409, domain=host)
        self.assertEqual(len(error["details"]["errors"]), 1, error)
        self.assertEqual(self.endpoints(domain=host), [])

    def test_an_unknown_field_or_a_missing_spec_is_rejected_naming_it(self):
        error = self.gw.admin_error("POST", "/api/import/openapi",
                                    json={"spec": PETSTORE, "colour": "red"})
        self.assert_field_error(error, "colour")
        error = self.gw.admin_error("POST", "/api/import/openapi", json={"domain": "x.test"})
        self.assert_field_error(error, "spec")

    def test_import_needs_a_key_with_the_import_scope(self):
        self.gw.admin_error("POST", "/api/import/openapi", json={"spec": PETSTORE}, key=None,
                            status=401)
        key = self.gw.admin_ok("POST", "/api/keys", status=201,
                               json={"label": "no-import", "scopes": ["endpoints:*"]})["key"]
        self.gw.admin_error("POST", "/api/import/openapi", json={"spec": PETSTORE}, key=key,
                            status=403)
        self.gw.admin_error("POST", "/api/import/bundle", body=make_bundles.bundle(), key=key,
                            headers={"Content-Type": "application/zip"}, status=403)
        importer = self.gw.admin_ok("POST", "/api/keys", status=201,
                                    json={"label": "importer", "scopes": ["import:write"]})["key"]
        data = self.gw.admin_ok("POST", "/api/import/openapi", key=importer,
                                json={"spec": PETSTORE, "domain": domain()})
        self.assertEqual(data["counts"]["created"], 3)

    def test_create_collection_makes_one_collection_and_reuses_it(self):
        host = domain()
        d = self.gw.admin_ok("POST", "/api/domains", json={"name": "pets", "host": host},
                             status=201)
        first = self.import_spec(PETSTORE, domain_id=d["id"], create_collection=True)
        self.assertTrue(first["collection_created"])
        collection = first["collection_id"]
        self.assertEqual(self.gw.admin_ok("GET", f"/api/collections/{collection}")["name"],
                         "Swagger Petstore")
        again = self.import_spec(PETSTORE, domain_id=d["id"], create_collection=True)
        self.assertEqual((again["collection_id"], again["collection_created"]),
                         (collection, False))
        self.assertEqual(again["counts"]["unchanged"], 3)
        self.assertEqual(len(self.endpoints(collection_id=collection)), 3)

    def test_unknown_domain_or_collection_ids_are_rejected_naming_the_field(self):
        for field in ("domain_id", "collection_id"):
            with self.subTest(field=field):
                error = self.import_spec(PETSTORE, status=400, **{field: str(uuid.uuid4())})
                self.assert_field_error(error, field)


class BundleImportTest(ImportTestCase):

    def all_endpoint_ids(self):
        return {e["id"] for e in self.endpoints()}

    def test_handlers_are_matched_compiled_and_started(self):
        host = domain()
        zip_bytes = make_bundles.bundle(
            handlers={"handlers/list_pets.cpp": LIST_PETS_CPP, "ShowPetById.cpp": SHOW_PET_CPP},
            manifest="name: petstore\nversion: 1.0.0\n")
        data = self.post_bundle(zip_bytes, f"domain={host}&compile=true&start=true")
        counts = data["counts"]
        self.assertEqual((counts["created"], counts["matched"], counts["compiled"],
                          counts["started"], counts["errors"]), (3, 2, 3, 3, 0), data)
        self.assertEqual(data["bundle"]["name"], "petstore")
        handlers = {e["name"]: e.get("handler") for e in data["created"]}
        self.assertEqual(handlers, {"listPets": "handlers/list_pets.cpp",
                                    "showPetById": "ShowPetById.cpp", "createPets": None})
        reply = self.gw.call("GET", "/pets", host=host)
        self.assertEqual((reply.status, json.loads(reply.body)), (200, [{"id": 1, "name": "rex"}]))
        reply = self.gw.call("GET", "/pets/5", host=host)
        self.assertEqual((reply.status, reply.body), (200, b"pet 5"))
        self.assert_stub(host, "POST", "/pets", "createPets")

    def test_a_multipart_upload_imports_without_deploying(self):
        host = domain()
        body, content_type = make_bundles.multipart(
            "file", "b.zip", make_bundles.bundle(handlers={"list_pets.cpp": LIST_PETS_CPP}))
        data = self.post_bundle(body, f"domain={host}", content_type=content_type)
        self.assertEqual(data["counts"]["created"], 3)
        self.assertEqual(data["counts"]["compiled"], 0)
        stored = self.by_name(host)
        self.assertEqual(stored["listPets"]["status"], "created")
        self.assertEqual(self.gw.endpoint(stored["listPets"]["id"])["code"], LIST_PETS_CPP)

    def test_reimporting_a_bundle_updates_the_handlers_code(self):
        host = domain()
        self.post_bundle(make_bundles.bundle(), f"domain={host}")
        data = self.post_bundle(make_bundles.bundle(handlers={"list_pets.cpp": LIST_PETS_CPP}),
                                f"domain={host}")
        self.assertEqual([e["name"] for e in data["updated"]], ["listPets"])
        self.assertEqual(data["counts"]["unchanged"], 2)
        self.assertEqual(len(self.by_name(host)), 3)

    def test_malicious_zips_are_rejected_and_change_nothing(self):
        expected = {"zip_slip": "../../evil.cpp", "absolute_path": "/etc/edgegate-pwned.cpp",
                    "symlink": "list_pets.cpp", "zip_bomb": "assets/bomb.bin",
                    "too_many_files": "bundle"}
        for name, build in make_bundles.MALICIOUS.items():
            with self.subTest(bundle=name):
                before = self.all_endpoint_ids()
                error = self.post_bundle(build(), f"domain={domain()}&compile=true&start=true",
                                         status=400)
                entries = [e["entry"] for e in error["details"]["errors"]]
                self.assertIn(expected[name], entries, error)
                self.assertEqual(self.all_endpoint_ids(), before)

    def test_zip_slip_lists_every_bad_entry(self):
        error = self.post_bundle(make_bundles.zip_slip(), status=400)
        entries = {e["entry"] for e in error["details"]["errors"]}
        self.assertEqual(entries, {"../../evil.cpp", "handlers/../../../etc/cron.cpp"})

    def test_a_handler_matching_no_operation_fails_the_import(self):
        host = domain()
        zip_bytes = make_bundles.bundle(handlers={"list_pets.cpp": LIST_PETS_CPP,
                                                  "delete_everything.cpp": BROKEN_CPP})
        error = self.post_bundle(zip_bytes, f"domain={host}", status=400)
        self.assertEqual([e["entry"] for e in error["details"]["errors"]],
                         ["delete_everything.cpp"])
        self.assertEqual(self.endpoints(domain=host), [])

    def test_a_compile_failure_is_reported_per_handler_and_the_import_stays(self):
        host = domain()
        zip_bytes = make_bundles.bundle(handlers={"list_pets.cpp": BROKEN_CPP})
        error = self.post_bundle(zip_bytes, f"domain={host}&compile=true&start=true", status=422)
        failures = error["details"]["errors"]
        self.assertEqual([f["operation"] for f in failures], ["listPets"])
        self.assertEqual(failures[0]["diagnostics"][0]["line"], 5)
        self.assertEqual(error["details"]["counts"]["started"], 2)
        self.assertEqual(len(self.by_name(host)), 3)  # committed before compiling
        self.assert_stub(host, "GET", "/pets/1", "showPetById")

    def test_manifest_values_are_never_expanded_from_the_environment(self):
        manifest = "name: ${EDGEGATE_ADMIN_KEY}\nversion: $HOME\n"
        data = self.post_bundle(make_bundles.bundle(manifest=manifest), f"domain={domain()}")
        self.assertEqual(data["bundle"]["name"], "${EDGEGATE_ADMIN_KEY}")
        self.assertEqual(data["bundle"]["version"], "$HOME")
        self.assertNotIn(self.gw.admin_key, json.dumps(data))

    def test_an_invalid_spec_in_a_bundle_names_the_file_and_location(self):
        spec = PETSTORE.replace("#/components/schemas/Error", "#/components/schemas/Oops")
        zip_bytes = make_bundles.bundle(spec=spec, spec_name="api/openapi.yaml")
        error = self.post_bundle(zip_bytes, status=400)
        self.assertIn("api/openapi.yaml", error["error"])
        self.assertEqual(error["details"]["errors"][0]["file"], "api/openapi.yaml")

    def test_bad_uploads_are_rejected(self):
        self.post_bundle(b"not a zip", status=400)
        self.post_bundle(b"", status=400)
        self.post_bundle(make_bundles.bundle(), content_type="text/plain", status=400)
        body, content_type = make_bundles.multipart("other", "b.zip", make_bundles.bundle())
        self.post_bundle(body, content_type=content_type, status=400)
        self.post_bundle(make_bundles.bundle(), "compile=maybe", status=400)
        error = self.post_bundle(make_bundles.bundle(), "colour=red", status=400)
        self.assert_field_error(error, "colour")


if __name__ == "__main__":
    unittest.main()
