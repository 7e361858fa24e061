// Tests only: what the integration tests of the real backends share, so each backend's test file
// keeps only what is particular to it. Loopback sockets that play a dead, a silent or a dying
// server (a free port, a listener that never answers, a forwarder that can be cut); calling an op
// that must succeed; sample values (every byte, non-ASCII text); and the contracts every backend
// of a kind keeps (caches: redis, memcached; SQL: postgres, mysql), written once as parameterised
// test suites that each backend's test file instantiates. Failures are GoogleTest failures of the
// running test.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "services/connection.h"

namespace edgegate::services::testing {

// Bytes 0x00..0xFF, in order: a value that only survives when binary-safe.
std::string AllBytes();

// UTF-8 text with 2- and 3-byte sequences ("héllo wörld ✓ 日本"), for round trips.
inline constexpr std::string_view kNonAsciiText =
    "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac";

// A listening socket on a free 127.0.0.1 port that nobody accepts on: the kernel completes the
// handshake, nobody answers. Returns the fd (the caller closes it); *port receives the port. A
// failing socket call fails the test.
int ListenOnLoopback(int* port);

// A socket connected to 127.0.0.1:`port` (the caller closes it); failing to connect fails the test.
int ConnectToLoopback(int port);

// A loopback port that nothing listens on: one that was free a moment ago (bound, read, closed).
int FreePort();

// A server that hangs: owns a ListenOnLoopback socket and closes it when destroyed.
class SilentServer {
 public:
  SilentServer() : fd_(ListenOnLoopback(&port_)) {}
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; }

 private:
  int port_ = 0;
  const int fd_;
};

// Forwards connections from its own loopback port to `target_port` on a thread, until Cut() closes
// every socket at once: to the client, the server has died. Cut() is idempotent; the destructor
// cuts. Methods are for the test's thread.
class Forwarder {
 public:
  explicit Forwarder(int target_port);
  ~Forwarder() { Cut(); }
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;
  int port() const { return port_; }
  void Cut();

 private:
  void Run();

  const int target_port_;
  int port_ = 0;
  const int listen_fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: it uses the fields above
};

// Connects with `type`; null (and a test failure with the reason) when that fails.
std::unique_ptr<Connection> MustConnect(const ServiceType& type, const boost::json::object& config);

// Runs op `op` with `args`, which must succeed: its result, else null and a test failure naming
// the op, its arguments and the error.
boost::json::value MustCall(Connection& c, std::string_view op, boost::json::array args);

// Runs `calls` (op, args) through Connection::CallBatch and returns the results, in order.
std::vector<base::Result<boost::json::value>> Batch(
    Connection& c, const std::vector<std::pair<std::string, boost::json::array>>& calls);

// A self-signed certificate made now with the openssl tool, in a fresh PEM file that the
// destructor removes: a root that signed none of the test servers' certificates. path() is empty
// (and the test has failed) if openssl did not run.
class UnrelatedRoot {
 public:
  UnrelatedRoot();
  ~UnrelatedRoot();
  UnrelatedRoot(const UnrelatedRoot&) = delete;
  UnrelatedRoot& operator=(const UnrelatedRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// For EXPECT_TRUE: `status` failed with `code` and its message contains `text` (a refused
// connect's reason). The failure message shows the status.
::testing::AssertionResult FailedWith(const base::Status& status, base::Code code,
                                      std::string_view text);

// A key unique to this test and process ("edgegate-test:<pid>:<test>:<suffix>"), so parallel runs
// and reruns against one cache server never collide.
std::string TestKey(std::string_view suffix);

// The contracts that every backend of a kind keeps are test suites defined once, in
// backend_test_util.cc, and run for each backend by its own test file:
//   INSTANTIATE_TEST_SUITE_P(Redis, CacheContractTest, ::testing::Values(CacheUnderTest{...}));
// Each test skips (or fails under make test) when env.json lacks the backend's server.

// A cache backend for CacheContractTest.
struct CacheUnderTest {
  std::string_view server;                                           // its env.json entry
  const ServiceType& (*type)();                                      // e.g. RedisType
  boost::json::object (*config_of)(const boost::json::object& env);  // config for its server
  std::string round_trip_key;     // TestKey suffix for the binary round trip: an odd key
  std::string_view incr_refusal;  // in the error of incr on a value that is no integer
};
void PrintTo(const CacheUnderTest& cache, std::ostream* os);

// Get, set (with TTL), del, exists, incr, expire, ping and argument checks, as every cache keeps
// them.
class CacheContractTest : public ::testing::TestWithParam<CacheUnderTest> {};

// A SQL backend: what its tests need to know about its server and dialect.
struct SqlDialect {
  std::string_view server;         // its env.json entry
  const ServiceType& (*type)();    // e.g. PostgresType
  std::string_view first_param;    // how a statement names its first parameter: "$1", "?"
  std::string_view table_options;  // what CREATE TABLE appends after the columns (an engine)
  std::string_view wrong_password_reason;  // in the error of a connect with a wrong password
  std::string_view closed_port_reason;     // in the error of a connect to a closed port
};
void PrintTo(const SqlDialect& dialect, std::ostream* os);

// Fixture base of a SQL backend's tests: `env` is its env.json entry (from REQUIRE_BACKEND in the
// test body). Thread-compatible.
class SqlBackendTest : public ::testing::Test {
 protected:
  // `dialect` must outlive the fixture (a constant, or the suite's parameter).
  explicit SqlBackendTest(const SqlDialect& dialect) : dialect_(dialect) {}

  // The connection config for `env` (timeout_ms 5000), with `extra` keys set over it; it must
  // validate.
  boost::json::object ConfigOf(const boost::json::object& env,
                               boost::json::object extra = {}) const;
  std::unique_ptr<Connection> MustConnect(const boost::json::object& config) const {
    return services::testing::MustConnect(dialect_.type(), config);
  }
  // The "rows" of a query that must succeed; null (and a test failure) otherwise.
  static boost::json::value Rows(Connection& c, boost::json::array args);
  // A table name unique to this process and test: lowercase letters, digits and '_', at most 60
  // characters.
  static std::string TableName();

  const SqlDialect& dialect_;
};

// Parameter binding, transactions and connect failures, as every SQL backend keeps them. The
// param base comes first: SqlBackendTest's constructor reads the parameter.
class SqlContractTest : public ::testing::WithParamInterface<SqlDialect>, public SqlBackendTest {
 protected:
  SqlContractTest() : SqlBackendTest(GetParam()) {}
};

}  // namespace edgegate::services::testing
