// The memory cache through its Connection: the cache operations of docs/services.md, binary
// values, TTLs and LRU eviction, through Call and through CallScalar (the handlers' path).
#include <gtest/gtest.h>

#include <thread>

#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class MemoryTest : public ::testing::Test {
 protected:
  std::unique_ptr<Connection> Open(json::object config = {}) {
    auto c = MemoryType().connect(config);
    EXPECT_TRUE(c.ok());
    return std::move(c).value();
  }
  json::value Must(Connection& c, std::string_view op, json::array args) {
    auto r = c.Call(op, args);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().message();
    return r.ok() ? *r : json::value();
  }
};

TEST_F(MemoryTest, BinaryValuesRoundTrip) {
  auto c = Open();
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  Must(*c, "set", {"k", json::string(bytes)});
  EXPECT_EQ(Must(*c, "get", {"k"}).as_string(), json::string(bytes));
  EXPECT_TRUE(Must(*c, "get", {"missing"}).is_null());
}

TEST_F(MemoryTest, DelExistsIncrExpire) {
  auto c = Open();
  EXPECT_EQ(Must(*c, "incr", {"n"}).as_int64(), 1);
  EXPECT_EQ(Must(*c, "incr", {"n", 41}).as_int64(), 42);
  EXPECT_EQ(Must(*c, "incr", {"n", -2}).as_int64(), 40);
  EXPECT_TRUE(Must(*c, "exists", {"n"}).as_bool());
  EXPECT_TRUE(Must(*c, "del", {"n"}).as_bool());
  EXPECT_FALSE(Must(*c, "del", {"n"}).as_bool());
  EXPECT_FALSE(Must(*c, "expire", {"n", 5}).as_bool());
  Must(*c, "set", {"s", "text"});
  auto not_int = c->Call("incr", {"s"});
  EXPECT_EQ(not_int.status().code(), base::Code::kBackendError);
  EXPECT_EQ(c->Call("nope", {"s"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(c->Call("get", {}).status().code(), base::Code::kInvalidArgument);
}

TEST_F(MemoryTest, EntriesExpire) {
  auto c = Open();
  Must(*c, "set", {"t", "v", 1});
  EXPECT_EQ(Must(*c, "get", {"t"}).as_string(), "v");
  std::this_thread::sleep_for(1100ms);
  EXPECT_TRUE(Must(*c, "get", {"t"}).is_null());
  EXPECT_FALSE(Must(*c, "exists", {"t"}).as_bool());
}

TEST_F(MemoryTest, EvictsTheLeastRecentlyUsedBeyondItsBound) {
  auto c = Open(json::object{{"max_entries", 16 * 4}});  // 4 per shard
  for (int i = 0; i < 2000; ++i) {
    Must(*c, "set", {"key" + std::to_string(i), "v"});
  }
  int present = 0;
  for (int i = 0; i < 2000; ++i) {
    present += Must(*c, "exists", {"key" + std::to_string(i)}).as_bool() ? 1 : 0;
  }
  EXPECT_LE(present, 64);
  EXPECT_TRUE(Must(*c, "exists", {"key1999"}).as_bool());  // the newest stays
}

// The path handlers' calls take (inline, no Boost.JSON): the same operations and replies.
TEST(MemoryScalarTest, AnswersScalarsFromViews) {
  auto opened = MemoryType().connect({});
  ASSERT_TRUE(opened.ok());
  Connection& c = **opened;
  const std::string bytes("a\0b", 3);
  const ArgView set[] = {ArgView::String("k"), ArgView::String(bytes), ArgView::Int(0)};
  auto r = c.CallScalar("set", set);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->type, ScalarReply::Type::kNull);
  const ArgView key[] = {ArgView::String("k")};
  r = c.CallScalar("get", key);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, ScalarReply::Type::kString);
  EXPECT_EQ(r->text, bytes);
  r = c.CallScalar("exists", key);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, ScalarReply::Type::kBool);
  EXPECT_TRUE(r->boolean);
  const ArgView incr[] = {ArgView::String("n"), ArgView::Int(5)};
  r = c.CallScalar("incr", incr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, ScalarReply::Type::kInt);
  EXPECT_EQ(r->integer, 5);
  const ArgView missing[] = {ArgView::String("missing")};
  r = c.CallScalar("get", missing);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, ScalarReply::Type::kNull);
  // Argument errors name the argument, as on the Boost.JSON path.
  const ArgView not_a_key[] = {ArgView::Int(1)};
  r = c.CallScalar("get", not_a_key);
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "get: argument 1 (key) must be a string");
  const ArgView bad_ttl[] = {ArgView::String("k"), ArgView::String("v"), ArgView::String("soon")};
  r = c.CallScalar("set", bad_ttl);
  EXPECT_EQ(r.status().message(), "set: argument 3 (ttl_seconds) must be an integer");
}

}  // namespace
}  // namespace edgegate::services::backends
