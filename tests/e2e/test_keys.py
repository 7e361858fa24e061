"""Admin API keys against the real binary: creation (the key is shown once), masking, scopes per
resource, escalation refused, enable / disable / delete, expiry, the last-admin-key guard, and
the rate limit on failed authentication.

Every request comes from 127.0.0.1, so failed attempts in one gateway add up against the same
address: tests that share a gateway make only a handful of failed attempts (well under the limit
of 10 per minute), and the rate-limit tests start gateways of their own.
"""

import datetime
import hashlib
import json
import re
import unittest

from harness import Gateway, GatewayTestCase

KEY_FIELDS = {"id", "label", "prefix", "scopes", "enabled", "expired", "created_at",
              "expires_at"}
KEY_PATTERN = re.compile(r"^eg_[0-9a-f]{48}$")
EXPIRY_TIMEOUT_S = 15
MAX_FAILURES = 10  # the gateway's default failed-authentication limit per address and minute


def iso_in(seconds):
    """An ISO 8601 UTC time `seconds` from now."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class KeysTest(GatewayTestCase):

    def create_key(self, scopes, label="test key", key=None, **fields):
        """POST /api/keys (as `key`, default the admin key); must answer 201. Returns the data."""
        body = {"label": label, "scopes": scopes, **fields}
        kwargs = {} if key is None else {"key": key}
        return self.gw.admin_ok("POST", "/api/keys", json=body, status=201, **kwargs)

    def assert_rejected(self, key, message_part):
        envelope = self.gw.admin_error("GET", "/api/endpoints", key=key, status=401)
        self.assertIn(message_part, envelope["error"])

    # -- creation and masking -----------------------------------------------------------------

    def test_a_created_key_is_shown_once_and_never_again(self):
        created = self.create_key(["endpoints:read"], label="ci reader")
        self.assertTrue(KEY_FIELDS | {"key"} <= created.keys(), created.keys())
        key = created["key"]
        self.assertRegex(key, KEY_PATTERN)
        self.assertEqual(created["prefix"], key[:8])
        self.assertEqual((created["label"], created["scopes"], created["enabled"]),
                         ("ci reader", ["endpoints:read"], True))
        self.assertIsNone(created["expires_at"])
        self.assertIs(created["expired"], False)

        listed = self.gw.admin_ok("GET", "/api/keys")
        shown = self.gw.admin_ok("GET", f"/api/keys/{created['id']}")
        self.assertIn(created["id"], [k["id"] for k in listed])
        self.assertEqual(shown["prefix"], key[:8])
        for answer in (listed, shown):
            text = json.dumps(answer)
            self.assertNotIn(key, text)
            self.assertNotIn(hashlib.sha256(key.encode()).hexdigest(), text)
        for item in listed + [shown]:
            self.assertEqual(set(item.keys()), KEY_FIELDS)

    def test_keys_are_never_logged(self):
        key = self.create_key(["endpoints:read"])["key"]
        self.gw.admin_ok("GET", "/api/endpoints", key=key)
        self.gw.admin_error("GET", "/api/endpoints", key=key + "0", status=401)
        logs = (self.gw.stdout_path.read_text(errors="replace")
                + self.gw.stderr_path.read_text(errors="replace"))
        self.assertNotIn(key, logs)
        self.assertNotIn(self.gw.admin_key, logs)

    def test_two_keys_differ(self):
        a = self.create_key(["endpoints:read"])
        b = self.create_key(["endpoints:read"])
        self.assertNotEqual(a["key"], b["key"])
        self.assertNotEqual(a["id"], b["id"])

    # -- scopes -------------------------------------------------------------------------------

    def test_a_key_works_within_its_scope_only(self):
        key = self.create_key(["endpoints:read"])["key"]
        self.assertIsInstance(self.gw.admin_ok("GET", "/api/endpoints", key=key), list)
        self.gw.admin_error("POST", "/api/endpoints", key=key, status=403,
                            json={"name": "nope", "path": "/nope", "method": "GET"})
        self.gw.admin_error("GET", "/api/keys", key=key, status=403)
        self.gw.admin_error("POST", "/api/keys", key=key, status=403,
                            json={"label": "x", "scopes": ["endpoints:read"]})

    def test_a_keys_read_key_can_list_but_not_create(self):
        key = self.create_key(["keys:read"])["key"]
        self.assertIsInstance(self.gw.admin_ok("GET", "/api/keys", key=key), list)
        self.gw.admin_error("POST", "/api/keys", key=key, status=403,
                            json={"label": "x", "scopes": ["keys:read"]})
        self.gw.admin_error("GET", "/api/endpoints", key=key, status=403)

    def test_invalid_scopes_are_rejected_naming_scopes(self):
        for scopes in (["endpoints:delete"], ["widgets:read"], ["endpoints"], [], ["*:read"],
                       ["endpoints:read", "endpoints:read"], "endpoints:read", [1]):
            with self.subTest(scopes=scopes):
                envelope = self.gw.admin_error("POST", "/api/keys", status=400,
                                               json={"label": "bad", "scopes": scopes})
                self.assert_field_error(envelope, "scopes")

    def test_every_validation_error_names_its_field(self):
        cases = [
            ({"scopes": ["*"]}, "label"),
            ({"label": "", "scopes": ["*"]}, "label"),
            ({"label": "x"}, "scopes"),
            ({"label": "x", "scopes": ["*"], "colour": "red"}, "colour"),
            ({"label": "x", "scopes": ["*"], "expires_at": "tomorrow"}, "expires_at"),
            ({"label": "x", "scopes": ["*"], "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
            ({"label": "x", "scopes": ["*"], "expires_in_seconds": 0}, "expires_in_seconds"),
            ({"label": "x", "scopes": ["*"], "expires_in_seconds": "60"}, "expires_in_seconds"),
            ({"label": "x", "scopes": ["*"], "expires_in_seconds": 60,
              "expires_at": iso_in(3600)}, "expires_in_seconds"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                envelope = self.gw.admin_error("POST", "/api/keys", json=body, status=400)
                self.assert_field_error(envelope, field)

    def test_a_key_cannot_grant_or_manage_scopes_it_does_not_hold(self):
        manager = self.create_key(["keys:write", "endpoints:read"])
        key = manager["key"]
        for scopes in (["*"], ["endpoints:write"], ["endpoints:*"], ["services:read"]):
            with self.subTest(scopes=scopes):
                self.gw.admin_error("POST", "/api/keys", key=key, status=403,
                                    json={"label": "escalate", "scopes": scopes})
        lesser = self.create_key(["endpoints:read", "keys:read"], key=key)
        self.assertEqual(lesser["scopes"], ["endpoints:read", "keys:read"])
        admin = self.create_key(["*"])
        self.gw.admin_error("POST", f"/api/keys/{admin['id']}/disable", key=key, status=403)
        self.gw.admin_error("DELETE", f"/api/keys/{admin['id']}", key=key, status=403)
        self.assertTrue(self.gw.admin_ok("GET", f"/api/keys/{admin['id']}")["enabled"])
        self.gw.admin_ok("POST", f"/api/keys/{lesser['id']}/disable", key=key)

    # -- lifecycle ----------------------------------------------------------------------------

    def test_disable_enable_and_delete(self):
        created = self.create_key(["endpoints:read"])
        key, key_id = created["key"], created["id"]
        disabled = self.gw.admin_ok("POST", f"/api/keys/{key_id}/disable")
        self.assertIs(disabled["enabled"], False)
        self.assert_rejected(key, "disabled")
        enabled = self.gw.admin_ok("POST", f"/api/keys/{key_id}/enable")
        self.assertIs(enabled["enabled"], True)
        self.assertIsInstance(self.gw.admin_ok("GET", "/api/endpoints", key=key), list)
        self.assertEqual(self.gw.admin_ok("DELETE", f"/api/keys/{key_id}"),
                         {"id": key_id, "deleted": True})
        self.assert_rejected(key, "invalid")
        self.gw.admin_error("GET", f"/api/keys/{key_id}", status=404)
        self.gw.admin_error("DELETE", f"/api/keys/{key_id}", status=404)

    def test_unknown_key_ids_answer_404(self):
        for method, path in (("GET", "/api/keys/no-such-key"),
                             ("POST", "/api/keys/no-such-key/enable"),
                             ("POST", "/api/keys/no-such-key/disable"),
                             ("DELETE", "/api/keys/no-such-key")):
            with self.subTest(route=f"{method} {path}"):
                self.gw.admin_error(method, path, status=404)

    def test_a_key_expires(self):
        created = self.create_key(["endpoints:read"], expires_in_seconds=1)
        self.assertIsNotNone(created["expires_at"])
        # Poll with the admin key (failed attempts with the expiring key would count against
        # this address), then try the expired key once.
        self.gw.wait_for(lambda: self.gw.admin_ok("GET", f"/api/keys/{created['id']}")["expired"],
                         EXPIRY_TIMEOUT_S, "the key to expire")
        self.assert_rejected(created["key"], "expired")

    def test_a_key_with_a_future_expires_at_works_and_reports_it(self):
        expires_at = iso_in(3600)
        created = self.create_key(["endpoints:read"], expires_at=expires_at)
        self.assertTrue(created["expires_at"].startswith(expires_at[:-1]), created["expires_at"])
        self.assertIs(created["expired"], False)
        self.assertIsInstance(self.gw.admin_ok("GET", "/api/endpoints", key=created["key"]), list)

    def test_key_routes_require_a_key(self):
        for method, path in (("GET", "/api/keys"), ("POST", "/api/keys"),
                             ("GET", "/api/keys/x"), ("POST", "/api/keys/x/enable"),
                             ("POST", "/api/keys/x/disable"), ("DELETE", "/api/keys/x")):
            with self.subTest(route=f"{method} {path}"):
                reply = self.gw.admin(method, path, key=None)
                self.assertEqual(reply.status, 401)
                self.assertEqual(reply.headers.get("WWW-Authenticate"), "Bearer")


class LastAdminKeyTest(unittest.TestCase):

    def test_the_last_enabled_star_key_cannot_be_disabled_or_deleted(self):
        with Gateway() as gw:
            keys = gw.admin_ok("GET", "/api/keys")
            self.assertEqual(len(keys), 1)
            bootstrap = keys[0]
            self.assertEqual(bootstrap["scopes"], ["*"])
            gw.admin_error("POST", f"/api/keys/{bootstrap['id']}/disable", status=409)
            gw.admin_error("DELETE", f"/api/keys/{bootstrap['id']}", status=409)

            # A disabled '*' key is no way back in: still refused.
            spare = gw.admin_ok("POST", "/api/keys", json={"label": "spare", "scopes": ["*"]},
                                status=201)
            gw.admin_ok("POST", f"/api/keys/{spare['id']}/disable")
            gw.admin_error("DELETE", f"/api/keys/{bootstrap['id']}", status=409)

            gw.admin_ok("POST", f"/api/keys/{spare['id']}/enable")
            gw.admin_ok("DELETE", f"/api/keys/{bootstrap['id']}")
            gw.admin_error("GET", "/api/keys", status=401)  # the bootstrap key is gone
            remaining = gw.admin_ok("GET", "/api/keys", key=spare["key"])
            self.assertEqual([k["id"] for k in remaining], [spare["id"]])
            gw.admin_error("DELETE", f"/api/keys/{spare['id']}", key=spare["key"], status=409)


class AuthRateLimitTest(unittest.TestCase):
    """A gateway per test: each starts with a clean failure count for 127.0.0.1."""

    def test_failed_attempts_from_one_address_are_limited_with_retry_after(self):
        with Gateway() as gw:
            wrong = "eg_" + "0" * 48
            for attempt in range(MAX_FAILURES):
                with self.subTest(attempt=attempt):
                    gw.admin_error("GET", "/api/endpoints", key=wrong, status=401)
            reply = gw.admin("GET", "/api/endpoints", key=wrong)
            self.assert_limited(reply)

            # Locked out means locked out: the right key is not even checked.
            self.assert_limited(gw.admin("GET", "/api/endpoints"))
            self.assert_limited(gw.admin("GET", "/api/endpoints", key=None))
            # Routes without authentication still answer.
            self.assertEqual(gw.admin("GET", "/api/health", key=None).status, 200)

    def test_requests_without_a_key_are_not_counted_as_failures(self):
        with Gateway() as gw:
            for _ in range(MAX_FAILURES + 5):
                gw.admin_error("GET", "/api/endpoints", key=None, status=401)
            self.assertIsInstance(gw.admin_ok("GET", "/api/endpoints"), list)

    def test_successes_do_not_reset_the_failure_count(self):
        with Gateway() as gw:
            wrong = "not-the-key-" + gw.admin_key
            for _ in range(MAX_FAILURES - 1):
                gw.admin_error("GET", "/api/endpoints", key=wrong, status=401)
            self.assertIsInstance(gw.admin_ok("GET", "/api/endpoints"), list)
            gw.admin_error("GET", "/api/endpoints", key=wrong, status=401)
            self.assert_limited(gw.admin("GET", "/api/endpoints"))

    def assert_limited(self, reply):
        self.assertEqual(reply.status, 429, reply.data)
        self.assertIs(reply.data["ok"], False)
        self.assertIn("too many failed authentication attempts", reply.data["error"])
        retry_after = reply.headers.get("Retry-After")
        self.assertIsNotNone(retry_after, "429 without Retry-After")
        self.assertTrue(retry_after.isdigit() and 1 <= int(retry_after) <= 60, retry_after)
        self.assertEqual(reply.data["details"]["retry_after_seconds"], int(retry_after))


if __name__ == "__main__":
    unittest.main()
