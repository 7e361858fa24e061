#include "services/catalog.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace edgegate::services {
namespace {

namespace json = boost::json;

TEST(CatalogTest, FindsTypesAndAliases) {
  ASSERT_NE(FindType("sqlite"), nullptr);
  EXPECT_EQ(FindType("sqlite")->kind, Kind::kDatabase);
  EXPECT_EQ(FindType("memory")->kind, Kind::kCache);
  EXPECT_EQ(FindType("mongodb"), nullptr);
  EXPECT_EQ(FindType(""), nullptr);
}

TEST(CatalogTest, ValidateConfigNamesTheOffendingKey) {
  const ServiceType& t = *FindType("sqlite");
  auto unknown = ValidateConfig(t, json::parse(R"({"path":"x.db","colour":"red"})"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().field(), "config.colour");

  auto wrong_type = ValidateConfig(t, json::parse(R"({"path":"x.db","pool_size":"4"})"));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().field(), "config.pool_size");
  EXPECT_NE(wrong_type.status().message().find("integer"), std::string::npos);

  auto out_of_range = ValidateConfig(t, json::parse(R"({"path":"x.db","pool_size":0})"));
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.status().field(), "config.pool_size");

  auto missing = ValidateConfig(t, json::parse(R"({})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().field(), "config.path");

  auto not_object = ValidateConfig(t, json::parse(R"([1])"));
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.status().field(), "config");

  EXPECT_TRUE(ValidateConfig(t, json::parse(R"({"path":"x.db","pool_size":2})")).ok());
}

TEST(CatalogTest, RelativeKeysStayInsideTheRoot) {
  EXPECT_TRUE(CheckRelativeKey("a/b/c.txt").ok());
  EXPECT_TRUE(CheckRelativeKey("a..b/..c").ok());
  EXPECT_FALSE(CheckRelativeKey("").ok());
  EXPECT_FALSE(CheckRelativeKey("/etc/passwd").ok());
  EXPECT_FALSE(CheckRelativeKey("../x").ok());
  EXPECT_FALSE(CheckRelativeKey("a/../../x").ok());
  EXPECT_FALSE(CheckRelativeKey("a/..").ok());
  EXPECT_FALSE(CheckRelativeKey("a\\b").ok());
  EXPECT_FALSE(CheckRelativeKey(std::string_view("a\0b", 3)).ok());
  EXPECT_FALSE(CheckRelativeKey(std::string(1025, 'a')).ok());
}

// ---- connection.h helpers: the two forms of a call ----

// A connection that answers Call with its first argument, for the default CallScalar.
class EchoConnection final : public Connection {
 public:
  base::Result<boost::json::value> Call(std::string_view, const boost::json::array& args) override {
    for (const boost::json::value& first : args) {
      return first;
    }
    return boost::json::value();
  }
  base::Status Ping() override { return base::OkStatus(); }
};

TEST(ConnectionScalarTest, TheDefaultConvertsBothWays) {
  EchoConnection c;
  auto r = c.CallScalar("op", std::span<const ArgView>());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, ScalarReply::Type::kNull);
  const ArgView text[] = {ArgView::String("t")};
  r = c.CallScalar("op", text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "t");
  const ArgView number[] = {ArgView::Int(-7)};
  r = c.CallScalar("op", number);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->integer, -7);
  ArgView json;
  json.type = ArgView::Type::kJson;
  json.text = "[1,2]";
  r = c.CallScalar("op", std::span<const ArgView>(&json, 1));  // an array: not a scalar
  EXPECT_EQ(r.status().code(), base::Code::kInternal);
  json.text = "[1,";
  r = c.CallScalar("op", std::span<const ArgView>(&json, 1));
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
}

TEST(ArgViewTest, JsonArgumentsBecomeViews) {
  const boost::json::array args = {nullptr, true, -3, 18446744073709551615ull, 1.5, "s",
                                   boost::json::array{1, 2}, boost::json::object{{"k", "v"}}};
  std::vector<ArgView> views;
  std::vector<std::string> texts;
  ToArgViews(args, views, texts);
  ASSERT_EQ(views.size(), args.size());
  EXPECT_EQ(views[0].type, ArgView::Type::kNull);
  EXPECT_TRUE(views[1].boolean);
  EXPECT_EQ(views[2].integer, -3);
  EXPECT_EQ(views[3].type, ArgView::Type::kDouble);  // past int64
  EXPECT_EQ(views[4].number, 1.5);
  EXPECT_EQ(views[5].text, "s");
  EXPECT_EQ(views[6].type, ArgView::Type::kJson);
  EXPECT_EQ(views[6].text, "[1,2]");
  EXPECT_EQ(views[7].text, R"({"k":"v"})");
}

}  // namespace
}  // namespace edgegate::services
