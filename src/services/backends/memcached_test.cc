// Integration tests of the Memcached cache against the real server that scripts/backends/up.sh
// starts (env.json entry "memcached": host, port). To watch a server die under a live connection,
// a small TCP forwarder stands between the two and is cut; TTLs are read back with memcached's
// own meta command (`mg <key> t`) on a raw socket.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "services/backends/backend_test_util.h"
#include "services/backends/backends.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using testing::CacheContractTest;
using testing::CacheUnderTest;
using testing::ConnectToLoopback;
using testing::Forwarder;
using testing::FreePort;
using testing::MustCall;
using testing::SilentServer;
using testing::TestKey;

std::string HostPort(const json::object& env) {
  return std::string(env.at("host").as_string()) + ":" +
         std::to_string(env.at("port").to_number<int64_t>());
}

json::object ConfigOf(const json::object& env) {
  return json::object{{"servers", json::array{json::string(HostPort(env))}}, {"timeout_ms", 2000}};
}

std::unique_ptr<Connection> MustConnect(const json::object& config) {
  return testing::MustConnect(MemcachedType(), config);
}

// The remaining TTL of `key` per memcached's meta get: -1 = no expiry, nullopt = absent.
std::optional<int64_t> MetaTtl(const json::object& env, std::string_view key) {
  int fd = ConnectToLoopback(static_cast<int>(env.at("port").to_number<int64_t>()));
  std::string request = "mg " + std::string(key) + " t\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[256];
  while (reply.find("\r\n") == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    reply.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (!reply.starts_with("HD t")) {
    EXPECT_TRUE(reply.starts_with("EN")) << reply;
    return std::nullopt;
  }
  return std::stoll(reply.substr(4));
}

// The cache contract (backend_test_util.cc); the binary round trip uses a non-ASCII key (they are
// fine).
INSTANTIATE_TEST_SUITE_P(Memcached, CacheContractTest,
                         ::testing::Values(CacheUnderTest{
                             .server = "memcached",
                             .type = &MemcachedType,
                             .config_of = [](const json::object& env) { return ConfigOf(env); },
                             .round_trip_key = "cl\xc3\xa9-\xe6\x97\xa5",
                             .incr_refusal = "memcached: incr: the server refused"}));

TEST(MemcachedTest, IsRegisteredAsACache) {
  const ServiceType* t = FindType("memcached");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind, Kind::kCache);
  auto bad = ValidateConfig(*t, json::object{{"servers", "127.0.0.1:11211"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "config.servers");
  EXPECT_TRUE(ValidateConfig(*t, json::object{{"servers", json::array{"a:1", "b"}},
                                              {"pool_size", 2},
                                              {"timeout_ms", 100}})
                  .ok());
}

TEST(MemcachedTest, TtlBeyondThirtyDaysIsStillRelative) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("long");
  constexpr int64_t k40Days = 40 * 24 * 3600;
  MustCall(*c, "set", {key, "v", k40Days});
  EXPECT_EQ(MustCall(*c, "get", {key}), json::value("v")) << "sent as a 1970 timestamp?";
  std::optional<int64_t> ttl = MetaTtl(env, key);
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, k40Days - 10);
  // memcached's clock ticks once a second, so just after a second starts it may still count the
  // last one and report a TTL a second longer than was set.
  EXPECT_LE(*ttl, k40Days + 5);
  MustCall(*c, "del", {key});
}

TEST(MemcachedTest, IncrCountsFromZeroAndRefusesNegativeSteps) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("n");
  EXPECT_EQ(MustCall(*c, "incr", {key}), json::value(1));
  EXPECT_EQ(MustCall(*c, "incr", {key, 5}), json::value(6));
  EXPECT_EQ(MustCall(*c, "incr", {key, 0}), json::value(6));
  EXPECT_EQ(MustCall(*c, "incr", {key, int64_t{5'000'000'000}}), json::value(5'000'000'006));
  EXPECT_EQ(MustCall(*c, "get", {key}), json::value("5000000006"));
  auto negative = c->Call("incr", {key, -1});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), base::Code::kInvalidArgument);
  std::string fresh = TestKey("fresh");
  EXPECT_EQ(MustCall(*c, "incr", {fresh, 7}), json::value(7)) << "a missing key counts from 0";
  MustCall(*c, "del", {key});
  MustCall(*c, "del", {fresh});
}

TEST(MemcachedTest, ValueOverTheItemSizeLimitIsABackendError) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  auto r = c->Call("set", {TestKey("big"), json::string(2 * 1024 * 1024, 'x')});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kBackendError) << r.status().message();
  EXPECT_TRUE(c->Ping().ok());
}

TEST(MemcachedTest, ExpireSetsAndZeroClearsTheTtl) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("e");
  MustCall(*c, "set", {key, "v"});
  EXPECT_EQ(MetaTtl(env, key), -1);
  EXPECT_EQ(MustCall(*c, "expire", {key, 100}), json::value(true));
  std::optional<int64_t> ttl = MetaTtl(env, key);
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 90);
  EXPECT_LE(*ttl, 100);
  EXPECT_EQ(MustCall(*c, "expire", {key, 0}), json::value(true));
  EXPECT_EQ(MetaTtl(env, key), -1) << "expire 0 removes the expiry, keeps the key";
  EXPECT_EQ(MustCall(*c, "get", {key}), json::value("v"));
  MustCall(*c, "del", {key});
}

TEST(MemcachedTest, KeysFollowMemcachedRules) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  for (const std::string& bad :
       {std::string(), std::string(251, 'k'), std::string("a b"), std::string("a\nb"),
        std::string("a\0b", 3), std::string("a\x7f"), std::string("tab\t")}) {
    for (std::string_view op : {"get", "set", "del", "exists", "incr", "expire"}) {
      auto r = c->Call(op, {json::string(bad), "v", 1});
      ASSERT_FALSE(r.ok()) << op;
      EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument) << op;
      EXPECT_NE(r.status().message().find("key"), std::string::npos) << r.status().message();
    }
  }
  std::string longest(250, 'k');
  EXPECT_TRUE(MustCall(*c, "set", {json::string(longest), "v", 5}).is_null());
  EXPECT_EQ(MustCall(*c, "del", {json::string(longest)}), json::value(true));
}

TEST(MemcachedTest, MalformedServerIsRefusedNamingTheKey) {
  for (std::string_view bad : {"h:0", "h:x", "h:70000", ":11211", "[::1", "[::1]x", "h:"}) {
    auto r = MemcachedType().connect(json::object{{"servers", json::array{bad}}});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().field(), "config.servers") << bad;
  }
  auto empty = MemcachedType().connect(json::object{{"servers", json::array{}}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().field(), "config.servers");
}

TEST(MemcachedTest, ServerWithoutPortOrInBracketsIsAccepted) {
  auto env = REQUIRE_BACKEND("memcached");
  std::string port = std::to_string(env.at("port").to_number<int64_t>());
  auto c = MustConnect(json::object{{"servers", json::array{json::string("[127.0.0.1]:" + port)}}});
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Ping().ok());
}

TEST(MemcachedTest, UnreachableServerFailsToConnect) {
  int port = FreePort();
  auto r = MemcachedType().connect(
      json::object{{"servers", json::array{json::string("127.0.0.1:" + std::to_string(port))}},
                   {"timeout_ms", 500}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("refused"), std::string::npos) << r.status().message();
}

TEST(MemcachedTest, OneDeadServerAmongSeveralFailsTheConnect) {
  auto env = REQUIRE_BACKEND("memcached");
  int port = FreePort();
  json::object config = ConfigOf(env);
  config["servers"].get_array().emplace_back("127.0.0.1:" + std::to_string(port));
  auto r = MemcachedType().connect(config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable);
  EXPECT_NE(r.status().message().find(std::to_string(port)), std::string::npos)
      << r.status().message();
}

TEST(MemcachedTest, ServerThatNeverAnswersTimesOut) {
  SilentServer silent;  // never accepts: the handshake completes, nobody answers
  int port = silent.port();
  Clock::time_point start = Clock::now();
  auto r = MemcachedType().connect(
      json::object{{"servers", json::array{json::string("127.0.0.1:" + std::to_string(port))}},
                   {"timeout_ms", 300}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST(MemcachedTest, ServerDyingUnderAConnectionMakesItUnavailable) {
  auto env = REQUIRE_BACKEND("memcached");
  Forwarder forwarder(static_cast<int>(env.at("port").to_number<int64_t>()));
  auto c = MustConnect(json::object{
      {"servers", json::array{json::string("127.0.0.1:" + std::to_string(forwarder.port()))}},
      {"timeout_ms", 500}});
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("k");
  MustCall(*c, "set", {key, "v"});
  EXPECT_EQ(MustCall(*c, "get", {key}), json::value("v"));
  forwarder.Cut();
  Clock::time_point start = Clock::now();
  base::Status ping = c->Ping();
  EXPECT_EQ(ping.code(), base::Code::kUnavailable) << ping.message();
  auto r = c->Call("get", {key});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  auto direct = MustConnect(ConfigOf(env));
  ASSERT_NE(direct, nullptr);
  MustCall(*direct, "del", {key});
}

}  // namespace
}  // namespace edgegate::services::backends
