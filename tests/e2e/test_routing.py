"""Data-plane routing against the real binary: host precedence (exact > *.suffix > *), path
precedence (literal > {param} > {*rest}), 404 versus 405 with Allow, HEAD, decoded parameters.

Every endpoint answers a text naming itself, so a response tells which route matched.
"""

import unittest

from harness import GatewayTestCase, handler_source, parse_response, text_handler, unique


def echo_param(label, param):
    """A handler answering "<label> <decoded path parameter>"."""
    return handler_source(f'"{label} " + std::string(req.path_param("{param}").value_or(""))',
                          prelude="#include <string>\n")


# (domain, method, path, source)
ROUTES = [
    ("api.example.com", "GET", "/whoami", text_handler("exact")),
    ("*.example.com", "GET", "/whoami", text_handler("suffix")),
    ("*", "GET", "/whoami", text_handler("star")),
    ("paths.test", "GET", "/files/special", text_handler("literal")),
    ("paths.test", "GET", "/files/{name}", echo_param("param", "name")),
    ("paths.test", "GET", "/files/{*rest}", echo_param("rest", "rest")),
    ("methods.test", "GET", "/only-get", text_handler("get")),
    ("methods.test", "GET", "/two", text_handler("get")),
    ("methods.test", "DELETE", "/two", text_handler("delete")),
]


class RoutingTest(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for domain, method, path, source in ROUTES:
            cls.gw.create_and_deploy(unique("route"), path, source, method=method, domain=domain)

    def get(self, host, path, method="GET"):
        return self.gw.call(method, path, host=host)

    def assert_body(self, host, path, body):
        reply = self.get(host, path)
        self.assertEqual((reply.status, reply.body), (200, body), f"Host {host} {path}")

    def test_an_exact_host_beats_a_wildcard_suffix_which_beats_any_host(self):
        self.assert_body("api.example.com", "/whoami", b"exact")
        self.assert_body("other.example.com", "/whoami", b"suffix")
        self.assert_body("unknown.org", "/whoami", b"star")
        self.assert_body(f"127.0.0.1:{self.gw.port}", "/whoami", b"star")

    def test_the_host_match_ignores_the_port_and_letter_case(self):
        self.assert_body("API.Example.COM:8080", "/whoami", b"exact")
        self.assert_body("api.example.com:1", "/whoami", b"exact")
        self.assert_body("Other.EXAMPLE.com:4443", "/whoami", b"suffix")

    def test_a_literal_segment_beats_a_parameter_which_beats_a_catch_all(self):
        self.assert_body("paths.test", "/files/special", b"literal")
        self.assert_body("paths.test", "/files/other", b"param other")
        reply = self.get("paths.test", "/files/a/b/c")
        self.assertEqual(reply.status, 200)
        self.assertTrue(reply.body.startswith(b"rest "), reply.body)
        self.assertTrue(reply.body.endswith(b"a/b/c"), reply.body)

    def test_path_parameters_are_percent_decoded(self):
        self.assert_body("paths.test", "/files/caf%C3%A9%20au%20lait",
                         "param caf\u00e9 au lait".encode())

    def test_an_unknown_path_answers_404_with_a_json_body(self):
        self.assert_json_error(self.get("paths.test", "/nothing/here"), 404)
        self.assert_json_error(self.get("unknown.org", "/nothing"), 404)

    def test_a_known_path_with_another_method_answers_405_with_allow(self):
        reply = self.get("methods.test", "/only-get", method="POST")
        self.assert_json_error(reply, 405)
        self.assertIn("GET", allowed(reply.headers))

        reply = self.get("methods.test", "/two", method="PUT")
        self.assert_json_error(reply, 405)
        self.assertTrue({"GET", "DELETE"} <= allowed(reply.headers), reply.headers)
        self.assertEqual(self.get("methods.test", "/two", method="DELETE").body, b"delete")

    def test_head_is_served_by_the_get_handler_with_the_same_headers_and_no_body(self):
        get = self.get("paths.test", "/files/heady")
        head = self.get("paths.test", "/files/heady", method="HEAD")
        self.assertEqual((get.status, get.body), (200, b"param heady"))
        self.assertEqual(head.status, 200)
        self.assertEqual(head.headers["Content-Length"], str(len(get.body)))
        self.assertEqual(head.headers["Content-Type"], get.headers["Content-Type"])
        self.assertEqual({k.lower() for k in head.headers}, {k.lower() for k in get.headers})

        # On the wire: nothing follows the header section of the HEAD answer.
        received, closed = self.gw.raw(b"HEAD /files/heady HTTP/1.1\r\nHost: paths.test\r\n"
                                       b"Connection: close\r\n\r\n")
        self.assertTrue(closed)
        response, rest = parse_response(received, head=True)
        self.assertEqual(response.status, 200)
        self.assertEqual(rest, b"", "a HEAD answer must carry no body")


def allowed(headers):
    """The methods in an Allow header, as a set."""
    return {m.strip().upper() for m in (headers.get("Allow") or "").split(",") if m.strip()}


if __name__ == "__main__":
    unittest.main()
