// Integration tests of the MySQL backend against the MariaDB server that scripts/backends/up.sh
// starts (env.json entry "mariadb": host, port, user, password, database). Tables are TEMPORARY
// (private to the test's connection) except where a second connection must see them; those get a
// name unique to the process and test.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "services/backends/backends.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

json::object ConfigOf(const json::object& env, json::object extra = {}) {
  json::object config{{"host", env.at("host")},         {"port", env.at("port")},
                      {"database", env.at("database")}, {"username", env.at("user")},
                      {"password", env.at("password")}, {"timeout_ms", 5000}};
  for (const auto& [k, v] : extra) {
    config[k] = v;
  }
  EXPECT_TRUE(ValidateConfig(MysqlType(), config).ok());
  return config;
}

std::unique_ptr<Connection> MustConnect(const json::object& config) {
  auto c = MysqlType().connect(config);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : nullptr;
}

// Runs a call that must succeed; null (and a test failure) otherwise.
json::value Must(Connection& c, std::string_view op, json::array args) {
  auto r = c.Call(op, args);
  EXPECT_TRUE(r.ok()) << op << " " << args << ": " << r.status().message();
  return r.ok() ? std::move(r).value() : json::value();
}

json::value Rows(Connection& c, json::array args) {
  json::value r = Must(c, "query", std::move(args));
  return r.is_object() ? r.at("rows") : json::value();
}

std::string AllBytes() {
  std::string bytes;
  for (int b = 0; b < 256; ++b) {
    bytes.push_back(static_cast<char>(b));
  }
  return bytes;
}

// A listening socket on 127.0.0.1 that never answers (the kernel completes the handshake, nobody
// reads): a server that hangs. Returns the fd (close it) and its port.
std::pair<int, int> SilentListener() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  EXPECT_EQ(listen(fd, 8), 0);
  return {fd, ntohs(addr.sin_port)};
}

// A table name unique to this process and test.
std::string TableName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return ("eg_" + std::to_string(getpid()) + "_" + info->name()).substr(0, 60);
}

TEST(MysqlTest, RoundTripsTextBinaryNullAndNumbers) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute",
       {"CREATE TEMPORARY TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT, data BLOB, "
        "n BIGINT, x DOUBLE, flag BOOL) CHARACTER SET utf8mb4"});
  const std::string text = "Grüße, 世界 🚀";
  const std::string bytes = AllBytes();
  json::value ins = Must(*c, "execute",
                         {"INSERT INTO t (name, data, n, x, flag) VALUES (?, ?, ?, ?, ?)",
                          json::string(text), json::string(bytes), -42, 1.25, true});
  EXPECT_EQ(ins, json::parse(R"({"affected_rows": 1, "last_insert_id": 1})"));
  ins = Must(*c, "execute",
             {"INSERT INTO t (name, data, n, x, flag) VALUES (?, ?, ?, ?, ?)", nullptr, nullptr,
              nullptr, nullptr, nullptr});
  EXPECT_EQ(ins, json::parse(R"({"affected_rows": 1, "last_insert_id": 2})"));

  json::value r = Must(*c, "query", {"SELECT name, data, n, x, flag FROM t ORDER BY id"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r.at("columns"), json::parse(R"(["name", "data", "n", "x", "flag"])"));
  // MySQL has no boolean type: BOOL is TINYINT(1), so true comes back as 1.
  json::array expected{json::array{json::string(text), json::string(bytes), -42, 1.25, 1},
                       json::array{nullptr, nullptr, nullptr, nullptr, nullptr}};
  EXPECT_EQ(r.at("rows"), expected);
  EXPECT_EQ(Rows(*c, {"SELECT LENGTH(data), CHAR_LENGTH(name) FROM t WHERE id = 1"}),
            json::parse("[[256, 11]]"));
}

TEST(MysqlTest, LongValuesRoundTrip) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute", {"CREATE TEMPORARY TABLE t (data LONGBLOB, note TEXT)"});
  std::string big;
  for (int i = 0; i < 1 << 20; ++i) {
    big.push_back(static_cast<char>((i * 7) & 0xFF));
  }
  std::string note(1000, 'n');
  Must(*c, "execute", {"INSERT INTO t VALUES (?, ?)", json::string(big), json::string(note)});
  EXPECT_EQ(Rows(*c, {"SELECT data, note, 'short' FROM t"}),
            (json::array{json::array{json::string(big), json::string(note), "short"}}));
}

TEST(MysqlTest, TypesResultsByColumnType) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute",
       {"CREATE TEMPORARY TABLE t (a TINYINT, b SMALLINT UNSIGNED, c BIGINT UNSIGNED, "
        "d FLOAT, e DECIMAL(6,2), f DATE, g DATETIME(3), h TIME, i YEAR, j VARBINARY(4))"});
  Must(*c, "execute",
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

TEST(MysqlTest, UnpreparableStatementsRunAsText) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  // PREPARE and EXECUTE cannot be prepared themselves (ER_UNSUPPORTED_PS): they go as text.
  Must(*c, "execute", {"PREPARE s FROM 'SELECT ?, 2.5e0, NULL'"});
  Must(*c, "execute", {"SET @v = 'Grüße'"});
  EXPECT_EQ(Rows(*c, {"EXECUTE s USING @v"}), json::parse(R"([["Grüße", 2.5, null]])"));
  // ...but never with parameters, which the text protocol could only splice into the SQL.
  EXPECT_EQ(c->Call("query", {"EXECUTE s USING ?", 1}).status().code(), base::Code::kBackendError);
}

TEST(MysqlTest, CallReturnsItsFirstResultSet) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  const std::string proc = TableName();
  Must(*c, "execute", {json::string("DROP PROCEDURE IF EXISTS " + proc)});
  Must(*c, "execute",
       {json::string("CREATE PROCEDURE " + proc + "(IN n INT) BEGIN SELECT n, n * 2; END")});
  // A CALL answers with its result set plus a status result, which must not linger.
  EXPECT_EQ(Rows(*c, {json::string("CALL " + proc + "(?)"), 21}), json::parse("[[21, 42]]"));
  EXPECT_EQ(Rows(*c, {"SELECT 1"}), json::parse("[[1]]"));
  // An error after the first result set still fails the call.
  Must(*c, "execute", {json::string("DROP PROCEDURE " + proc)});
  Must(*c, "execute",
       {json::string("CREATE PROCEDURE " + proc +
                     "() BEGIN SELECT 1; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; END")});
  auto failed = c->Call("query", {json::string("CALL " + proc + "()")});
  EXPECT_EQ(failed.status().code(), base::Code::kBackendError);
  EXPECT_NE(failed.status().message().find("boom"), std::string::npos) << failed.status().message();
  EXPECT_EQ(Rows(*c, {"SELECT 1"}), json::parse("[[1]]"));
  Must(*c, "execute", {json::string("DROP PROCEDURE " + proc)});
}

TEST(MysqlTest, ExecuteCountsMatchedRowsAndInsertIds) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute", {"CREATE TEMPORARY TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)"});
  EXPECT_EQ(Must(*c, "execute", {"INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"}),
            json::parse(R"({"affected_rows": 3, "last_insert_id": 1})"));
  // CLIENT_FOUND_ROWS: matched rows count, even when the value does not change.
  EXPECT_EQ(Must(*c, "execute", {"UPDATE t SET v = ? WHERE id >= ?", "c", 2}),
            json::parse(R"({"affected_rows": 2, "last_insert_id": null})"));
  EXPECT_EQ(Must(*c, "execute", {"DELETE FROM t WHERE id = ?", 99}).at("affected_rows"), 0);
}

TEST(MysqlTest, InjectionAttemptStaysAValue) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute", {"CREATE TEMPORARY TABLE t (name TEXT)"});
  const std::string evil = "x'; DROP TABLE t; --";
  Must(*c, "execute", {"INSERT INTO t VALUES (?)", json::string(evil)});
  EXPECT_EQ(Rows(*c, {"SELECT name FROM t WHERE name = ?", json::string(evil)}),
            (json::array{json::array{json::string(evil)}}));
  EXPECT_EQ(Rows(*c, {"SELECT COUNT(*) FROM t"}), json::parse("[[1]]"));
}

TEST(MysqlTest, BackendErrorsCarryTheServersMessage) {
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

  Must(*c, "execute", {"CREATE TEMPORARY TABLE t (id INT PRIMARY KEY)"});
  Must(*c, "execute", {"INSERT INTO t VALUES (1)"});
  auto duplicate = c->Call("execute", {"INSERT INTO t VALUES (?)", 1});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), base::Code::kBackendError);
  EXPECT_NE(duplicate.status().message().find("Duplicate entry"), std::string::npos)
      << duplicate.status().message();
  // Two statements in one call are a syntax error for a prepared statement.
  EXPECT_EQ(c->Call("execute", {"SELECT 1; SELECT 2"}).status().code(), base::Code::kBackendError);
  EXPECT_EQ(Rows(*c, {"SELECT 1"}), json::parse("[[1]]"));
}

TEST(MysqlTest, WrongArgumentsAreInvalid) {
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

TEST(MysqlTest, RollbackLeavesNoRowAndCommitKeepsIt) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto a = MustConnect(ConfigOf(env));
  auto b = MustConnect(ConfigOf(env));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::string table = TableName();
  Must(*a, "execute", {json::string("DROP TABLE IF EXISTS " + table)});
  Must(*a, "execute", {json::string("CREATE TABLE " + table + " (v TEXT) ENGINE=InnoDB")});
  const json::string insert("INSERT INTO " + table + " VALUES (?)");
  const json::string count("SELECT COUNT(*) FROM " + table);

  Must(*a, "execute", {"BEGIN"});
  Must(*a, "execute", {insert, "rolled back"});
  EXPECT_EQ(Rows(*a, {count}), json::parse("[[1]]"));
  EXPECT_EQ(Rows(*b, {count}), json::parse("[[0]]"));  // not visible before commit
  Must(*a, "execute", {"ROLLBACK"});
  EXPECT_EQ(Rows(*b, {count}), json::parse("[[0]]"));

  Must(*a, "execute", {"START TRANSACTION"});
  Must(*a, "execute", {insert, "committed"});
  Must(*a, "execute", {"COMMIT"});
  EXPECT_EQ(Rows(*b, {json::string("SELECT v FROM " + table)}), json::parse(R"([["committed"]])"));
  Must(*a, "execute", {json::string("DROP TABLE " + table)});
}

TEST(MysqlTest, WrongPasswordFailsWithTheServersReason) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MysqlType().connect(ConfigOf(env, {{"password", "not-the-password"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable);
  EXPECT_NE(c.status().message().find("Access denied for user"), std::string::npos)
      << c.status().message();
}

TEST(MysqlTest, UseSslMeansTlsOrNoConnection) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto c = MysqlType().connect(ConfigOf(env, {{"use_ssl", true}}));
  if (!c.ok()) {
    EXPECT_EQ(c.status().code(), base::Code::kUnavailable);
    EXPECT_NE(c.status().message().find("TLS"), std::string::npos) << c.status().message();
    return;
  }
  json::value cipher = Rows(**c, {"SHOW SESSION STATUS LIKE 'Ssl_cipher'"});
  ASSERT_TRUE(cipher.is_array());
  EXPECT_NE(cipher.at(0).at(1), "") << "use_ssl connected without TLS";
}

TEST(MysqlTest, ClosedPortIsUnavailable) {
  auto env = REQUIRE_BACKEND("mariadb");
  // A port that was free a moment ago: bind port 0, read it, close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  auto c = MysqlType().connect(ConfigOf(env, {{"port", ntohs(addr.sin_port)}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable);
  EXPECT_NE(c.status().message().find("Can't connect"), std::string::npos) << c.status().message();
}

TEST(MysqlTest, SilentServerFailsTheConnectInTime) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto [fd, port] = SilentListener();
  Clock::time_point start = Clock::now();
  auto c = MysqlType().connect(ConfigOf(env, {{"port", port}, {"connect_timeout_ms", 1000}}));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  close(fd);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable) << c.status().message();
}

TEST(MysqlTest, StatementTimeoutBoundsASlowStatement) {
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

TEST(MysqlTest, KilledConnectionIsUnavailable) {
  auto env = REQUIRE_BACKEND("mariadb");
  auto victim = MustConnect(ConfigOf(env));
  auto killer = MustConnect(ConfigOf(env));
  ASSERT_NE(victim, nullptr);
  ASSERT_NE(killer, nullptr);
  json::value id = Rows(*victim, {"SELECT CONNECTION_ID()"});
  ASSERT_TRUE(id.is_array());
  Must(*killer, "execute", {json::string("KILL " + json::serialize(id.at(0).at(0)))});
  auto r = victim->Call("query", {"SELECT 1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
}

}  // namespace
}  // namespace edgegate::services::backends
