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

}  // namespace
}  // namespace edgegate::services
