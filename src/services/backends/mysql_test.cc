// Integration tests of the MySQL backend against the MariaDB server that scripts/backends/up.sh
// starts (env.json entry "mariadb": host, port, user, password, database). Tables are TEMPORARY
// (private to the test's connection) except where a second connection must see them; those get a
// name unique to the process and test.
#include <gtest/gtest.h>

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
using testing::MustCall;
using testing::SqlContractTest;

constexpr testing::SqlDialect kMysql{.server = "mariadb",
                                     .type = &MysqlType,
                                     .first_param = "?",
                                     .table_options = " ENGINE=InnoDB",
                                     .wrong_password_reason = "Access denied for user",
                                     .closed_port_reason = "Can't connect"};

// The SQL contract (backend_test_util.cc): binding, transactions, connect failures.
INSTANTIATE_TEST_SUITE_P(Mysql, SqlContractTest, ::testing::Values(kMysql));

class MysqlTest : public testing::SqlBackendTest {
 protected:
  MysqlTest() : SqlBackendTest(kMysql) {}
};

TEST_F(MysqlTest, RoundTripsTextBinaryNullAndNumbers) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute",
           {"CREATE TEMPORARY TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT, data BLOB, "
            "n BIGINT, x DOUBLE, flag BOOL) CHARACTER SET utf8mb4"});
  const std::string text = "Grüße, 世界 🚀";
  const std::string bytes = AllBytes();
  json::value ins = MustCall(*c, "execute",
                             {"INSERT INTO t (name, data, n, x, flag) VALUES (?, ?, ?, ?, ?)",
                              json::string(text), json::string(bytes), -42, 1.25, true});
  EXPECT_EQ(ins, json::parse(R"({"affected_rows": 1, "last_insert_id": 1})"));
  ins = MustCall(*c, "execute",
                 {"INSERT INTO t (name, data, n, x, flag) VALUES (?, ?, ?, ?, ?)", nullptr, nullptr,
                  nullptr, nullptr, nullptr});
  EXPECT_EQ(ins, json::parse(R"({"affected_rows": 1, "last_insert_id": 2})"));

  json::value r = MustCall(*c, "query", {"SELECT name, data, n, x, flag FROM t ORDER BY id"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r.at("columns"), json::parse(R"(["name", "data", "n", "x", "flag"])"));
  // MySQL has no boolean type: BOOL is TINYINT(1), so true comes back as 1.
  json::array expected{json::array{json::string(text), json::string(bytes), -42, 1.25, 1},
                       json::array{nullptr, nullptr, nullptr, nullptr, nullptr}};
  EXPECT_EQ(r.at("rows"), expected);
  EXPECT_EQ(Rows(*c, {"SELECT LENGTH(data), CHAR_LENGTH(name) FROM t WHERE id = 1"}),
            json::parse("[[256, 11]]"));
}

TEST_F(MysqlTest, LongValuesRoundTrip) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute", {"CREATE TEMPORARY TABLE t (data LONGBLOB, note TEXT)"});
  std::string big;
  for (int i = 0; i < 1 << 20; ++i) {
    big.push_back(static_cast<char>((i * 7) & 0xFF));
  }
  std::string note(1000, 'n');
  MustCall(*c, "execute", {"INSERT INTO t VALUES (?, ?)", json::string(big), json::string(note)});
  EXPECT_EQ(Rows(*c, {"SELECT data, note, 'short' FROM t"}),
            (json::array{json::array{json::string(big), json::string(note), "short"}}));
}

TEST_F(MysqlTest, TypesResultsByColumnType) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute",
           {"CREATE TEMPORARY TABLE t (a TINYINT, b SMALLINT UNSIGNED, c BIGINT UNSIGNED, "
            "d FLOAT, e DECIMAL(6,2), f DATE, g DATETIME(3), h TIME, i YEAR, j VARBINARY(4))"});
  MustCall(*c, "execute",
           {"INSERT INTO t VALUES (-7, 65535, 18446744073709551615, 1.5, 12.5, '2024-02-29', "
            "'2024-02-29 13:14:15.125', '-01:02:03', 2024, X'00FF')"});
  json::array expected{json::array{-7, 65535, uint64_t{18446744073709551615ULL}, 1.5, "12.50",
                                   "2024-02-29", "2024-02-29 13:14:15.125", "-01:02:03", 2024,
                                   json::string(std::string("\x00\xff", 2))}};
  EXPECT_EQ(Rows(*c, {"SELECT * FROM t"}), expected);
  // Parameters keep their JSON type through `SELECT ?`; NULL stays null.
  EXPECT_EQ(Rows(*c, {"SELECT ?, ?, ?, ?, ?", 7, 0.1, false, nullptr, "s"}),
            json::parse(R"([[7, 0.1, 0, null, "s"]])"));
}

TEST_F(MysqlTest, UnpreparableStatementsRunAsText) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  // PREPARE and EXECUTE cannot be prepared themselves (ER_UNSUPPORTED_PS): they go as text.
  MustCall(*c, "execute", {"PREPARE s FROM 'SELECT ?, 2.5e0, NULL'"});
  MustCall(*c, "execute", {"SET @v = 'Grüße'"});
  EXPECT_EQ(Rows(*c, {"EXECUTE s USING @v"}), json::parse(R"([["Grüße", 2.5, null]])"));
  // ...but never with parameters, which the text protocol could only splice into the SQL.
  EXPECT_EQ(c->Call("query", {"EXECUTE s USING ?", 1}).status().code(), base::Code::kBackendError);
}

TEST_F(MysqlTest, CallReturnsItsFirstResultSet) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  const std::string proc = TableName();
  MustCall(*c, "execute", {json::string("DROP PROCEDURE IF EXISTS " + proc)});
  MustCall(*c, "execute",
           {json::string("CREATE PROCEDURE " + proc + "(IN n INT) BEGIN SELECT n, n * 2; END")});
  // A CALL answers with its result set plus a status result, which must not linger.
  EXPECT_EQ(Rows(*c, {json::string("CALL " + proc + "(?)"), 21}), json::parse("[[21, 42]]"));
  EXPECT_EQ(Rows(*c, {"SELECT 1"}), json::parse("[[1]]"));
  // An error after the first result set still fails the call.
  MustCall(*c, "execute", {json::string("DROP PROCEDURE " + proc)});
  MustCall(
      *c, "execute",
      {json::string("CREATE PROCEDURE " + proc +
                    "() BEGIN SELECT 1; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; END")});
  auto failed = c->Call("query", {json::string("CALL " + proc + "()")});
  EXPECT_EQ(failed.status().code(), base::Code::kBackendError);
  EXPECT_NE(failed.status().message().find("boom"), std::string::npos) << failed.status().message();
  EXPECT_EQ(Rows(*c, {"SELECT 1"}), json::parse("[[1]]"));
  MustCall(*c, "execute", {json::string("DROP PROCEDURE " + proc)});
}

TEST_F(MysqlTest, ExecuteCountsMatchedRowsAndInsertIds) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute", {"CREATE TEMPORARY TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)"});
  EXPECT_EQ(MustCall(*c, "execute", {"INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"}),
            json::parse(R"({"affected_rows": 3, "last_insert_id": 1})"));
  // CLIENT_FOUND_ROWS: matched rows count, even when the value does not change.
  EXPECT_EQ(MustCall(*c, "execute", {"UPDATE t SET v = ? WHERE id >= ?", "c", 2}),
            json::parse(R"({"affected_rows": 2, "last_insert_id": null})"));
  EXPECT_EQ(MustCall(*c, "execute", {"DELETE FROM t WHERE id = ?", 99}).at("affected_rows"), 0);
}

TEST_F(MysqlTest, BackendErrorsCarryTheServersMessage) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  auto syntax = c->Call("query", {"SELEC 1"});
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), base::Code::kBackendError);
  EXPECT_NE(syntax.status().message().find("mysql: You have an error in your SQL syntax"),
            std::string::npos)
      << syntax.status().message();
  EXPECT_NE(syntax.status().message().find("(1064)"), std::string::npos);

  MustCall(*c, "execute", {"CREATE TEMPORARY TABLE t (id INT PRIMARY KEY)"});
  MustCall(*c, "execute", {"INSERT INTO t VALUES (1)"});
  auto duplicate = c->Call("execute", {"INSERT INTO t VALUES (?)", 1});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), base::Code::kBackendError);
  EXPECT_NE(duplicate.status().message().find("Duplicate entry"), std::string::npos)
      << duplicate.status().message();
  // Two statements in one call are a syntax error for a prepared statement.
  EXPECT_EQ(c->Call("execute", {"SELECT 1; SELECT 2"}).status().code(), base::Code::kBackendError);
  EXPECT_EQ(Rows(*c, {"SELECT 1"}), json::parse("[[1]]"));
}

TEST_F(MysqlTest, WrongArgumentsAreInvalid) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call("fetch", {"SELECT 1"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("query", {1}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("query", {"SELECT ?", json::object{}}).status().code(),
            base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("query", {"SELECT ?"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("query", {"SELECT 1", 2}).status().code(), base::Code::kInvalidArgument);
  EXPECT_TRUE(c->Ping().ok());
}

// The test server offers TLS (a self-signed certificate, env.json tls_ca): use_ssl's session is
// encrypted, and one without it is not. (Against a server without TLS, use_ssl refuses to
// connect: "use_ssl is set but the server does not offer TLS".)
TEST_F(MysqlTest, UseSslMeansAnEncryptedSession) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto cipher_of = [&](bool use_ssl) -> std::string {
    auto c = MustConnect(ConfigOf(env, {{"use_ssl", use_ssl}}));
    if (c == nullptr) {
      return "(no connection)";
    }
    json::value rows = Rows(*c, {"SHOW SESSION STATUS LIKE 'Ssl_cipher'"});
    return rows.is_array() ? std::string(rows.at(0).at(1).as_string()) : "(no rows)";
  };
  const std::string with_ssl = cipher_of(true);
  EXPECT_NE(with_ssl, "") << "use_ssl connected without TLS";
  EXPECT_EQ(with_ssl.find('('), std::string::npos) << with_ssl;
  EXPECT_EQ(cipher_of(false), "");
}

// With ssl_ca the server's certificate is verified: the test server's own CA (env.json tls_ca)
// connects, another self-signed root is refused, and ssl_ca without use_ssl is a config error.
TEST_F(MysqlTest, SslCaVerifiesTheServer) {
  auto env = REQUIRE_BACKEND("mariadb");
  const std::string ca(env.at("tls_ca").as_string());
  auto verified = MustConnect(ConfigOf(env, {{"use_ssl", true}, {"ssl_ca", ca}}));
  ASSERT_NE(verified, nullptr);
  EXPECT_NE(Rows(*verified, {"SHOW SESSION STATUS LIKE 'Ssl_cipher'"}).at(0).at(1), "");

  testing::UnrelatedRoot other;
  ASSERT_FALSE(other.path().empty());
  auto refused = MysqlType().connect(ConfigOf(env, {{"use_ssl", true}, {"ssl_ca", other.path()}}));
  EXPECT_TRUE(testing::FailedWith(refused.status(), base::Code::kUnavailable,
                                  "TLS/SSL error: self-signed certificate"));

  json::object without_ssl = ConfigOf(env);
  without_ssl["ssl_ca"] = ca;
  auto invalid = ValidateConfig(MysqlType(), without_ssl);
  EXPECT_EQ(invalid.status().field(), "config.ssl_ca");
}

TEST_F(MysqlTest, StatementTimeoutBoundsASlowStatement) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env, {{"timeout_ms", 500}}));
  ASSERT_NE(c, nullptr);
  Clock::time_point start = Clock::now();
  auto r = c->Call("query", {"SELECT SLEEP(10)"});
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kBackendError) << r.status().message();
  EXPECT_NE(r.status().message().find("max_statement_time"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(c->Ping().ok());
}

TEST_F(MysqlTest, KilledConnectionIsUnavailable) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto victim = MustConnect(ConfigOf(env));
  auto killer = MustConnect(ConfigOf(env));
  ASSERT_NE(victim, nullptr);
  ASSERT_NE(killer, nullptr);
  json::value id = Rows(*victim, {"SELECT CONNECTION_ID()"});
  ASSERT_TRUE(id.is_array());
  MustCall(*killer, "execute", {json::string("KILL " + json::serialize(id.at(0).at(0)))});
  auto r = victim->Call("query", {"SELECT 1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
}

}  // namespace
}  // namespace edgegate::services::backends
