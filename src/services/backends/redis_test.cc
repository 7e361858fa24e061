// Integration tests of the Redis cache against the real server that scripts/backends/up.sh starts
// (env.json entry "redis": host, port, password). A second, raw hiredis connection plays the
// administrator: it reads TTLs, plants values of the wrong type and kills our connection.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <chrono>

#include "services/backends/backend_test_util.h"
#include "services/backends/backends.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using testing::Batch;
using testing::CacheContractTest;
using testing::CacheUnderTest;
using testing::FreePort;
using testing::MustCall;
using testing::SilentServer;
using testing::TestKey;

json::object ConfigOf(const json::object& env, json::object extra = {}) {
  json::object config{{"host", env.at("host")},
                      {"port", env.at("port")},
                      {"password", env.at("password")},
                      {"timeout_ms", 2000}};
  for (const auto& [k, v] : extra) {
    config[k] = v;
  }
  return config;
}

std::unique_ptr<Connection> MustConnect(const json::object& config) {
  return testing::MustConnect(RedisType(), config);
}

// A raw hiredis connection authenticated like ours, for checks the cache ops cannot make.
struct Admin {
  explicit Admin(const json::object& env)
      : c(redisConnect(std::string(env.at("host").as_string()).c_str(),
                       static_cast<int>(env.at("port").to_number<int64_t>()))) {
    EXPECT_EQ(c->err, 0) << c->errstr;
    Run("AUTH", std::string(env.at("password").as_string()));
  }
  ~Admin() { redisFree(c); }
  // Runs a command with string arguments; returns the integer, the string, or "" on error.
  template <typename... Args>
  std::string Run(const Args&... args) {
    std::string argv[] = {std::string(args)...};
    const char* ptrs[sizeof...(args)];
    size_t lens[sizeof...(args)];
    for (size_t i = 0; i < sizeof...(args); ++i) {
      ptrs[i] = argv[i].data();
      lens[i] = argv[i].size();
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c, sizeof...(args), ptrs, lens));
    EXPECT_NE(r, nullptr) << c->errstr;
    std::string out;
    if (r != nullptr && r->type == REDIS_REPLY_INTEGER) {
      out = std::to_string(r->integer);
    } else if (r != nullptr && r->str != nullptr) {
      out.assign(r->str, r->len);
    }
    freeReplyObject(r);
    return out;
  }
  redisContext* c;
};

// The cache contract (backend_test_util.cc); the binary round trip uses a key with NUL and 0xFF
// bytes.
INSTANTIATE_TEST_SUITE_P(Redis, CacheContractTest,
                         ::testing::Values(CacheUnderTest{
                             .server = "redis",
                             .type = &RedisType,
                             .config_of = [](const json::object& env) { return ConfigOf(env); },
                             .round_trip_key = std::string("bin\0key\xff", 8),
                             .incr_refusal = "not an integer"}));

TEST(RedisTest, IsRegisteredAsACache) {
  const ServiceType* t = FindType("redis");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind, Kind::kCache);
  auto bad = ValidateConfig(*t, json::object{{"database", "1"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "config.database");
  EXPECT_TRUE(ValidateConfig(*t, json::object{{"host", "h"},
                                              {"port", 1},
                                              {"password", "p"},
                                              {"database", 3},
                                              {"use_tls", false},
                                              {"pool_size", 2}})
                  .ok());
}

TEST(RedisTest, IncrCountsFromZeroByAnyAmount) {
  auto env = REQUIRE_BACKEND("redis");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("n");
  EXPECT_EQ(MustCall(*c, "incr", {key}), json::value(1));
  EXPECT_EQ(MustCall(*c, "incr", {key, 5}), json::value(6));
  EXPECT_EQ(MustCall(*c, "incr", {key, -10}), json::value(-4));
  EXPECT_EQ(MustCall(*c, "get", {key}), json::value("-4"));
  MustCall(*c, "del", {key});
}

TEST(RedisTest, ValueOfAnotherTypeIsABackendError) {
  auto env = REQUIRE_BACKEND("redis");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("list");
  Admin admin(env);
  admin.Run("RPUSH", key, "x");
  auto r = c->Call("get", {key});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kBackendError);
  EXPECT_NE(r.status().message().find("WRONGTYPE"), std::string::npos) << r.status().message();
  admin.Run("DEL", key);
}

TEST(RedisTest, ExpireSetsAndZeroClearsTheTtl) {
  auto env = REQUIRE_BACKEND("redis");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Admin admin(env);
  std::string key = TestKey("e");
  MustCall(*c, "set", {key, "v"});
  EXPECT_EQ(admin.Run("TTL", key), "-1");
  EXPECT_EQ(MustCall(*c, "expire", {key, 100}), json::value(true));
  int64_t ttl = std::stoll(admin.Run("TTL", key));
  EXPECT_GT(ttl, 90);
  EXPECT_LE(ttl, 100);
  EXPECT_EQ(MustCall(*c, "expire", {key, 0}), json::value(true));
  EXPECT_EQ(admin.Run("TTL", key), "-1") << "expire 0 removes the expiry, keeps the key";
  MustCall(*c, "set", {key, "v", 100});
  MustCall(*c, "set", {key, "w"});
  EXPECT_EQ(admin.Run("TTL", key), "-1") << "set without ttl clears an earlier one";
  EXPECT_EQ(MustCall(*c, "expire", {TestKey("absent"), 0}), json::value(false));
  MustCall(*c, "del", {key});
}

TEST(RedisTest, ABatchPipelinesEveryOperationAndAnswersEachInOrder) {
  auto env = REQUIRE_BACKEND("redis");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  Admin admin(env);
  const std::string key = TestKey("b");
  const std::string counter = TestKey("bn");
  const std::string list = TestKey("bl");
  admin.Run("RPUSH", list, "x");
  auto results = Batch(*c, {
      {"set", {key, "v"}},              // 0
      {"get", {key}},                   // 1
      {"incr", {counter}},              // 2
      {"incr", {counter, 5}},           // 3
      {"get", {TestKey("absent")}},     // 4
      {"incr", {list}},                 // 5: WRONGTYPE from Redis, the rest goes on
      {"get", {}},                      // 6: no key: refused, nothing sent
      {"expire", {key, 100}},           // 7
      {"expire", {key, 0}},             // 8: MULTI...EXEC, run between the pipelined ones
      {"get", {key}},                   // 9
      {"exists", {key}},                // 10
      {"del", {key}},                   // 11
      {"exists", {key}},                // 12
      {"fly", {key}},                   // 13: unknown operation
  });
  ASSERT_EQ(results.size(), 14u);
  for (size_t i : {0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12}) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().message();
  }
  EXPECT_EQ(*results[0], json::value(nullptr));
  EXPECT_EQ(*results[1], json::value("v"));
  EXPECT_EQ(*results[2], json::value(1));
  EXPECT_EQ(*results[3], json::value(6));
  EXPECT_EQ(*results[4], json::value(nullptr));
  EXPECT_EQ(results[5].status().code(), base::Code::kBackendError);
  EXPECT_NE(results[5].status().message().find("WRONGTYPE"), std::string::npos);
  EXPECT_EQ(results[6].status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(*results[7], json::value(true));
  EXPECT_EQ(*results[8], json::value(true));
  EXPECT_EQ(*results[9], json::value("v"));
  EXPECT_EQ(*results[10], json::value(true));
  EXPECT_EQ(*results[11], json::value(true));
  EXPECT_EQ(*results[12], json::value(false));
  EXPECT_EQ(results[13].status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(admin.Run("GET", counter), "6");
  // The connection is in step after the batch: its next call reads its own reply.
  EXPECT_EQ(MustCall(*c, "incr", {counter}), json::value(7));
  admin.Run("DEL", counter);
  admin.Run("DEL", list);
}

TEST(RedisTest, WrongPasswordFailsWithRedisReason) {
  auto env = REQUIRE_BACKEND("redis");
  auto wrong = RedisType().connect(ConfigOf(env, {{"password", "not-the-password"}}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), base::Code::kUnavailable);
  EXPECT_NE(wrong.status().message().find("WRONGPASS"), std::string::npos)
      << wrong.status().message();

  json::object none = ConfigOf(env);
  none.erase("password");
  auto missing = RedisType().connect(none);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), base::Code::kUnavailable);
  EXPECT_NE(missing.status().message().find("NOAUTH"), std::string::npos)
      << missing.status().message();
}

TEST(RedisTest, DatabaseSelectionIsolatesKeys) {
  auto env = REQUIRE_BACKEND("redis");
  auto one = MustConnect(ConfigOf(env, {{"database", 1}}));
  auto two = MustConnect(ConfigOf(env, {{"database", 2}}));
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  std::string key = TestKey("db");
  MustCall(*one, "set", {key, "in one"});
  EXPECT_TRUE(MustCall(*two, "get", {key}).is_null());
  EXPECT_EQ(MustCall(*one, "get", {key}), json::value("in one"));
  MustCall(*one, "del", {key});

  auto out_of_range = RedisType().connect(ConfigOf(env, {{"database", 100000}}));
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.status().code(), base::Code::kUnavailable);
  EXPECT_NE(out_of_range.status().message().find("out of range"), std::string::npos)
      << out_of_range.status().message();
}

TEST(RedisTest, TlsIsRefusedNamingTheKey) {
  auto r = RedisType().connect(json::object{{"use_tls", true}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(r.status().field(), "config.use_tls");
}

TEST(RedisTest, UnreachableServerIsUnavailable) {
  auto r = RedisType().connect(json::object{{"host", "127.0.0.1"}, {"port", FreePort()}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("refused"), std::string::npos) << r.status().message();
}

TEST(RedisTest, ServerThatNeverAnswersTimesOut) {
  SilentServer silent;  // the kernel completes the handshake, nobody answers
  Clock::time_point start = Clock::now();
  auto r = RedisType().connect(
      json::object{{"host", "127.0.0.1"}, {"port", silent.port()}, {"timeout_ms", 300}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

// A connection to database 9 that the server has killed (CLIENT KILL); null on failure.
std::unique_ptr<Connection> KilledConnection(const json::object& env) {
  // Database 9 marks our connection in CLIENT LIST; the newest such client is ours.
  auto c = MustConnect(ConfigOf(env, {{"database", 9}}));
  if (c == nullptr) {
    return nullptr;
  }
  Admin admin(env);
  std::string list = admin.Run("CLIENT", "LIST");
  std::string id;
  for (size_t pos = 0; (pos = list.find("id=", pos)) != std::string::npos; ++pos) {
    size_t eol = list.find('\n', pos);
    std::string line = list.substr(pos, eol - pos);
    if (line.find(" db=9 ") != std::string::npos) {
      id = line.substr(3, line.find(' ') - 3);
    }
  }
  EXPECT_FALSE(id.empty()) << list;
  if (id.empty()) {
    return nullptr;
  }
  EXPECT_EQ(admin.Run("CLIENT", "KILL", "ID", id), "1");
  return c;
}

TEST(RedisTest, KilledConnectionIsUnavailable) {
  auto env = REQUIRE_BACKEND("redis");
  auto c = KilledConnection(env);
  ASSERT_NE(c, nullptr);
  auto r = c->Call("get", {TestKey("k")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << r.status().message();
  EXPECT_EQ(c->Ping().code(), base::Code::kUnavailable);
}

TEST(RedisTest, KilledConnectionFailsEveryCallOfABatch) {
  auto env = REQUIRE_BACKEND("redis");
  auto c = KilledConnection(env);
  ASSERT_NE(c, nullptr);
  auto results = Batch(*c, {{"get", {TestKey("k")}},
                            {"set", {TestKey("k"), "v"}},
                            {"expire", {TestKey("k"), 0}},
                            {"get", {TestKey("k")}}});
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_FALSE(results[i].ok()) << i;
    EXPECT_EQ(results[i].status().code(), base::Code::kUnavailable)
        << i << ": " << results[i].status().message();
  }
}

}  // namespace
}  // namespace edgegate::services::backends
