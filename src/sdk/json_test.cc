// Tests of edgegate::Json (building, access, dump) and of the gateway parser feeding the SDK
// builder (host::ParseJsonToSink -> JsonBuilder), i.e. both halves of eg_host_api.json_parse.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "edgegate/sdk.hpp"
#include "host/json_bridge.h"
#include "sdk/json_builder.h"

namespace edgegate {
namespace {

// Parses `text` with the gateway parser into a Json; fails the test on a parse error.
Json Parse(std::string_view text) {
  detail::JsonBuilder builder;
  const eg_json_sink sink = builder.Sink();
  std::string error;
  EXPECT_TRUE(host::ParseJsonToSink(text, sink, &error)) << error << " in " << text;
  Json out;
  EXPECT_TRUE(builder.Finish(&out));
  return out;
}

// Returns the gateway parser's error for `text`, or "" if it parsed.
std::string ParseError(std::string_view text) {
  detail::JsonBuilder builder;
  const eg_json_sink sink = builder.Sink();
  std::string error;
  return host::ParseJsonToSink(text, sink, &error) ? "" : error;
}

TEST(JsonTest, DumpsObjectMembersInInsertionOrder) {
  Json value = Json::object({{"b", 1}, {"a", "x"}, {"c", Json::array({true, nullptr, 2.5})}});
  value["d"]["nested"] = -7;
  EXPECT_EQ(value.dump(), R"({"b":1,"a":"x","c":[true,null,2.5],"d":{"nested":-7}})");
}

TEST(JsonTest, EscapesQuotesBackslashAndControlCharacters) {
  const Json value(std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f", 14));
  EXPECT_EQ(value.dump(), R"("q\"b\\s/\b\f\n\r\t\u0001\u001f)"
                          "\x7f\"");
}

TEST(JsonTest, PassesValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Json("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").dump(),
            "\"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // Lone continuation, overlong, surrogate, truncated sequence.
  EXPECT_EQ(Json("a\x80"
                 "b\xC0\xAF"
                 "c\xED\xA0\x80"
                 "d\xE2\x82")
                .dump(),
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD"
            "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "d\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonTest, DoublesRoundTripAndNonFiniteBecomeNull) {
  for (double d : {0.1, 1.0 / 3.0, 3.0, -0.0, 1e300, 5e-324, 123456789.125}) {
    const Json parsed = Parse(Json(d).dump());
    ASSERT_TRUE(parsed.is_double()) << Json(d).dump();
    EXPECT_EQ(parsed.as_double(), d);
  }
  EXPECT_EQ(Json(3.0).dump(), "3.0");
  EXPECT_EQ(Json(std::nan("")).dump(), "null");
  EXPECT_EQ(Json(std::numeric_limits<double>::infinity()).dump(), "null");
}

TEST(JsonTest, IntegersKeepInt64AndLargeUnsignedBecomesDouble) {
  EXPECT_EQ(Json(std::numeric_limits<std::int64_t>::min()).dump(), "-9223372036854775808");
  EXPECT_TRUE(Json(std::uint64_t{1} << 62).is_int());
  EXPECT_TRUE(Json(std::numeric_limits<std::uint64_t>::max()).is_double());
  EXPECT_TRUE(Parse("18446744073709551615").is_double());
  EXPECT_EQ(Parse("-12").as_int(), -12);
}

TEST(JsonTest, TypedAccessorsConvertAndCheck) {
  const Json value = Json::object({{"n", 300}, {"s", "text"}, {"b", false}});
  EXPECT_EQ(value["n"].get<int>(), 300);
  EXPECT_EQ(value["n"].get<double>(), 300.0);
  EXPECT_EQ(value["s"].get<std::string>(), "text");
  EXPECT_EQ(value["s"].get<std::string_view>(), "text");
  EXPECT_FALSE(value["b"].get<bool>());
  EXPECT_THROW(value["n"].get<std::uint8_t>(), std::out_of_range);
  EXPECT_THROW(value["s"].as_int(), std::invalid_argument);
  EXPECT_THROW(Json(1.5).as_int(), std::invalid_argument);
}

TEST(JsonTest, ObjectAccessCreatesFindsAndThrows) {
  Json value;
  value["a"] = 1;
  value["a"] = 2;  // Same member, not a duplicate.
  EXPECT_EQ(value.size(), 1u);
  EXPECT_TRUE(value.contains("a"));
  EXPECT_FALSE(value.contains("b"));
  const Json& as_const = value;
  EXPECT_TRUE(as_const["missing"].is_null());
  EXPECT_THROW(as_const.at("missing"), std::out_of_range);
  EXPECT_THROW(Json(1)["key"], std::invalid_argument);
  EXPECT_TRUE(value.erase("a"));
  EXPECT_TRUE(value.empty());
}

TEST(JsonTest, ArraysAndIteration) {
  Json list;
  list.push_back(1);
  list.push_back("two");
  EXPECT_EQ(list.dump(), R"([1,"two"])");
  EXPECT_EQ(list[1].as_string(), "two");
  EXPECT_THROW(list.at(2), std::out_of_range);
  std::string keys;
  const Json object = Json::object({{"x", 1}, {"y", 2}});
  for (const Json::Member& member : object.members()) {
    keys += member.key;
  }
  EXPECT_EQ(keys, "xy");
  EXPECT_TRUE(Json().items().empty());
  EXPECT_THROW(Json("s").items(), std::invalid_argument);
}

TEST(JsonTest, EqualityComparesNumbersByValueAndIgnoresMemberOrder) {
  EXPECT_EQ(Json(1), Json(1.0));
  EXPECT_NE(Json(1), Json(1.5));
  EXPECT_NE(Json(std::int64_t{9007199254740993}), Json(9007199254740992.0));
  EXPECT_EQ(Json::object({{"a", 1}, {"b", 2}}), Json::object({{"b", 2}, {"a", 1}}));
  EXPECT_NE(Json::array({1, 2}), Json::array({2, 1}));
  EXPECT_NE(Json("1"), Json(1));
}

TEST(JsonTest, CopiesAreDeepAndAssigningOwnChildIsSafe) {
  Json original = Json::object({{"inner", Json::object({{"k", "v"}})}});
  Json copy = original;
  copy["inner"]["k"] = "changed";
  EXPECT_EQ(original["inner"]["k"].as_string(), "v");
  original = original["inner"];
  EXPECT_EQ(original.dump(), R"({"k":"v"})");
  Json moved = std::move(original);
  EXPECT_TRUE(original.is_null());  // NOLINT(bugprone-use-after-move): documented state.
}

TEST(JsonParseTest, RoundTripsThroughGatewayParser) {
  const Json value = Json::object({
      {"text", std::string("line\nquote\" nul\0 \xE2\x82\xAC", 20)},
      {"numbers", Json::array({0, -1, 1.25, 1e-7})},
      {"nested", Json::object({{"empty_array", Json::array()}, {"empty", Json::object()}})},
      {"flags", Json::array({true, false, nullptr})},
  });
  EXPECT_EQ(Parse(value.dump()), value);
  EXPECT_EQ(Parse(value.dump()).dump(), value.dump());
}

TEST(JsonParseTest, DeliversEscapedStringsAndKeysWhole) {
  const Json value = Parse(R"({"k\u00e9y\n": "a\\b\"c\u20ac\ud83d\ude00"})");
  EXPECT_EQ(value["k\xC3\xA9y\n"].as_string(), "a\\b\"c\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(JsonParseTest, JoinsLongEscapedStringsDeliveredInParts) {
  // Escapes plus more than the parser's 4 KiB buffer make Boost deliver several parts.
  const std::string k(5000, 'k');
  const std::string x(10000, 'x');
  const Json parsed = Parse("{\"" + k + "\\t" + k + "\":\"" + x + "\\n" + x + "\"}");
  ASSERT_TRUE(parsed.contains(k + "\t" + k));
  EXPECT_EQ(parsed[k + "\t" + k].as_string(), x + "\n" + x);
}

TEST(JsonParseTest, DuplicateKeysKeepLastValueAtFirstPosition) {
  EXPECT_EQ(Parse(R"({"a":1,"b":2,"a":3})").dump(), R"({"a":3,"b":2})");
  std::string big = "{";
  for (int i = 0; i < 40; ++i) {
    big += "\"k" + std::to_string(i % 20) + "\":" + std::to_string(i) + (i < 39 ? "," : "}");
  }
  const Json parsed = Parse(big);
  EXPECT_EQ(parsed.size(), 20u);
  EXPECT_EQ(parsed.members()[0].key, "k0");
  EXPECT_EQ(parsed["k0"].as_int(), 20);
  EXPECT_EQ(parsed["k19"].as_int(), 39);
}

TEST(JsonParseTest, RejectsMalformedInputWithAReason) {
  EXPECT_NE(ParseError("{\"a\":"), "");
  EXPECT_NE(ParseError("[1,]"), "");
  EXPECT_NE(ParseError("{} x"), "");
  EXPECT_NE(ParseError("\"\xFF\""), "");
  EXPECT_NE(ParseError(""), "");
  EXPECT_EQ(ParseError(" {\"a\": [1, 2]} \n"), "");
}

TEST(JsonParseTest, LimitsNestingDepth) {
  const std::size_t ok = host::kMaxJsonDepth;
  EXPECT_EQ(ParseError(std::string(ok, '[') + std::string(ok, ']')), "");
  EXPECT_NE(ParseError(std::string(ok + 1, '[') + std::string(ok + 1, ']')), "");
}

TEST(JsonParseTest, BuilderRejectsBrokenEventSequences) {
  detail::JsonBuilder builder;
  const eg_json_sink sink = builder.Sink();
  sink.begin_array(sink.self);
  sink.end_object(sink.self);
  Json out;
  EXPECT_FALSE(builder.Finish(&out));
}

}  // namespace
}  // namespace edgegate
