"""HTTP/1.1 behaviour of the data plane, on raw sockets: size limits (431, 413), the header
timeout (408), request-smuggling shapes and malformed framing (400 + close), chunked bodies,
pipelining, keep-alive, Connection: close, Expect: 100-continue, Date and Content-Length.

Uses the hello and json_echo examples as handlers.
"""

import email.utils
import json
import select
import socket
import time
import unittest

from harness import EXAMPLES, GatewayTestCase, chunked, fill_route, parse_all, read_route
from harness import raw_request as req

DEFAULT_MAX_HEADER = 16384
DEFAULT_MAX_BODY = 1048576


def json_post(target, document, *header_lines):
    body = json.dumps(document).encode()
    return req("POST", target, "Content-Type: application/json",
               f"Content-Length: {len(body)}", *header_lines, body=body)


class ExamplesGatewayTestCase(GatewayTestCase):
    """A shared gateway serving the hello and json_echo examples on domain `*`."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for stem in ("hello", "json_echo"):
            cls.gw.deploy_example(stem)
        cls.hello_route = read_route(EXAMPLES / "hello.cpp")[1]
        cls.echo = fill_route(read_route(EXAMPLES / "json_echo.cpp")[1])

    def hello(self, name):
        return fill_route(self.hello_route, name=name)

    def send_oversized(self, head, body_pieces=()):
        """Sends `head`, then body pieces until the gateway answers or closes; returns the
        first response. Tolerates a gateway that answers before reading everything."""
        with self.gw.connect() as client:
            client.send(head)
            for piece in body_pieces:
                if select.select([client.sock], [], [], 0)[0]:
                    break
                try:
                    client.send(piece)
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    break
            return client.read_response()

    def assert_400_and_closed(self, data):
        received, closed = self.gw.raw(data)
        responses, _ = parse_all(received)
        self.assertEqual(len(responses), 1, f"exactly one answer wanted: {received[:500]!r}")
        self.assert_json_error(responses[0], 400)
        self.assertTrue(closed, "the connection must be closed after a 400")


class DefaultLimitsTest(ExamplesGatewayTestCase):

    def test_a_header_section_over_16_KiB_answers_431(self):
        cases = {
            "one big header": [f"X-Big: {'a' * (DEFAULT_MAX_HEADER + 100)}"],
            "many headers": [f"X-Many-{i}: {'b' * 40}" for i in range(DEFAULT_MAX_HEADER // 40)],
        }
        for name, lines in cases.items():
            with self.subTest(name):
                response = self.send_oversized(req("GET", self.hello("big"), *lines))
                self.assert_json_error(response, 431)

    def test_a_header_section_under_the_limit_is_served(self):
        response = self.gw.raw(req("GET", self.hello("fits"), f"X-Fits: {'c' * 12000}"),
                               read_until_close=False)
        self.assertEqual((response.status, response.body), (200, b"hello fits"))

    def test_a_body_over_1_MiB_answers_413(self):
        pieces = [b"x" * 65536] * (DEFAULT_MAX_BODY // 65536) + [b"x"]  # one byte too many
        with self.subTest("content-length"):
            head = req("POST", self.echo, "Content-Type: application/json",
                       f"Content-Length: {DEFAULT_MAX_BODY + 1}")
            self.assert_json_error(self.send_oversized(head, pieces), 413)
        with self.subTest("chunked"):
            head = req("POST", self.echo, "Content-Type: application/json",
                       "Transfer-Encoding: chunked")
            chunks = [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces] + [b"0\r\n\r\n"]
            self.assert_json_error(self.send_oversized(head, chunks), 413)

    def test_a_body_of_exactly_1_MiB_is_served(self):
        filler = DEFAULT_MAX_BODY - len(json.dumps({"s": ""}))
        document = {"s": "y" * filler}
        data = json_post(self.echo, document, "Connection: close")
        self.assertEqual(len(data) - data.index(b"\r\n\r\n") - 4, DEFAULT_MAX_BODY)
        with self.gw.connect(timeout=30) as client:
            client.send(data)
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["echo"], document)

    def test_conflicting_content_length_and_transfer_encoding_answer_400_and_close(self):
        smuggled = b"0\r\n\r\n" + req("GET", self.hello("smuggled"))
        for order in (("Content-Length: 5", "Transfer-Encoding: chunked"),
                      ("Transfer-Encoding: chunked", "Content-Length: 5")):
            with self.subTest(order=order):
                self.assert_400_and_closed(req("POST", self.echo, *order, body=smuggled))

    def test_duplicate_content_lengths_answer_400_and_close(self):
        for values in (("5", "6"), ("5", "5")):
            with self.subTest(values=values):
                self.assert_400_and_closed(req("POST", self.echo,
                                               *(f"Content-Length: {v}" for v in values),
                                               body=b"hello!"))

    def test_an_invalid_content_length_answers_400_and_closes(self):
        for value in ("-1", "abc", "1 2"):
            with self.subTest(value=value):
                self.assert_400_and_closed(req("POST", self.echo, f"Content-Length: {value}",
                                               body=b"x"))

    def test_a_malformed_request_line_answers_400_and_closes(self):
        for line in (b"GARBAGE", b"GET /hello/x", b"GET /hello/x HTTP/1.1 extra",
                     b"G\x01T /hello/x HTTP/1.1", b"GET hello HTTP/x.y"):
            with self.subTest(line=line):
                self.assert_400_and_closed(line + b"\r\nHost: 127.0.0.1\r\n\r\n")

    def test_a_bad_chunk_size_answers_400_and_closes(self):
        for body in (b"zz\r\nhello\r\n0\r\n\r\n", b"-5\r\nhello\r\n0\r\n\r\n"):
            with self.subTest(body=body):
                self.assert_400_and_closed(req("POST", self.echo, "Transfer-Encoding: chunked",
                                               body=body))

    def test_a_chunked_body_reaches_the_handler_intact(self):
        document = {"text": "split across chunks \u2713", "numbers": list(range(50))}
        raw = json.dumps(document).encode()
        pieces = (raw[:1], raw[1:7], raw[7:100], raw[100:])
        response = self.gw.raw(req("POST", self.echo, "Content-Type: application/json",
                                   "Transfer-Encoding: chunked", body=chunked(*pieces)),
                               read_until_close=False)
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["echo"], document)

    def test_pipelined_requests_are_answered_in_order(self):
        data = (req("GET", self.hello("one"))
                + json_post(self.echo, {"n": 2})
                + req("GET", self.hello("three"), "Connection: close"))
        received, closed = self.gw.raw(data)
        responses, leftover = parse_all(received)
        self.assertTrue(closed)
        self.assertEqual(leftover, b"")
        self.assertEqual([r.status for r in responses], [200, 200, 200], responses)
        self.assertEqual(responses[0].body, b"hello one")
        self.assertEqual(responses[1].json()["echo"], {"n": 2})
        self.assertEqual(responses[2].body, b"hello three")

    def test_a_connection_is_kept_alive_by_default(self):
        with self.gw.connect() as client:
            for name in ("first", "second", "third"):
                client.send(req("GET", self.hello(name)))
                response = client.read_response()
                self.assertEqual((response.status, response.body), (200, f"hello {name}".encode()))
            self.assertFalse(client.closed)

    def test_connection_close_is_honoured(self):
        received, closed = self.gw.raw(req("GET", self.hello("bye"), "Connection: close"))
        self.assertTrue(closed, "the gateway must close after Connection: close")
        responses, _ = parse_all(received)
        self.assertEqual([(r.status, r.body) for r in responses], [(200, b"hello bye")])

    def test_expect_100_continue_gets_100_before_the_body_is_sent(self):
        body = json.dumps({"continued": True}).encode()
        with self.gw.connect() as client:
            client.send(req("POST", self.echo, "Content-Type: application/json",
                            f"Content-Length: {len(body)}", "Expect: 100-continue"))
            interim = client.read_response(timeout=5)
            self.assertEqual(interim.status, 100, interim)
            client.send(body)
            final = client.read_response()
        self.assertEqual(final.status, 200, final)
        self.assertEqual(final.json()["echo"], {"continued": True})

    def test_responses_carry_date_and_content_length(self):
        for target, status in ((self.hello("dated"), 200), ("/no/such/route", 404)):
            with self.subTest(target=target):
                response = self.gw.raw(req("GET", target), read_until_close=False)
                self.assertEqual(response.status, status)
                self.assertEqual(response.header("Content-Length"), str(len(response.body)))
                date = email.utils.parsedate_to_datetime(response.header("Date"))
                self.assertLess(abs(time.time() - date.timestamp()), 300)


class SmallLimitsTest(ExamplesGatewayTestCase):
    """The limit flags change the limits; the header timeout is short enough to test 408."""

    gateway_args = ("--header-timeout-ms", "500", "--idle-timeout-ms", "1000",
                    "--max-header-bytes", "4096", "--max-body-bytes", "1024")

    def test_the_max_header_bytes_flag_sets_the_431_limit(self):
        response = self.send_oversized(req("GET", self.hello("x"), f"X-Big: {'a' * 5000}"))
        self.assert_json_error(response, 431)

    def test_the_max_body_bytes_flag_sets_the_413_limit(self):
        body = json.dumps({"s": "z" * 2000}).encode()
        head = req("POST", self.echo, "Content-Type: application/json",
                   f"Content-Length: {len(body)}")
        self.assert_json_error(self.send_oversized(head, [body]), 413)

    def test_an_incomplete_header_section_answers_408_and_closes(self):
        with self.gw.connect() as client:
            client.send(f"GET {self.hello('slow')} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            received = client.read_until_close(timeout=10)
            self.assertTrue(client.closed, "the gateway must close after a 408")
        responses, _ = parse_all(received)
        self.assertEqual([r.status for r in responses], [408], received[:300])
        self.assert_json_error(responses[0], 408)

    def test_a_header_section_trickling_in_past_the_timeout_answers_408(self):
        # Slowloris: each line arrives quickly, the whole section does not.
        with self.gw.connect() as client:
            client.send(f"GET {self.hello('slow')} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            for i in range(50):  # up to 5 s, ten times the timeout
                if select.select([client.sock], [], [], 0.1)[0]:
                    break
                try:
                    client.send(f"X-Trickle-{i}: y\r\n".encode())
                except (BrokenPipeError, ConnectionResetError):
                    break
            response = client.read_response(timeout=10)
        self.assert_json_error(response, 408)

    def test_an_idle_keep_alive_connection_is_closed(self):
        with self.gw.connect() as client:
            client.send(req("GET", self.hello("idle")))
            self.assertEqual(client.read_response().status, 200)
            client.read_until_close(timeout=15)
            self.assertTrue(client.closed, "an idle connection must be closed by the gateway")


if __name__ == "__main__":
    unittest.main()
