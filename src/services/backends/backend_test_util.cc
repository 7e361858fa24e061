// Tests only: the sockets, calls, cache contract and SQL fixture of backend_test_util.h.
#include "services/backends/backend_test_util.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "base/random.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Binds a new socket to a free loopback port: the fd, *port its port.
int BindLoopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

std::string AllBytes() {
  std::string bytes;
  for (int b = 0; b < 256; ++b) {
    bytes.push_back(static_cast<char>(b));
  }
  return bytes;
}

int ListenOnLoopback(int* port) {
  int fd = BindLoopback(port);
  EXPECT_EQ(listen(fd, 8), 0);
  return fd;
}

int ConnectToLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

int FreePort() {
  int port = 0;
  close(BindLoopback(&port));
  return port;
}

SilentServer::~SilentServer() { close(fd_); }

Forwarder::Forwarder(int target_port)
    : target_port_(target_port), listen_fd_(ListenOnLoopback(&port_)), thread_([this] { Run(); }) {}

void Forwarder::Cut() {
  if (!stop_.exchange(true)) {
    thread_.join();
  }
}

void Forwarder::Run() {
  std::vector<int> fds;  // pairs: fds[2k] client side, fds[2k+1] server side
  while (!stop_) {
    std::vector<pollfd> polls{{listen_fd_, POLLIN, 0}};
    for (int fd : fds) {
      polls.push_back({fd, POLLIN, 0});
    }
    if (poll(polls.data(), polls.size(), 20) <= 0) {
      continue;
    }
    if (polls[0].revents & POLLIN) {
      fds.push_back(accept(listen_fd_, nullptr, nullptr));
      fds.push_back(ConnectToLoopback(target_port_));
    }
    for (size_t i = 1; i < polls.size(); ++i) {
      if (polls[i].revents & (POLLIN | POLLHUP)) {
        char buf[65536];
        ssize_t n = read(polls[i].fd, buf, sizeof buf);
        size_t self = i - 1;
        size_t peer = self ^ 1;
        if (n <= 0 || write(fds[peer], buf, static_cast<size_t>(n)) != n) {
          close(fds[self]);  // one side closed: close the pair (poll skips fd -1)
          close(fds[peer]);
          fds[self] = fds[peer] = -1;
        }
      }
    }
  }
  for (int fd : fds) {
    if (fd >= 0) {
      close(fd);
    }
  }
  close(listen_fd_);
}

std::unique_ptr<Connection> MustConnect(const ServiceType& type, const json::object& config) {
  auto c = type.connect(config);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : nullptr;
}

json::value MustCall(Connection& c, std::string_view op, json::array args) {
  auto r = c.Call(op, args);
  EXPECT_TRUE(r.ok()) << op << " " << args << ": " << r.status().message();
  return r.ok() ? std::move(r).value() : json::value();
}

std::vector<base::Result<json::value>> Batch(
    Connection& c, const std::vector<std::pair<std::string, json::array>>& calls) {
  std::vector<Connection::BatchCall> batch;
  for (const auto& [op, args] : calls) {
    batch.push_back({op, &args});
  }
  std::vector<base::Result<json::value>> results(calls.size());
  c.CallBatch(batch, results);
  return results;
}

UnrelatedRoot::UnrelatedRoot() {
  const std::string path =
      ::testing::TempDir() + "eg-unrelated-root-" + base::RandomHex(6) + ".pem";
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=unrelated -keyout /dev/null -out " +
      path + " >/dev/null 2>&1";
  if (std::system(command.c_str()) == 0) {
    path_ = path;
  } else {
    ADD_FAILURE() << "failed: " << command;
  }
}

UnrelatedRoot::~UnrelatedRoot() {
  if (!path_.empty()) {
    std::remove(path_.c_str());
  }
}

::testing::AssertionResult FailedWith(const base::Status& status, base::Code code,
                                      std::string_view text) {
  if (!status.ok() && status.code() == code && status.message().find(text) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << (status.ok() ? "succeeded"
                         : "failed with code " + std::to_string(static_cast<int>(status.code())) +
                               ": " + status.message())
         << "; expected code " << static_cast<int>(code) << " and \"" << text << "\"";
}

std::string TestKey(std::string_view suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return "edgegate-test:" + std::to_string(getpid()) + ":" + info->name() + ":" +
         std::string(suffix);
}

void PrintTo(const CacheUnderTest& cache, std::ostream* os) { *os << cache.server; }

void PrintTo(const SqlDialect& dialect, std::ostream* os) { *os << dialect.server; }

json::object SqlBackendTest::ConfigOf(const json::object& env, json::object extra) const {
  json::object config{{"host", env.at("host")},         {"port", env.at("port")},
                      {"database", env.at("database")}, {"username", env.at("user")},
                      {"password", env.at("password")}, {"timeout_ms", 5000}};
  for (const auto& [k, v] : extra) {
    config[k] = v;
  }
  EXPECT_TRUE(ValidateConfig(dialect_.type(), config).ok());
  return config;
}

json::value SqlBackendTest::Rows(Connection& c, json::array args) {
  json::value r = MustCall(c, "query", std::move(args));
  return r.is_object() ? r.at("rows") : json::value();
}

std::string SqlBackendTest::TableName() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "eg_" + std::to_string(getpid()) + "_" + info->name();
  for (char& ch : name) {  // a parameterised test's name ends in "/<index>"
    auto byte = static_cast<unsigned char>(ch);
    ch = std::isalnum(byte) ? static_cast<char>(std::tolower(byte)) : '_';
  }
  return name.substr(0, 60);
}

namespace {

// In a CacheContractTest: a connection to the cache under test, or a skip / failure and return.
#define CONNECT_CACHE_OR_SKIP(c)                                      \
  auto env = REQUIRE_BACKEND(GetParam().server);                      \
  auto c = MustConnect(GetParam().type(), GetParam().config_of(env)); \
  ASSERT_NE(c, nullptr)

TEST_P(CacheContractTest, RoundTripsBinaryAndNonAsciiValues) {
  CONNECT_CACHE_OR_SKIP(c);
  std::string key = TestKey(GetParam().round_trip_key);
  for (const std::string& value : {AllBytes(), std::string(kNonAsciiText), std::string()}) {
    EXPECT_TRUE(MustCall(*c, "set", {json::string(key), json::string(value)}).is_null());
    json::value got = MustCall(*c, "get", {json::string(key)});
    ASSERT_TRUE(got.is_string());
    EXPECT_EQ(std::string_view(got.get_string()), value);
  }
  EXPECT_EQ(MustCall(*c, "del", {json::string(key)}), json::value(true));
}

TEST_P(CacheContractTest, MissingKeyReadsAsNull) {
  CONNECT_CACHE_OR_SKIP(c);
  EXPECT_TRUE(MustCall(*c, "get", {TestKey("absent")}).is_null());
  EXPECT_EQ(MustCall(*c, "exists", {TestKey("absent")}), json::value(false));
  EXPECT_EQ(MustCall(*c, "del", {TestKey("absent")}), json::value(false));
  EXPECT_EQ(MustCall(*c, "expire", {TestKey("absent"), 10}), json::value(false));
}

TEST_P(CacheContractTest, ValueWithTtlExpires) {
  CONNECT_CACHE_OR_SKIP(c);
  std::string key = TestKey("ttl");
  MustCall(*c, "set", {key, "soon gone", 1});
  EXPECT_EQ(MustCall(*c, "get", {key}), json::value("soon gone"));
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(3);
  while (!MustCall(*c, "get", {key}).is_null() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(MustCall(*c, "get", {key}).is_null()) << "still there after 3 s";
}

TEST_P(CacheContractTest, DelAndExistsReportWhetherTheKeyExisted) {
  CONNECT_CACHE_OR_SKIP(c);
  std::string key = TestKey("k");
  MustCall(*c, "set", {key, "v"});
  EXPECT_EQ(MustCall(*c, "exists", {key}), json::value(true));
  EXPECT_EQ(MustCall(*c, "del", {key}), json::value(true));
  EXPECT_EQ(MustCall(*c, "exists", {key}), json::value(false));
  EXPECT_EQ(MustCall(*c, "del", {key}), json::value(false));
}

TEST_P(CacheContractTest, IncrOfANonIntegerIsABackendError) {
  CONNECT_CACHE_OR_SKIP(c);
  std::string key = TestKey("text");
  MustCall(*c, "set", {key, "abc"});
  auto r = c->Call("incr", {key, 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kBackendError) << r.status().message();
  EXPECT_NE(r.status().message().find(GetParam().incr_refusal), std::string::npos)
      << r.status().message();
  EXPECT_EQ(MustCall(*c, "get", {key}), json::value("abc"));
  MustCall(*c, "del", {key});
  EXPECT_TRUE(c->Ping().ok()) << "the connection survives a backend error";
}

TEST_P(CacheContractTest, PingRoundTrips) {
  CONNECT_CACHE_OR_SKIP(c);
  EXPECT_TRUE(c->Ping().ok());
}

// Refused before anything is sent: unknown ops, ill-typed or negative arguments.
TEST_P(CacheContractTest, BadArgumentsAreRefused) {
  CONNECT_CACHE_OR_SKIP(c);
  for (auto [op, args] : {std::pair<std::string_view, json::array>{"nope", {"k"}},
                          {"get", {1}},
                          {"set", {"k"}},
                          {"set", {"k", "v", -1}},
                          {"incr", {"k", "1"}},
                          {"expire", {"k"}},
                          {"expire", {"k", -5}}}) {
    auto r = c->Call(op, args);
    ASSERT_FALSE(r.ok()) << op;
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument) << op << r.status().message();
  }
}

TEST_P(SqlContractTest, InjectionAttemptStaysAValue) {
  auto env = REQUIRE_BACKEND(dialect_.server);
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  MustCall(*c, "execute", {"CREATE TEMPORARY TABLE t (name TEXT)"});
  const std::string evil = "x'; DROP TABLE t; --";
  const std::string param(dialect_.first_param);
  MustCall(*c, "execute",
           {json::string("INSERT INTO t VALUES (" + param + ")"), json::string(evil)});
  EXPECT_EQ(
      Rows(*c, {json::string("SELECT name FROM t WHERE name = " + param), json::string(evil)}),
      (json::array{json::array{json::string(evil)}}));
  EXPECT_EQ(Rows(*c, {"SELECT count(*) FROM t"}), json::parse("[[1]]"));
}

TEST_P(SqlContractTest, RollbackLeavesNoRowAndCommitKeepsIt) {
  auto env = REQUIRE_BACKEND(dialect_.server);
  auto a = MustConnect(ConfigOf(env));
  auto b = MustConnect(ConfigOf(env));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::string table = TableName();
  MustCall(*a, "execute", {json::string("DROP TABLE IF EXISTS " + table)});
  MustCall(
      *a, "execute",
      {json::string("CREATE TABLE " + table + " (v TEXT)" + std::string(dialect_.table_options))});
  const json::string insert("INSERT INTO " + table + " VALUES (" +
                            std::string(dialect_.first_param) + ")");
  const json::string count("SELECT count(*) FROM " + table);

  MustCall(*a, "execute", {"BEGIN"});
  MustCall(*a, "execute", {insert, "rolled back"});
  EXPECT_EQ(Rows(*a, {count}), json::parse("[[1]]"));
  EXPECT_EQ(Rows(*b, {count}), json::parse("[[0]]"));  // not visible before commit
  MustCall(*a, "execute", {"ROLLBACK"});
  EXPECT_EQ(Rows(*b, {count}), json::parse("[[0]]"));

  MustCall(*a, "execute", {"START TRANSACTION"});  // the standard spelling of BEGIN
  MustCall(*a, "execute", {insert, "committed"});
  MustCall(*a, "execute", {"COMMIT"});
  EXPECT_EQ(Rows(*b, {json::string("SELECT v FROM " + table)}), json::parse(R"([["committed"]])"));
  MustCall(*a, "execute", {json::string("DROP TABLE " + table)});
}

TEST_P(SqlContractTest, WrongPasswordFailsWithTheServersReason) {
  auto env = REQUIRE_BACKEND(dialect_.server);
  auto c = dialect_.type().connect(ConfigOf(env, {{"password", "not-the-password"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable);
  EXPECT_NE(c.status().message().find(dialect_.wrong_password_reason), std::string::npos)
      << c.status().message();
}

TEST_P(SqlContractTest, ClosedPortIsUnavailable) {
  auto env = REQUIRE_BACKEND(dialect_.server);
  auto c = dialect_.type().connect(ConfigOf(env, {{"port", FreePort()}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable);
  EXPECT_NE(c.status().message().find(dialect_.closed_port_reason), std::string::npos)
      << c.status().message();
}

TEST_P(SqlContractTest, SilentServerFailsTheConnectInTime) {
  auto env = REQUIRE_BACKEND(dialect_.server);
  SilentServer silent;
  Clock::time_point start = Clock::now();
  auto c = dialect_.type().connect(
      ConfigOf(env, {{"port", silent.port()}, {"connect_timeout_ms", 1000}}));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), base::Code::kUnavailable) << c.status().message();
}

}  // namespace
}  // namespace edgegate::services::testing
