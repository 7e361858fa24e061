// Integration tests of the Memcached cache against the real server that scripts/backends/up.sh
// starts (env.json entry "memcached": host, port). To watch a server die under a live connection,
// a small TCP forwarder stands between the two and is cut; TTLs are read back with memcached's
// own meta command (`mg <key> t`) on a raw socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "services/backends/backends.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string HostPort(const json::object& env) {
  return std::string(env.at("host").as_string()) + ":" +
         std::to_string(env.at("port").to_number<int64_t>());
}

json::object ConfigOf(const json::object& env) {
  return json::object{{"servers", json::array{json::string(HostPort(env))}}, {"timeout_ms", 2000}};
}

std::unique_ptr<Connection> MustConnect(const json::object& config) {
  auto c = MemcachedType().connect(config);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : nullptr;
}

// A key unique to this test and process, so parallel runs and reruns never collide.
std::string TestKey(std::string_view suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return "edgegate-test:" + std::to_string(getpid()) + ":" + info->name() + ":" +
         std::string(suffix);
}

json::value Call(Connection& c, std::string_view op, json::array args) {
  auto r = c.Call(op, args);
  EXPECT_TRUE(r.ok()) << op << ": " << r.status().message();
  return r.ok() ? std::move(r).value() : json::value(nullptr);
}

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) {
    s.push_back(static_cast<char>(i));
  }
  return s;
}

sockaddr_in Loopback(int port = 0) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A listening socket on a free loopback port; *port receives the port.
int Listen(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback();
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// The remaining TTL of `key` per memcached's meta get: -1 = no expiry, nullopt = absent.
std::optional<int64_t> MetaTtl(const json::object& env, std::string_view key) {
  int fd = ConnectTo(static_cast<int>(env.at("port").to_number<int64_t>()));
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

// Forwards connections from its own port to `target_port` on a thread, until Cut() closes every
// socket at once: to the client, the server has died.
class Forwarder {
 public:
  explicit Forwarder(int target_port)
      : target_port_(target_port), listen_fd_(Listen(&port_)), thread_([this] { Run(); }) {}
  ~Forwarder() { Cut(); }
  int port() const { return port_; }
  void Cut() {
    if (!stop_.exchange(true)) {
      thread_.join();
    }
  }

 private:
  void Run() {
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
        fds.push_back(ConnectTo(target_port_));
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

  const int target_port_;
  int port_ = 0;
  const int listen_fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: it uses the fields above
};

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

TEST(MemcachedTest, RoundTripsBinaryAndNonAsciiValues) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("cl\xc3\xa9-\xe6\x97\xa5");  // non-ASCII keys are fine
  for (const std::string& value : {AllBytes(),
                                   std::string("h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 "
                                               "\xe6\x97\xa5\xe6\x9c\xac"),
                                   std::string()}) {
    EXPECT_TRUE(Call(*c, "set", {json::string(key), json::string(value)}).is_null());
    json::value got = Call(*c, "get", {json::string(key)});
    ASSERT_TRUE(got.is_string());
    EXPECT_EQ(std::string_view(got.get_string()), value);
  }
  EXPECT_EQ(Call(*c, "del", {json::string(key)}), json::value(true));
}

TEST(MemcachedTest, MissingKeyReadsAsNull) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(Call(*c, "get", {TestKey("absent")}).is_null());
  EXPECT_EQ(Call(*c, "exists", {TestKey("absent")}), json::value(false));
  EXPECT_EQ(Call(*c, "del", {TestKey("absent")}), json::value(false));
  EXPECT_EQ(Call(*c, "expire", {TestKey("absent"), 10}), json::value(false));
}

TEST(MemcachedTest, ValueWithTtlExpires) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("ttl");
  Call(*c, "set", {key, "soon gone", 1});
  EXPECT_EQ(Call(*c, "get", {key}), json::value("soon gone"));
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(3);
  while (!Call(*c, "get", {key}).is_null() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(Call(*c, "get", {key}).is_null()) << "still there after 3 s";
}

TEST(MemcachedTest, TtlBeyondThirtyDaysIsStillRelative) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("long");
  constexpr int64_t k40Days = 40 * 24 * 3600;
  Call(*c, "set", {key, "v", k40Days});
  EXPECT_EQ(Call(*c, "get", {key}), json::value("v")) << "sent as a 1970 timestamp?";
  std::optional<int64_t> ttl = MetaTtl(env, key);
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, k40Days - 10);
  EXPECT_LE(*ttl, k40Days);
  Call(*c, "del", {key});
}

TEST(MemcachedTest, DelAndExistsReportWhetherTheKeyExisted) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("k");
  Call(*c, "set", {key, "v"});
  EXPECT_EQ(Call(*c, "exists", {key}), json::value(true));
  EXPECT_EQ(Call(*c, "del", {key}), json::value(true));
  EXPECT_EQ(Call(*c, "exists", {key}), json::value(false));
  EXPECT_EQ(Call(*c, "del", {key}), json::value(false));
}

TEST(MemcachedTest, IncrCountsFromZeroAndRefusesNegativeSteps) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("n");
  EXPECT_EQ(Call(*c, "incr", {key}), json::value(1));
  EXPECT_EQ(Call(*c, "incr", {key, 5}), json::value(6));
  EXPECT_EQ(Call(*c, "incr", {key, 0}), json::value(6));
  EXPECT_EQ(Call(*c, "incr", {key, int64_t{5'000'000'000}}), json::value(5'000'000'006));
  EXPECT_EQ(Call(*c, "get", {key}), json::value("5000000006"));
  auto negative = c->Call("incr", {key, -1});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), base::Code::kInvalidArgument);
  std::string fresh = TestKey("fresh");
  EXPECT_EQ(Call(*c, "incr", {fresh, 7}), json::value(7)) << "a missing key counts from 0";
  Call(*c, "del", {key});
  Call(*c, "del", {fresh});
}

TEST(MemcachedTest, IncrOfANonIntegerIsABackendError) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  std::string key = TestKey("text");
  Call(*c, "set", {key, "abc"});
  auto r = c->Call("incr", {key, 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kBackendError) << r.status().message();
  EXPECT_NE(r.status().message().find("memcached: incr: the server refused"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Call(*c, "get", {key}), json::value("abc"));
  Call(*c, "del", {key});
  EXPECT_TRUE(c->Ping().ok()) << "the connection survives a backend error";
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
  Call(*c, "set", {key, "v"});
  EXPECT_EQ(MetaTtl(env, key), -1);
  EXPECT_EQ(Call(*c, "expire", {key, 100}), json::value(true));
  std::optional<int64_t> ttl = MetaTtl(env, key);
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl, 90);
  EXPECT_LE(*ttl, 100);
  EXPECT_EQ(Call(*c, "expire", {key, 0}), json::value(true));
  EXPECT_EQ(MetaTtl(env, key), -1) << "expire 0 removes the expiry, keeps the key";
  EXPECT_EQ(Call(*c, "get", {key}), json::value("v"));
  Call(*c, "del", {key});
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
  EXPECT_TRUE(Call(*c, "set", {json::string(longest), "v", 5}).is_null());
  EXPECT_EQ(Call(*c, "del", {json::string(longest)}), json::value(true));
}

TEST(MemcachedTest, BadArgumentsAreRefused) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
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

TEST(MemcachedTest, PingRoundTrips) {
  auto env = REQUIRE_BACKEND("memcached");
  auto c = MustConnect(ConfigOf(env));
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->Ping().ok());
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
  int port = 0;
  close(Listen(&port));  // nothing listens there any more
  auto r = MemcachedType().connect(
      json::object{{"servers", json::array{json::string("127.0.0.1:" + std::to_string(port))}},
                   {"timeout_ms", 500}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("refused"), std::string::npos) << r.status().message();
}

TEST(MemcachedTest, OneDeadServerAmongSeveralFailsTheConnect) {
  auto env = REQUIRE_BACKEND("memcached");
  int port = 0;
  close(Listen(&port));
  json::object config = ConfigOf(env);
  config["servers"].get_array().emplace_back("127.0.0.1:" + std::to_string(port));
  auto r = MemcachedType().connect(config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable);
  EXPECT_NE(r.status().message().find(std::to_string(port)), std::string::npos)
      << r.status().message();
}

TEST(MemcachedTest, ServerThatNeverAnswersTimesOut) {
  int port = 0;
  int fd = Listen(&port);  // never accepts: the handshake completes, nobody answers
  Clock::time_point start = Clock::now();
  auto r = MemcachedType().connect(
      json::object{{"servers", json::array{json::string("127.0.0.1:" + std::to_string(port))}},
                   {"timeout_ms", 300}});
  close(fd);
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
  Call(*c, "set", {key, "v"});
  EXPECT_EQ(Call(*c, "get", {key}), json::value("v"));
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
  Call(*direct, "del", {key});
}

}  // namespace
}  // namespace edgegate::services::backends
