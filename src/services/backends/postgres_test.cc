// Integration tests of the PostgreSQL backend against the real server that scripts/backends/up.sh
// starts (env.json entry "postgres": host, port, user, password, database). Tables are TEMPORARY
// (private to the test's connection) except where a second connection must see them; those get a
// name unique to the process and test.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
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
  EXPECT_TRUE(ValidateConfig(PostgresType(), config).ok());
  return config;
}

std::unique_ptr<Connection> MustConnect(const json::object& config) {
  auto c = PostgresType().connect(config);
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
  std::string name = "eg_" + std::to_string(getpid()) + "_" + info->name();
  for (char& ch : name) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return name.substr(0, 60);
}

TEST(PostgresTest, RoundTripsTextBinaryNullAndNumbers) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute",
       {"CREATE TEMP TABLE t (id serial PRIMARY KEY, name text, data bytea, n int8, x float8, "
        "flag bool)"});
  const std::string text = "Grüße, 世界 🚀";
  const std::string bytes = AllBytes();
  json::value ins = Must(*c, "execute",
                         {"INSERT INTO t (name, data, n, x, flag) VALUES ($1, $2, $3, $4, $5)",
                          json::string(text), json::string(bytes), -42, 1.25, true});
  EXPECT_EQ(ins, json::parse(R"({"affected_rows": 1, "last_insert_id": null})"));
  Must(*c, "execute",
       {"INSERT INTO t (name, data, n, x, flag) VALUES ($1, $2, $3, $4, $5)", nullptr, nullptr,
        nullptr, nullptr, nullptr});

  json::value r = Must(*c, "query", {"SELECT name, data, n, x, flag FROM t ORDER BY id"});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r.at("columns"), json::parse(R"(["name", "data", "n", "x", "flag"])"));
  json::array expected{json::array{json::string(text), json::string(bytes), -42, 1.25, true},
                       json::array{nullptr, nullptr, nullptr, nullptr, nullptr}};
  EXPECT_EQ(r.at("rows"), expected);
  // The bytes arrived as bytes, not as their escaped text.
  EXPECT_EQ(Rows(*c, {"SELECT length(data) FROM t WHERE data IS NOT NULL"}),
            json::parse("[[256]]"));
}

TEST(PostgresTest, BackslashesSurviveInTextAndBytea) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute", {"CREATE TEMP TABLE t (name text, data bytea, doc jsonb)"});
  // Valid UTF-8 that bytea's text input would unescape ("\x41" -> "A").
  const std::string tricky = R"(\x41 a\\b \001)";
  Must(*c, "execute",
       {"INSERT INTO t VALUES ($1, $2, $3)", json::string(tricky), json::string(tricky),
        R"({"path": "C:\\temp"})"});
  EXPECT_EQ(Rows(*c, {"SELECT name, data, doc->>'path' FROM t"}),
            (json::array{json::array{json::string(tricky), json::string(tricky), "C:\\temp"}}));
}

TEST(PostgresTest, TypesResultsByColumnType) {
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

TEST(PostgresTest, ExecuteCountsAffectedRows) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute", {"CREATE TEMP TABLE t (id int PRIMARY KEY, v text)"});
  EXPECT_EQ(Must(*c, "execute", {"INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')"}),
            json::parse(R"({"affected_rows": 3, "last_insert_id": null})"));
  EXPECT_EQ(Must(*c, "execute", {"UPDATE t SET v = $1 WHERE id >= $2", "z", 2}).at("affected_rows"),
            2);
  EXPECT_EQ(Must(*c, "execute", {"DELETE FROM t WHERE id = $1", 99}).at("affected_rows"), 0);
  // RETURNING through `query` is how a new id comes back.
  EXPECT_EQ(Rows(*c, {"INSERT INTO t VALUES ($1, $2) RETURNING id", 4, "d"}), json::parse("[[4]]"));
}

TEST(PostgresTest, InjectionAttemptStaysAValue) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Must(*c, "execute", {"CREATE TEMP TABLE t (name text)"});
  const std::string evil = "x'; DROP TABLE t; --";
  Must(*c, "execute", {"INSERT INTO t VALUES ($1)", json::string(evil)});
  EXPECT_EQ(Rows(*c, {"SELECT name FROM t WHERE name = $1", json::string(evil)}),
            (json::array{json::array{json::string(evil)}}));
  EXPECT_EQ(Rows(*c, {"SELECT count(*) FROM t"}), json::parse("[[1]]"));
}

TEST(PostgresTest, BackendErrorsCarryTheServersMessage) {
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

  Must(*c, "execute", {"CREATE TEMP TABLE t (id int PRIMARY KEY)"});
  Must(*c, "execute", {"INSERT INTO t VALUES (1)"});
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

TEST(PostgresTest, WrongArgumentsAreInvalid) {
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

TEST(PostgresTest, RollbackLeavesNoRowAndCommitKeepsIt) {
  auto env = REQUIRE_BACKEND("postgres");
  auto a = MustConnect(ConfigOf(env));
  auto b = MustConnect(ConfigOf(env));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::string table = TableName();
  Must(*a, "execute", {json::string("DROP TABLE IF EXISTS " + table)});
  Must(*a, "execute", {json::string("CREATE TABLE " + table + " (v text)")});
  const json::string insert("INSERT INTO " + table + " VALUES ($1)");
  const json::string count("SELECT count(*) FROM " + table);

  Must(*a, "execute", {"BEGIN"});
  Must(*a, "execute", {insert, "rolled back"});
  EXPECT_EQ(Rows(*a, {count}), json::parse("[[1]]"));
  EXPECT_EQ(Rows(*b, {count}), json::parse("[[0]]"));  // not visible before commit
  Must(*a, "execute", {"ROLLBACK"});
  EXPECT_EQ(Rows(*b, {count}), json::parse("[[0]]"));

  Must(*a, "execute", {"BEGIN"});
  Must(*a, "execute", {insert, "committed"});
  Must(*a, "execute", {"COMMIT"});
  EXPECT_EQ(Rows(*b, {json::string("SELECT v FROM " + table)}), json::parse(R"([["committed"]])"));
  Must(*a, "execute", {json::string("DROP TABLE " + table)});
}

TEST(PostgresTest, WrongPasswordFailsWithTheServersReason) {
  auto env = REQUIRE_BACKEND("postgres");
  auto c = PostgresType().connect(ConfigOf(env, {{"password", "not-the-password"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable);
  EXPECT_NE(c.status().message().find("password authentication failed for user"), std::string::npos)
      << c.status().message();
}

TEST(PostgresTest, ClosedPortIsUnavailable) {
  auto env = REQUIRE_BACKEND("postgres");
  // A port that was free a moment ago: bind port 0, read it, close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  auto c = PostgresType().connect(ConfigOf(env, {{"port", ntohs(addr.sin_port)}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable);
  EXPECT_NE(c.status().message().find("Connection refused"), std::string::npos)
      << c.status().message();
}

TEST(PostgresTest, SilentServerFailsTheConnectInTime) {
  auto env = REQUIRE_BACKEND("postgres");
  auto [fd, port] = SilentListener();
  Clock::time_point start = Clock::now();
  auto c = PostgresType().connect(ConfigOf(env, {{"port", port}, {"connect_timeout_ms", 1000}}));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  close(fd);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable) << c.status().message();
}

TEST(PostgresTest, StatementTimeoutBoundsASlowStatement) {
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

TEST(PostgresTest, TerminatedConnectionIsUnavailable) {
  auto env = REQUIRE_BACKEND("postgres");
  auto victim = MustConnect(ConfigOf(env));
  auto killer = MustConnect(ConfigOf(env));
  ASSERT_NE(victim, nullptr);
  ASSERT_NE(killer, nullptr);
  EXPECT_TRUE(victim->Ping().ok());
  json::value pid = Rows(*victim, {"SELECT pg_backend_pid()"});
  ASSERT_TRUE(pid.is_array());
  EXPECT_EQ(Rows(*killer, {"SELECT pg_terminate_backend($1::int4)", pid.at(0).at(0)}),
            json::parse("[[true]]"));
  auto r = victim->Call("query", {"SELECT 1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
  EXPECT_EQ(victim->Ping().code(), base::Code::kUnavailable);
}

TEST(PostgresTest, StoppedServerFailsTheCallInTime) {
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

}  // namespace
}  // namespace edgegate::services::backends
