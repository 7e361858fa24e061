// Integration tests of the PostgreSQL backend against the real server that scripts/backends/up.sh
// starts (env.json entry "postgres": host, port, user, password, database). Tables are TEMPORARY
// (private to the test's connection) except where a second connection must see them; those get a
// name unique to the process and test.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "services/backends/backend_test_util.h"
#include "services/backends/backends.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

using testing::AllBytes;
using testing::Batch;
using testing::MustCall;
using testing::SqlContractTest;

constexpr testing::SqlDialect kPostgres{
    .server = "postgres",
    .type = &PostgresType,
    .first_param = "$1",
    .table_options = "",
    .wrong_password_reason = "password authentication failed for user",
    .closed_port_reason = "Connection refused"};

// The SQL contract (backend_test_util.cc): binding, transactions, connect failures.
INSTANTIATE_TEST_SUITE_P(Postgres, SqlContractTest, ::testing::Values(kPostgres));

class PostgresTest : public testing::SqlBackendTest {
 protected:
  PostgresTest() : SqlBackendTest(kPostgres) {}

  // Whether this connection's session runs over TLS, as the server sees it.
  static bool SessionUsesTls(Connection& c) {
    json::value rows = Rows(c, {"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"});
    return rows.is_array() && rows.as_array().size() == 1 && rows.at(0).at(0) == true;
  }

  // Ends `victim`'s server session from `killer`'s, as an administrator (or a crash) would.
  static void Terminate(Connection& victim, Connection& killer) {
    json::value pid = Rows(victim, {"SELECT pg_backend_pid()"});
    ASSERT_TRUE(pid.is_array());
    EXPECT_EQ(Rows(killer, {"SELECT pg_terminate_backend($1::int4)", pid.at(0).at(0)}),
              json::parse("[[true]]"));
  }
};

// The test server speaks TLS with a self-signed certificate for 127.0.0.1 (env.json tls_ca):
// ssl_mode decides whether a session is encrypted, and the verifying modes check the server
// against ssl_root_cert, host name included.
TEST_F(PostgresTest, SslModeEncryptsAndTheVerifyingModesCheckTheServer) {
  auto env = REQUIRE_BACKEND("postgres");
  const std::string ca(env.at("tls_ca").as_string());
  for (const char* mode : {"require", "verify-ca", "verify-full"}) {
    auto c = MustConnect(ConfigOf(env, {{"ssl_mode", mode}, {"ssl_root_cert", ca}}));
    ASSERT_NE(c, nullptr) << mode;
    EXPECT_TRUE(SessionUsesTls(*c)) << mode;
  }
  auto plain = MustConnect(ConfigOf(env, {{"ssl_mode", "disable"}}));
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(SessionUsesTls(*plain));

  // The certificate names 127.0.0.1 only: by the name "localhost" the same server fails
  // verify-full, and still passes verify-ca (which does not check the name).
  json::object by_name = ConfigOf(env, {{"ssl_mode", "verify-full"}, {"ssl_root_cert", ca}});
  by_name["host"] = "localhost";
  EXPECT_TRUE(testing::FailedWith(PostgresType().connect(by_name).status(),
                                  base::Code::kUnavailable, "does not match host name"));
  by_name["ssl_mode"] = "verify-ca";
  EXPECT_TRUE(PostgresType().connect(by_name).ok());

  // A root that did not sign the server's certificate.
  testing::UnrelatedRoot other;
  ASSERT_FALSE(other.path().empty());
  auto unverified = PostgresType().connect(
      ConfigOf(env, {{"ssl_mode", "verify-ca"}, {"ssl_root_cert", other.path()}}));
  EXPECT_TRUE(testing::FailedWith(unverified.status(), base::Code::kUnavailable,
                                  "certificate verify failed"));
}

TEST_F(PostgresTest, RoundTripsTextBinaryNullAndNumbers) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute",
           {"CREATE TEMP TABLE t (id serial PRIMARY KEY, name text, data bytea, n int8, x float8, "
            "flag bool)"});
  const std::string text = "Grüße, 世界 🚀";
  const std::string bytes = AllBytes();
  json::value ins = MustCall(*c, "execute",
                             {"INSERT INTO t (name, data, n, x, flag) VALUES ($1, $2, $3, $4, $5)",
                              json::string(text), json::string(bytes), -42, 1.25, true});
  EXPECT_EQ(ins, json::parse(R"({"affected_rows": 1, "last_insert_id": null})"));
  MustCall(*c, "execute",
           {"INSERT INTO t (name, data, n, x, flag) VALUES ($1, $2, $3, $4, $5)", nullptr, nullptr,
            nullptr, nullptr, nullptr});

  json::value r = MustCall(*c, "query", {"SELECT name, data, n, x, flag FROM t ORDER BY id"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r.at("columns"), json::parse(R"(["name", "data", "n", "x", "flag"])"));
  json::array expected{json::array{json::string(text), json::string(bytes), -42, 1.25, true},
                       json::array{nullptr, nullptr, nullptr, nullptr, nullptr}};
  EXPECT_EQ(r.at("rows"), expected);
  // The bytes arrived as bytes, not as their escaped text.
  EXPECT_EQ(Rows(*c, {"SELECT length(data) FROM t WHERE data IS NOT NULL"}),
            json::parse("[[256]]"));
}

TEST_F(PostgresTest, BackslashesSurviveInTextAndBytea) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute", {"CREATE TEMP TABLE t (name text, data bytea, doc jsonb)"});
  // Valid UTF-8 that bytea's text input would unescape ("\x41" -> "A").
  const std::string tricky = R"(\x41 a\\b \001)";
  MustCall(*c, "execute",
           {"INSERT INTO t VALUES ($1, $2, $3)", json::string(tricky), json::string(tricky),
            R"({"path": "C:\\temp"})"});
  EXPECT_EQ(Rows(*c, {"SELECT name, data, doc->>'path' FROM t"}),
            (json::array{json::array{json::string(tricky), json::string(tricky), "C:\\temp"}}));
}

TEST_F(PostgresTest, TypesResultsByColumnType) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Rows(*c, {"SELECT 1::int2, 2::int4, 9007199254740993::int8, 1.5::float4, "
                      "-2.25::float8, true, false, NULL, 12.50::numeric, DATE '2024-02-29', "
                      "'{\"a\":1}'::jsonb, 'x'::text"}),
            json::parse(R"([[1, 2, 9007199254740993, 1.5, -2.25, true, false, null, "12.50",
                             "2024-02-29", "{\"a\": 1}", "x"]])"));
  // Parameters keep their JSON type through `SELECT $n`.
  EXPECT_EQ(Rows(*c, {"SELECT $1, $2, $3, $4, $5", 7, 0.1, false, nullptr, "s"}),
            json::parse(R"([[7, 0.1, false, null, "s"]])"));
  // Untyped strings take the type the context gives them.
  EXPECT_EQ(Rows(*c, {"SELECT $1::date + 1, $2::int4 * 2", "2024-02-28", "21"}),
            json::parse(R"([["2024-02-29", 42]])"));
}

TEST_F(PostgresTest, ExecuteCountsAffectedRows) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute", {"CREATE TEMP TABLE t (id int PRIMARY KEY, v text)"});
  EXPECT_EQ(MustCall(*c, "execute", {"INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')"}),
            json::parse(R"({"affected_rows": 3, "last_insert_id": null})"));
  EXPECT_EQ(
      MustCall(*c, "execute", {"UPDATE t SET v = $1 WHERE id >= $2", "z", 2}).at("affected_rows"),
      2);
  EXPECT_EQ(MustCall(*c, "execute", {"DELETE FROM t WHERE id = $1", 99}).at("affected_rows"), 0);
  // RETURNING through `query` is how a new id comes back.
  EXPECT_EQ(Rows(*c, {"INSERT INTO t VALUES ($1, $2) RETURNING id", 4, "d"}), json::parse("[[4]]"));
}

TEST_F(PostgresTest, BackendErrorsCarryTheServersMessage) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  auto syntax = c->Call("query", {"SELEC 1"});
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), base::Code::kBackendError);
  EXPECT_NE(syntax.status().message().find("postgres: syntax error at or near \"SELEC\""),
            std::string::npos)
      << syntax.status().message();
  EXPECT_NE(syntax.status().message().find("42601"), std::string::npos);

  MustCall(*c, "execute", {"CREATE TEMP TABLE t (id int PRIMARY KEY)"});
  MustCall(*c, "execute", {"INSERT INTO t VALUES (1)"});
  auto duplicate = c->Call("execute", {"INSERT INTO t VALUES ($1)", 1});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), base::Code::kBackendError);
  EXPECT_NE(duplicate.status().message().find("duplicate key"), std::string::npos)
      << duplicate.status().message();
  // Two statements in one call are refused by the server (extended protocol).
  auto two = c->Call("execute", {"SELECT $1; SELECT 2", 1});
  EXPECT_EQ(two.status().code(), base::Code::kBackendError) << two.status().message();
  // The connection is still good.
  EXPECT_EQ(Rows(*c, {"SELECT 1"}), json::parse("[[1]]"));
}

TEST_F(PostgresTest, WrongArgumentsAreInvalid) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("fetch", {"SELECT 1"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("query", {1}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("query", {"SELECT $1", json::array{1}}).status().code(),
            base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("query", {"  "}).status().code(), base::Code::kInvalidArgument);
  // A parameter count mismatch is the server's verdict.
  EXPECT_EQ(c->Call("query", {"SELECT $1"}).status().code(), base::Code::kBackendError);
  EXPECT_TRUE(c->Ping().ok());
}

TEST_F(PostgresTest, StatementTimeoutBoundsASlowStatement) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env, {{"timeout_ms", 300}}));
  ASSERT_NE(c, nullptr);
  Clock::time_point start = Clock::now();
  auto r = c->Call("query", {"SELECT pg_sleep(10)"});
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kBackendError);
  EXPECT_NE(r.status().message().find("statement timeout"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(c->Ping().ok());
}

TEST_F(PostgresTest, TerminatedConnectionIsUnavailable) {
  auto env = REQUIRE_BACKEND("postgres");
  auto victim = MustConnect(ConfigOf(env));
  auto killer = MustConnect(ConfigOf(env));
  ASSERT_NE(victim, nullptr);
  ASSERT_NE(killer, nullptr);
  EXPECT_TRUE(victim->Ping().ok());
  ASSERT_NO_FATAL_FAILURE(Terminate(*victim, *killer));
  auto r = victim->Call("query", {"SELECT 1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
  EXPECT_EQ(victim->Ping().code(), base::Code::kUnavailable);
}

TEST_F(PostgresTest, StoppedServerFailsTheCallInTime) {
  auto env = REQUIRE_BACKEND("postgres");
  auto victim = MustConnect(ConfigOf(env, {{"timeout_ms", 300}}));
  ASSERT_NE(victim, nullptr);
  json::value pid = Rows(*victim, {"SELECT pg_backend_pid()"});
  ASSERT_TRUE(pid.is_array());
  // Freeze our own server process: the server's statement_timeout cannot fire, only the
  // client's deadline (timeout_ms + grace) ends the call.
  auto backend = static_cast<pid_t>(pid.at(0).at(0).as_int64());
  if (kill(backend, SIGSTOP) != 0) {
    GTEST_SKIP() << "cannot signal the server process " << backend << " (not root?)";
  }
  Clock::time_point start = Clock::now();
  auto r = victim->Call("query", {"SELECT 1"});
  auto elapsed = Clock::now() - start;
  kill(backend, SIGCONT);
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  EXPECT_LT(elapsed, std::chrono::seconds(4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("no reply within"), std::string::npos)
      << r.status().message();
}

// A batch is pipelined, and still behaves as its calls run one by one: each statement commits or
// fails alone (a failed INSERT does not take the ones around it down), a call refused before
// sending has no effect, and one that must be described first (a backslash bound to bytea) runs
// in its place in the order.
TEST_F(PostgresTest, ABatchPipelinesAndEachCallCommitsOrFailsAlone) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute", {"CREATE TEMP TABLE t (id int PRIMARY KEY, data bytea)"});
  const std::string backslash = R"(a\b)";
  auto results = Batch(*c, {
      {"execute", {"INSERT INTO t VALUES ($1)", 1}},                    // 0
      {"execute", {"INSERT INTO t VALUES ($1)", 1}},                    // 1: duplicate key
      {"execute", {"INSERT INTO t VALUES ($1)", 2}},                    // 2
      {"query", {"SELECT count(*) FROM t"}},                            // 3
      {"fly", {"SELECT 1"}},                                            // 4: refused
      {"execute", {"INSERT INTO t VALUES (3, $1)", json::string(backslash)}},  // 5: alone
      {"query", {"SELECT id, data FROM t ORDER BY id"}},                // 6
      {"query", {"SELEC 1"}},                                           // 7: syntax error
      {"query", {"SELECT $1::int4 + 1", 41}},                           // 8
  });
  ASSERT_EQ(results.size(), 9u);
  for (size_t i : {0, 2, 3, 5, 6, 8}) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().message();
  }
  EXPECT_EQ(results[0]->at("affected_rows"), 1);
  EXPECT_EQ(results[1].status().code(), base::Code::kBackendError);
  EXPECT_NE(results[1].status().message().find("duplicate key"), std::string::npos)
      << results[1].status().message();
  EXPECT_EQ(results[2]->at("affected_rows"), 1);
  EXPECT_EQ(results[3]->at("rows"), json::parse("[[2]]"));
  EXPECT_EQ(results[4].status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(results[5]->at("affected_rows"), 1);
  EXPECT_EQ(results[6]->at("rows"),
            (json::array{json::array{1, nullptr}, json::array{2, nullptr},
                         json::array{3, json::string(backslash)}}));
  EXPECT_EQ(results[7].status().code(), base::Code::kBackendError);
  EXPECT_EQ(results[8]->at("rows"), json::parse("[[42]]"));
  // The connection is back out of pipeline mode: single calls and a second batch work.
  EXPECT_EQ(Rows(*c, {"SELECT count(*) FROM t"}), json::parse("[[3]]"));
  auto again = Batch(*c, {{"query", {"SELECT 1"}}, {"query", {"SELECT 2"}}});
  ASSERT_TRUE(again[0].ok() && again[1].ok());
  EXPECT_EQ(again[1]->at("rows"), json::parse("[[2]]"));
}

// A statement that times out on the server fails alone; one whose server is gone fails the batch
// Unavailable (the actor then drops the connection).
TEST_F(PostgresTest, ABatchSurvivesATimeoutAndFailsWholeOnALostConnection) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env, {{"timeout_ms", 300}}));
  auto killer = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  ASSERT_NE(killer, nullptr);
  auto results = Batch(*c, {{"query", {"SELECT pg_sleep(10)"}}, {"query", {"SELECT 7"}}});
  ASSERT_EQ(results[0].status().code(), base::Code::kBackendError);
  EXPECT_NE(results[0].status().message().find("statement timeout"), std::string::npos);
  ASSERT_TRUE(results[1].ok()) << results[1].status().message();
  EXPECT_EQ(results[1]->at("rows"), json::parse("[[7]]"));

  ASSERT_NO_FATAL_FAILURE(Terminate(*c, *killer));
  results = Batch(*c, {{"query", {"SELECT 1"}}, {"fly", {}}, {"query", {"SELECT 2"}}});
  EXPECT_EQ(results[0].status().code(), base::Code::kUnavailable) << results[0].status().message();
  EXPECT_EQ(results[1].status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(results[2].status().code(), base::Code::kUnavailable) << results[2].status().message();
}

}  // namespace
}  // namespace edgegate::services::backends
