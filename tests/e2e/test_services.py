"""Service actors end to end: services created, activated and bound through the admin API, and
reached by a deployed handler (tests/e2e/handlers/service_probe.cpp) over HTTP. The embedded
backends (sqlite, memory, files, outbox) always run; the real ones (PostgreSQL, MariaDB, Redis,
Memcached, Swift s3api, SMTP, vsftpd, sshd SFTP) come from scripts/backends/up.sh (make test
starts them; a missing one fails the test there, and is skipped elsewhere).
"""

import json
import os
import pathlib
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import backends
from harness import GatewayTestCase, unique

PROBE = (pathlib.Path(__file__).parent / "handlers" / "service_probe.cpp").read_text()
ALL_BYTES = bytes(range(256))
UNICODE = "Grüße, 世界 🚀 ünïcödé"


class ServiceTestCase(GatewayTestCase):
    """A gateway with the probe handler deployed at /probe/... and /blob/..."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory(prefix="eg-svc-")
        probe = cls.gw.create_and_deploy(unique("probe"), "/probe/{kind}/{name}/{op}", PROBE,
                                         method="POST")
        blob_put = cls.gw.create_and_deploy(unique("blob-put"), "/blob/{kind}/{name}/{*key}",
                                            PROBE, method="PUT")
        blob_get = cls.gw.create_and_deploy(unique("blob-get"), "/blob/{kind}/{name}/{*key}",
                                            PROBE, method="GET")
        cls.endpoints = [probe["id"], blob_put["id"], blob_get["id"]]

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.tmp.cleanup()

    # -- admin helpers --------------------------------------------------------------------------

    def add_service(self, service_type, config, name=None, activate=True, bind=True):
        """Creates (and by default activates and binds to the probe endpoints) a service."""
        name = name or unique(service_type)
        svc = self.gw.admin_ok("POST", "/api/services", status=201,
                               json={"name": name, "service_type": service_type,
                                     "config": config})
        if activate:
            self.gw.admin_ok("POST", f"/api/services/{svc['id']}/activate")
        if bind:
            for endpoint in self.endpoints:
                self.gw.admin_ok("POST", f"/api/endpoints/{endpoint}/services", status=201,
                                 json={"service_id": svc["id"], "pool_id": name})
        return name, svc["id"]

    def probe(self, kind, name, op, *args, uncaught=False, timeout=30):
        """POST /probe/kind/name/op with `args`; returns (status, parsed body)."""
        path = f"/probe/{kind}/{name}/{op}" + ("?uncaught=1" if uncaught else "")
        reply = self.gw.call("POST", path, body=json.dumps(list(args)),
                             headers={"Content-Type": "application/json"}, timeout=timeout)
        try:
            return reply.status, json.loads(reply.body)
        except ValueError:
            return reply.status, reply.body

    def ok(self, kind, name, op, *args):
        status, body = self.probe(kind, name, op, *args)
        self.assertEqual(status, 200, f"{kind} {name} {op} {args!r}: {body!r}")
        return body["result"]

    def error(self, kind, name, op, *args, status=None, code=None):
        got, body = self.probe(kind, name, op, *args)
        self.assertNotEqual(got, 200, body)
        if status is not None:
            self.assertEqual(got, status, body)
        if code is not None:
            self.assertEqual(body["code"], code, body)
        return body["error"]

    def blob_round_trip(self, kind, name, key, data=ALL_BYTES * 4, query=""):
        put = self.gw.call("PUT", f"/blob/{kind}/{name}/{key}{query}", body=data)
        self.assertEqual(put.status, 204, put.body)
        got = self.gw.call("GET", f"/blob/{kind}/{name}/{key}{query}")
        self.assertEqual(got.status, 200, got.body)
        self.assertEqual(got.body, data)


# ---- databases ---------------------------------------------------------------------------------

class DatabaseChecks:
    """The same checks for every database; subclasses set up `self.db` and the dialect."""
    placeholder = "?"  # PostgreSQL: $n
    blob_type = "BLOB"
    text_type = "TEXT"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    table_options = ""

    def p(self, n):
        return f"${n}" if self.placeholder == "$" else "?"

    def make_table(self):
        table = unique("t").replace("-", "_")
        self.ok("db", self.db, "execute",
                f"CREATE TABLE {table} (id {self.serial}, name {self.text_type}, "
                f"data {self.blob_type}, n INTEGER, x DOUBLE PRECISION){self.table_options}")
        return table

    def test_round_trip_of_typed_values_unicode_and_nulls(self):
        t = self.make_table()
        ins = self.ok("db", self.db, "execute",
                      f"INSERT INTO {t} (name, data, n, x) VALUES "
                      f"({self.p(1)}, {self.p(2)}, {self.p(3)}, {self.p(4)})",
                      UNICODE, "bytes ok", 42, 2.5)
        self.assertEqual(ins["affected_rows"], 1)
        self.ok("db", self.db, "execute",
                f"INSERT INTO {t} (name, data, n, x) VALUES ({self.p(1)}, {self.p(2)}, "
                f"{self.p(3)}, {self.p(4)})", None, None, None, None)
        rows = self.ok("db", self.db, "query",
                       f"SELECT name, n, x FROM {t} ORDER BY id")["rows"]
        self.assertEqual(rows[0], {"name": UNICODE, "n": 42, "x": 2.5})
        self.assertEqual(rows[1], {"name": None, "n": None, "x": None})

    def test_binary_bytes_round_trip_through_a_bound_parameter(self):
        query = f"?type={self.blob_type}" + ("&ph=dollar" if self.placeholder == "$" else "")
        self.blob_round_trip("db", self.db, unique("blob"), query=query)
        self.blob_round_trip("db", self.db, unique("text"), UNICODE.encode(), query=query)

    def test_sql_injection_stays_a_parameter(self):
        t = self.make_table()
        evil = f"x'); DROP TABLE {t}; --"
        self.ok("db", self.db, "execute", f"INSERT INTO {t} (name) VALUES ({self.p(1)})", evil)
        rows = self.ok("db", self.db, "query",
                       f"SELECT name FROM {t} WHERE name = {self.p(1)}", evil)["rows"]
        self.assertEqual(rows, [{"name": evil}])

    def test_backend_errors_carry_the_backends_message(self):
        message = self.error("db", self.db, "query", "SELEC nonsense", status=502, code=6)
        self.assertIn("syntax", message.lower())
        missing = self.error("db", self.db, "query", "SELECT * FROM no_such_table_here",
                             status=502, code=6)
        self.assertIn("no_such_table_here", missing)

    def test_transactions_commit_and_roll_back(self):
        t = self.make_table()
        insert = f"INSERT INTO {t} (name) VALUES ({self.p(1)})"
        count = f"SELECT COUNT(*) AS c FROM {t}"
        self.ok("db", self.db, "tx", False, [insert, "rolled back"])
        self.assertEqual(self.ok("db", self.db, "query", count)["rows"], [{"c": 0}])
        inside = self.ok("db", self.db, "tx", True, [insert, "kept"], [count])
        self.assertEqual(inside["rows"], [{"c": 1}])
        self.assertEqual(self.ok("db", self.db, "query", count)["rows"], [{"c": 1}])
        # A transaction the handler leaves open is rolled back by the gateway.
        self.ok("db", self.db, "tx_abandon", insert, "abandoned")
        self.gw.wait_for(lambda: self.ok("db", self.db, "query", count)["rows"] == [{"c": 1}],
                         5, "the abandoned transaction to roll back")


class SqliteTest(DatabaseChecks, ServiceTestCase):

    def setUp(self):
        if not hasattr(type(self), "db_name"):
            type(self).db_name, _ = self.add_service(
                "sqlite", {"path": os.path.join(self.tmp.name, "app.db")})
        self.db = self.db_name

    def test_last_insert_id_and_binary_blob(self):
        t = self.make_table()
        first = self.ok("db", self.db, "execute", f"INSERT INTO {t} (name) VALUES (?)", "a")
        second = self.ok("db", self.db, "execute", f"INSERT INTO {t} (name) VALUES (?)", "b")
        self.assertEqual(second["last_insert_id"], first["last_insert_id"] + 1)


class PostgresTest(DatabaseChecks, ServiceTestCase):
    placeholder = "$"
    blob_type = "BYTEA"
    serial = "SERIAL PRIMARY KEY"

    def setUp(self):
        backends.require("postgres")
        if not hasattr(type(self), "db_name"):
            pg = backends.server("postgres")
            type(self).db_name, _ = self.add_service("postgres", {
                "host": pg["host"], "port": pg["port"], "database": pg["database"],
                "username": pg["user"], "password": pg["password"], "pool_size": 2})
        self.db = self.db_name

    def test_wrong_password_is_reported_by_test(self):
        pg = backends.server("postgres")
        _, sid = self.add_service("postgres", {
            "host": pg["host"], "port": pg["port"], "database": pg["database"],
            "username": pg["user"], "password": "wrong"}, activate=False, bind=False)
        result = self.gw.admin_ok("POST", f"/api/services/{sid}/test")
        self.assertIs(result["connected"], False)
        self.assertIn("password authentication failed", result["error"])

    def test_reconfigure_and_deactivate_let_in_flight_calls_finish(self):
        pg = backends.server("postgres")
        config = {"host": pg["host"], "port": pg["port"], "database": pg["database"],
                  "username": pg["user"], "password": pg["password"], "pool_size": 1}
        name, sid = self.add_service("postgres", config)
        slow = "SELECT 1 AS one FROM pg_sleep(0.8)"

        def in_flight(change):
            result = []
            t = threading.Thread(target=lambda: result.append(self.probe("db", name, "query",
                                                                         slow)))
            t.start()
            time.sleep(0.3)  # the query is running on the old actor
            change()
            t.join(30)
            self.assertEqual(result[0][0], 200, result)
            self.assertEqual(result[0][1]["result"]["rows"], [{"one": 1}])

        in_flight(lambda: self.gw.admin_ok("PUT", f"/api/services/{sid}",
                                           json={"config": {**config, "timeout_ms": 4000}}))
        self.assertEqual(self.ok("db", name, "query", "SELECT 2 AS two")["rows"], [{"two": 2}])
        in_flight(lambda: self.gw.admin_ok("POST", f"/api/services/{sid}/deactivate"))
        self.assertIn("not activated", self.error("db", name, "query", "SELECT 1", code=2))

    def test_a_full_inbox_answers_busy_and_the_gateway_stays_responsive(self):
        pg = backends.server("postgres")
        name, _ = self.add_service("postgres", {
            "host": pg["host"], "port": pg["port"], "database": pg["database"],
            "username": pg["user"], "password": pg["password"], "pool_size": 1,
            "queue_size": 1})
        results = []

        def slow():
            results.append(self.probe("db", name, "query", "SELECT pg_sleep(0.6)"))
        threads = [threading.Thread(target=slow) for _ in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        started = time.monotonic()
        health = self.gw.call("GET", "/probe-does-not-exist")
        self.assertEqual(health.status, 404)
        self.assertLess(time.monotonic() - started, 0.5, "the loop must stay responsive")
        for t in threads:
            t.join(30)
        busy = [body for status, body in results if status == 503 and body.get("code") == 3]
        done = [body for status, body in results if status == 200]
        self.assertGreaterEqual(len(busy), 1, results)
        self.assertGreaterEqual(len(done), 1, results)
        self.assertIn("busy", busy[0]["error"])


class MysqlTest(DatabaseChecks, ServiceTestCase):
    serial = "INTEGER PRIMARY KEY AUTO_INCREMENT"
    blob_type = "LONGBLOB"
    table_options = " DEFAULT CHARSET=utf8mb4"

    def setUp(self):
        backends.require("mariadb")
        if not hasattr(type(self), "db_name"):
            my = backends.server("mariadb")
            type(self).db_name, _ = self.add_service("mysql", {
                "host": my["host"], "port": my["port"], "database": my["database"],
                "username": my["user"], "password": my["password"]})
        self.db = self.db_name


# ---- caches ------------------------------------------------------------------------------------

class CacheChecks:

    def test_binary_values_round_trip(self):
        self.blob_round_trip("cache", self.cache, unique("bin"))

    def test_set_get_del_exists_incr_expire(self):
        key = unique("k")
        self.assertIsNone(self.ok("cache", self.cache, "get", key))
        self.ok("cache", self.cache, "set", key, UNICODE)
        self.assertEqual(self.ok("cache", self.cache, "get", key), UNICODE)
        self.assertIs(self.ok("cache", self.cache, "exists", key), True)
        self.assertIs(self.ok("cache", self.cache, "del", key), True)
        self.assertIs(self.ok("cache", self.cache, "del", key), False)
        self.assertIs(self.ok("cache", self.cache, "exists", key), False)
        counter = unique("n")
        self.assertEqual(self.ok("cache", self.cache, "incr", counter), 1)
        self.assertEqual(self.ok("cache", self.cache, "incr", counter, 41), 42)
        self.assertIs(self.ok("cache", self.cache, "expire", counter, 1), True)
        self.assertIs(self.ok("cache", self.cache, "expire", unique("none"), 1), False)
        self.gw.wait_for(lambda: self.ok("cache", self.cache, "get", counter) is None, 5,
                         "the key to expire")

    def test_ttl_on_set(self):
        key = unique("ttl")
        self.ok("cache", self.cache, "set", key, "v", 1)
        self.assertEqual(self.ok("cache", self.cache, "get", key), "v")
        self.gw.wait_for(lambda: self.ok("cache", self.cache, "get", key) is None, 5,
                         "the key to expire")


class MemoryCacheTest(CacheChecks, ServiceTestCase):

    def setUp(self):
        if not hasattr(type(self), "cache_name"):
            type(self).cache_name, _ = self.add_service("memory", {})
        self.cache = self.cache_name


class RedisTest(CacheChecks, ServiceTestCase):

    def setUp(self):
        backends.require("redis")
        if not hasattr(type(self), "cache_name"):
            type(self).cache_name, _ = self.add_service("redis", self.config())
        self.cache = self.cache_name

    @staticmethod
    def config(**overrides):
        r = backends.server("redis")
        return {"host": r["host"], "port": r["port"], "password": r["password"],
                "timeout_ms": 2000, **overrides}

    def test_backend_error_is_surfaced(self):
        key = unique("s")
        self.ok("cache", self.cache, "set", key, "not a number")
        message = self.error("cache", self.cache, "incr", key, status=502, code=6)
        self.assertIn("not an integer", message)

    def test_wrong_password_is_reported_by_test(self):
        _, sid = self.add_service("redis", self.config(password="wrong"), activate=False,
                                  bind=False)
        result = self.gw.admin_ok("POST", f"/api/services/{sid}/test")
        self.assertIs(result["connected"], False)
        self.assertTrue(result["error"], result)

    def test_a_redacted_secret_sent_back_keeps_the_stored_one(self):
        _, sid = self.add_service("redis", self.config(), bind=False)
        got = self.gw.admin_ok("GET", f"/api/services/{sid}")
        self.assertEqual(got["config"]["password"], "********")
        got["config"]["timeout_ms"] = 3000
        self.gw.admin_ok("PUT", f"/api/services/{sid}", json={"config": got["config"]})
        result = self.gw.admin_ok("POST", f"/api/services/{sid}/test")
        self.assertIs(result["connected"], True, result)

    def test_killed_backend_fails_fast_and_recovers(self):
        key = unique("live")
        self.ok("cache", self.cache, "set", key, "before")
        backends.stop("redis")
        try:
            # Requests keep flowing while redis is down: each fails within the 2 s timeout
            # (+ slack), none hangs, and the loop keeps answering other requests.
            outcomes = []

            def one():
                started = time.monotonic()
                status, body = self.probe("cache", self.cache, "get", key)
                outcomes.append((status, time.monotonic() - started, body))
            threads = [threading.Thread(target=one) for _ in range(8)]
            for t in threads:
                t.start()
            self.assertEqual(self.gw.call("GET", "/nothing-here").status, 404)
            for t in threads:
                t.join(10)
            self.assertEqual(len(outcomes), 8, outcomes)
            for status, elapsed, body in outcomes:
                self.assertIn(status, (503, 504), body)
                self.assertLess(elapsed, 3.0, body)
        finally:
            backends.start("redis")
        self.gw.wait_for(lambda: self.probe("cache", self.cache, "set", key, "after")[0] == 200,
                         20, "the actor to reconnect after redis restarted")
        self.assertEqual(self.ok("cache", self.cache, "get", key), "after")


class MemcachedTest(CacheChecks, ServiceTestCase):

    def setUp(self):
        backends.require("memcached")
        if not hasattr(type(self), "cache_name"):
            m = backends.server("memcached")
            type(self).cache_name, _ = self.add_service(
                "memcached", {"servers": [f"{m['host']}:{m['port']}"]})
        self.cache = self.cache_name


# ---- storage -----------------------------------------------------------------------------------

class StorageChecks:

    def test_binary_object_round_trip_and_metadata(self):
        key = f"dir/{unique('obj')}.bin"
        self.blob_round_trip("storage", self.storage, key)
        head = self.ok("storage", self.storage, "head", key)
        self.assertEqual(head["size"], 1024)
        self.assertEqual(head["content_type"], "application/x-test")
        self.assertTrue(head["etag"])

    def test_unicode_keys_list_and_delete(self):
        prefix = unique("list") + "/"
        for name in ("a.txt", "b.txt", "ü-名前.txt"):
            self.ok("storage", self.storage, "put", prefix + name, UNICODE, "text/plain")
        listed = self.ok("storage", self.storage, "list", prefix)
        self.assertEqual([o["key"] for o in listed],
                         [prefix + "a.txt", prefix + "b.txt", prefix + "ü-名前.txt"])
        got = self.ok("storage", self.storage, "get", prefix + "ü-名前.txt")
        self.assertEqual(got["body"], UNICODE)
        self.ok("storage", self.storage, "del", prefix + "a.txt")
        self.assertIsNone(self.ok("storage", self.storage, "get", prefix + "a.txt"))
        self.assertIsNone(self.ok("storage", self.storage, "head", prefix + "missing"))

    def test_keys_cannot_leave_the_root(self):
        for key in ("../escape", "/etc/passwd", "a/../../b"):
            message = self.error("storage", self.storage, "put", key, "x", status=500, code=7)
            self.assertIn("key", message)


class FilesTest(StorageChecks, ServiceTestCase):

    def setUp(self):
        if not hasattr(type(self), "storage_name"):
            type(self).storage_name, _ = self.add_service(
                "files", {"root": os.path.join(self.tmp.name, "files")})
        self.storage = self.storage_name


class S3Test(StorageChecks, ServiceTestCase):

    def setUp(self):
        backends.require("s3")
        if not hasattr(type(self), "storage_name"):
            type(self).storage_name, _ = self.add_service("s3", self.config())
        self.storage = self.storage_name

    @staticmethod
    def config(**overrides):
        s3 = backends.server("s3")
        return {"endpoint": s3["endpoint"], "access_key": s3["access_key"],
                "secret_key": s3["secret_key"], "bucket": s3["bucket"], "region": s3["region"],
                **overrides}

    def test_presigned_url_works_with_plain_http_and_expires(self):
        key = unique("signed") + ".txt"
        self.ok("storage", self.storage, "put", key, UNICODE, "text/plain")
        url = self.ok("storage", self.storage, "presigned_url", key, "GET", 2)
        with urllib.request.urlopen(url, timeout=10) as response:
            self.assertEqual(response.read().decode(), UNICODE)

        def refused():
            try:
                urllib.request.urlopen(url, timeout=10).read()
                return False
            except urllib.error.HTTPError as e:
                return e.code == 403
        self.gw.wait_for(refused, 10, "the presigned URL to expire")

    def test_wrong_secret_is_refused_with_s3s_reason(self):
        _, sid = self.add_service("s3", self.config(secret_key="wrong"), activate=False,
                                  bind=False)
        result = self.gw.admin_ok("POST", f"/api/services/{sid}/test")
        self.assertIs(result["connected"], False)
        self.assertIn("Signature", result["error"])


# ---- email -------------------------------------------------------------------------------------

MESSAGE = {"to": ["alice@example.com"], "cc": "carol@example.com", "bcc": ["bob@example.com"],
           "subject": "Grüße " + "🚀", "text": "plain " + UNICODE, "html": "<p>html</p>",
           "reply_to": "replies@example.com"}


class OutboxTest(ServiceTestCase):

    def test_send_writes_a_mime_message(self):
        outbox = os.path.join(self.tmp.name, "outbox")
        name, _ = self.add_service("outbox", {"directory": outbox,
                                              "from_address": "app@example.com"})
        message_id = self.ok("email", name, "send", MESSAGE)
        self.assertTrue(message_id)
        files = sorted(pathlib.Path(outbox).glob("*.eml"))
        self.assertEqual(len(files), 1)
        raw = files[0].read_text()
        self.assertIn("From: ", raw)
        self.assertIn("app@example.com", raw)
        self.assertIn("=?UTF-8?", raw)  # RFC 2047 subject
        self.assertIn("multipart/alternative", raw)
        self.assertNotIn("bob@example.com", raw.split("\r\n\r\n")[0])  # no Bcc header


class SmtpTest(ServiceTestCase):

    def test_send_through_smtp_is_captured_with_the_right_headers(self):
        backends.require("smtp")
        smtp = backends.server("smtp")
        name, _ = self.add_service("email", {
            "host": smtp["host"], "port": smtp["port"], "username": smtp["user"],
            "password": smtp["password"], "encryption": "none",
            "from_address": "app@example.com", "from_name": "Édgé App"})
        since = time.time() - 1
        self.ok("email", name, "send", MESSAGE)
        mail = [m for m in backends.wait_smtp_messages(1, since=since)
                if "alice@example.com" in m["to"]][-1]
        self.assertEqual(sorted(mail["to"]),
                         ["alice@example.com", "bob@example.com", "carol@example.com"])
        self.assertEqual(mail["auth_user"], smtp["user"])
        headers = mail["raw"].split("\r\n\r\n")[0]
        self.assertIn("Subject: =?UTF-8?", headers)
        self.assertNotIn("Bcc", headers)
        self.assertIn("multipart/alternative", headers)


# ---- ftp ---------------------------------------------------------------------------------------

class FtpChecks:

    def test_binary_round_trip_list_and_delete(self):
        folder = unique("d")
        self.blob_round_trip("ftp", self.ftp, f"{folder}/data.bin")
        self.ok("ftp", self.ftp, "put", f"{folder}/ü.txt", UNICODE)
        self.assertEqual(self.ok("ftp", self.ftp, "get", f"{folder}/ü.txt"), UNICODE)
        names = sorted(e["name"] for e in self.ok("ftp", self.ftp, "list", folder))
        self.assertEqual(names, ["data.bin", "ü.txt"])
        self.ok("ftp", self.ftp, "del", f"{folder}/data.bin")
        self.assertIsNone(self.ok("ftp", self.ftp, "get", f"{folder}/data.bin"))
        self.error("ftp", self.ftp, "get", "../etc/passwd", status=500, code=7)


class FtpTest(FtpChecks, ServiceTestCase):

    def setUp(self):
        backends.require("ftp")
        if not hasattr(type(self), "ftp_name"):
            f = backends.server("ftp")
            type(self).ftp_name, _ = self.add_service("ftp", {
                "host": f["host"], "port": f["port"], "username": f["user"],
                "password": f["password"], "protocol": "ftp"})
        self.ftp = self.ftp_name


class SftpTest(FtpChecks, ServiceTestCase):

    def setUp(self):
        backends.require("sftp")
        if not hasattr(type(self), "ftp_name"):
            type(self).ftp_name, _ = self.add_service("ftp", self.config())
        self.ftp = self.ftp_name

    @staticmethod
    def config(**overrides):
        f = backends.server("sftp")
        return {"host": f["host"], "port": f["port"], "username": f["user"],
                "password": f["password"], "protocol": "sftp",
                "host_key_sha256": f["host_key_sha256"], **overrides}

    def test_a_server_whose_host_key_differs_is_refused_and_test_says_why(self):
        fingerprint = self.config()["host_key_sha256"]
        wrong = "SHA256:" + ("B" if fingerprint[7] == "A" else "A") + fingerprint[8:]
        _, sid = self.add_service("ftp", self.config(host_key_sha256=wrong), activate=False,
                                  bind=False)
        result = self.gw.admin_ok("POST", f"/api/services/{sid}/test")
        self.assertIs(result["connected"], False)
        self.assertIn("fingerprint", result["error"], result)

    def test_a_malformed_host_key_fingerprint_is_refused_when_stored(self):
        error = self.gw.admin_error("POST", "/api/services", status=400, json={
            "name": unique("ftp"), "service_type": "ftp",
            "config": self.config(host_key_sha256="SHA256:tooshort")})
        self.assertEqual(error["details"]["field"], "config.host_key_sha256", error)


# ---- framework and admin API -------------------------------------------------------------------

class ServiceApiTest(ServiceTestCase):

    def test_unbound_unknown_and_inactive_services_are_clear_errors(self):
        status, body = self.probe("cache", "nobody-bound-this", "get", "k", uncaught=True)
        self.assertEqual(status, 503)
        self.assertIn("'nobody-bound-this' is not bound", body["error"])
        name, sid = self.add_service("memory", {}, activate=False)
        status, body = self.probe("cache", name, "get", "k", uncaught=True)
        self.assertEqual(status, 503)
        self.assertIn("not activated", body["error"])
        self.assertEqual(self.error("db", name, "query", "SELECT 1", code=1).count("cache"), 1)
        self.gw.admin_ok("POST", f"/api/services/{sid}/activate")
        self.assertIsNone(self.ok("cache", name, "get", "k"))
        self.gw.admin_ok("POST", f"/api/services/{sid}/deactivate")
        self.assertIn("not activated", self.error("cache", name, "get", "k", code=2))

    def test_validation_names_the_offending_field(self):
        cases = [
            ({"service_type": "memory"}, "name"),
            ({"name": "x"}, "service_type"),
            ({"name": "x", "service_type": "mongodb"}, "service_type"),
            ({"name": "bad name!", "service_type": "memory"}, "name"),
            ({"name": "x", "service_type": "sqlite", "config": {}}, "config.path"),
            ({"name": "x", "service_type": "redis", "config": {"port": "6379"}}, "config.port"),
            ({"name": "x", "service_type": "memory", "config": {"colour": 1}}, "config.colour"),
            ({"name": "x", "service_type": "memory", "config": []}, "config"),
        ]
        for body, field in cases:
            error = self.gw.admin_error("POST", "/api/services", json=body, status=400)
            self.assertEqual(error["details"]["field"], field, (body, error))

    def test_secrets_are_never_returned_and_survive_a_round_trip(self):
        name, sid = self.add_service("redis", {"host": "127.0.0.1", "port": 1,
                                               "password": "s3cret"}, activate=False, bind=False)
        for data in (self.gw.admin_ok("GET", f"/api/services/{sid}"),
                     *[s for s in self.gw.admin_ok("GET", "/api/services") if s["id"] == sid]):
            self.assertEqual(data["config"]["password"], "********")
            self.assertNotIn("s3cret", json.dumps(data))
        got = self.gw.admin_ok("GET", f"/api/services/{sid}")
        got["config"]["port"] = 2
        updated = self.gw.admin_ok("PUT", f"/api/services/{sid}", json={"config": got["config"]})
        self.assertEqual(updated["config"]["port"], 2)
        self.assertEqual(updated["config"]["password"], "********")

    def test_deleting_a_bound_service_conflicts(self):
        name, sid = self.add_service("memory", {})
        error = self.gw.admin_error("DELETE", f"/api/services/{sid}", status=409)
        self.assertIn("bound", error["error"])
        for endpoint in self.endpoints:
            self.gw.admin_ok("DELETE", f"/api/endpoints/{endpoint}/services/{sid}")
        self.gw.admin_ok("DELETE", f"/api/services/{sid}")
        self.gw.admin_error("GET", f"/api/services/{sid}", status=404)

    def test_a_call_past_its_timeout_fails_with_504(self):
        name, _ = self.add_service("sqlite", {"path": os.path.join(self.tmp.name, "slow.db"),
                                              "timeout_ms": 200, "pool_size": 1})
        slow = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 30000000) SELECT COUNT(*) AS n FROM c")
        started = time.monotonic()
        message = self.error("db", name, "query", slow, status=504, code=5)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertIn("200 ms", message)

    def test_config_change_restarts_the_actor_and_activation_survives_a_restart(self):
        db_path = os.path.join(self.tmp.name, "restart.db")
        name, sid = self.add_service("sqlite", {"path": db_path})
        self.ok("db", name, "execute", "CREATE TABLE IF NOT EXISTS r (v TEXT)")
        self.ok("db", name, "execute", "INSERT INTO r VALUES (?)", "one")
        other = os.path.join(self.tmp.name, "restart2.db")
        self.gw.admin_ok("PUT", f"/api/services/{sid}", json={"config": {"path": other}})
        self.error("db", name, "query", "SELECT v FROM r", status=502)  # a new, empty file
        self.gw.admin_ok("PUT", f"/api/services/{sid}", json={"config": {"path": db_path}})
        self.gw.restart()
        self.assertEqual(self.ok("db", name, "query", "SELECT v FROM r")["rows"], [{"v": "one"}])
        self.assertEqual(self.gw.admin_ok("GET", f"/api/services/{sid}")["status"], "active")

    def test_service_figures_reach_the_api_and_metrics(self):
        name, sid = self.add_service("sqlite", {"path": os.path.join(self.tmp.name, "m.db")})
        for _ in range(3):
            self.ok("db", name, "query", "SELECT 1 AS one")
        self.error("db", name, "query", "SELEC", status=502)
        stats = self.gw.admin_ok("GET", f"/api/services/{sid}")["stats"]
        self.assertEqual((stats["calls"], stats["errors"]), (4, 1))
        self.assertIn("syntax", stats["last_error"])
        self.assertEqual(sum(b["count"] for b in stats["latency_buckets"]), 4)
        text = self.gw.admin("GET", "/metrics").data
        text = text.decode() if isinstance(text, bytes) else json.dumps(text)
        from prometheus_client.parser import text_string_to_metric_families
        samples = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.labels.get("service") == name:
                    samples[(s.name, s.labels.get("le"))] = s.value
        self.assertEqual(samples[("edgegate_service_calls_total", None)], 4)
        self.assertEqual(samples[("edgegate_service_errors_total", None)], 1)
        self.assertEqual(samples[("edgegate_service_call_duration_seconds_count", None)], 4)
        self.assertEqual(samples[("edgegate_service_call_duration_seconds_bucket", "+Inf")], 4)
        self.assertEqual(samples[("edgegate_service_inbox_depth", None)], 0)

    def test_routes_need_keys_with_the_services_scope(self):
        self.gw.admin_error("GET", "/api/services", key=None, status=401)
        key = self.gw.admin_ok("POST", "/api/keys", status=201,
                               json={"label": "ep", "scopes": ["endpoints:read"]})["key"]
        self.gw.admin_error("GET", "/api/services", key=key, status=403)
        self.gw.admin_error("POST", "/api/services", key=key, status=403,
                            json={"name": "x", "service_type": "memory"})


if __name__ == "__main__":
    unittest.main()
