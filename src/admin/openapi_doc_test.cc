// Tests for the admin API's OpenAPI document: every route in the list appears with its method,
// path parameters and scope; known routes get their table entry, unknown ones a generic one.
#include "admin/openapi_doc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace edgegate::admin {
namespace {

namespace json = boost::json;

Reply Nothing(AdminCall&) { return Ok(nullptr); }

std::vector<AdminRoute> SampleRoutes() {
  AdminRoutes routes;
  routes.Add("GET", "/api/health", "", Nothing);
  routes.Add("GET", "/api/endpoints", "endpoints:read", Nothing);
  routes.Add("POST", "/api/endpoints", "endpoints:write", Nothing);
  routes.Add("GET", "/api/endpoints/{id}/code", "endpoints:read", Nothing);
  routes.Add("DELETE", "/api/widgets/{id}/parts/{*rest}", "widgets:write", Nothing);
  return routes.all();
}

const json::object& Op(const json::object& doc, const char* path, const char* method) {
  return doc.at("paths").as_object().at(path).as_object().at(method).as_object();
}

TEST(OpenApiDocTest, IsVersion31WithEveryRouteAndNothingElse) {
  json::object doc = BuildOpenApiDocument(SampleRoutes(), "9.9.9");
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version").as_string(), "9.9.9");
  size_t operations = 0;
  for (const auto& path : doc.at("paths").as_object()) {
    operations += path.value().as_object().size();
  }
  EXPECT_EQ(operations, SampleRoutes().size());
  EXPECT_EQ(doc.at("paths").as_object().size(), 4u);  // GET and POST /api/endpoints share one
  EXPECT_NO_THROW(Op(doc, "/api/endpoints", "get"));
  EXPECT_NO_THROW(Op(doc, "/api/endpoints", "post"));
}

TEST(OpenApiDocTest, ScopedRoutesNameTheirScopeAndNeedBearer) {
  json::object doc = BuildOpenApiDocument(SampleRoutes(), "1");
  const json::object& list = Op(doc, "/api/endpoints", "get");
  EXPECT_EQ(list.at("x-required-scope").as_string(), "endpoints:read");
  EXPECT_TRUE(list.at("security").as_array().at(0).as_object().contains("bearer"));
  EXPECT_TRUE(list.at("responses").as_object().contains("401"));
}

TEST(OpenApiDocTest, UnscopedRoutesHaveEmptySecurity) {
  json::object doc = BuildOpenApiDocument(SampleRoutes(), "1");
  const json::object& health = Op(doc, "/api/health", "get");
  EXPECT_FALSE(health.contains("x-required-scope"));
  EXPECT_TRUE(health.at("security").as_array().empty());
}

TEST(OpenApiDocTest, PathParametersComeFromThePattern) {
  json::object doc = BuildOpenApiDocument(SampleRoutes(), "1");
  const json::object& del = Op(doc, "/api/widgets/{id}/parts/{rest}", "delete");
  const json::array& params = del.at("parameters").as_array();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].at("name").as_string(), "id");
  EXPECT_EQ(params[0].at("in").as_string(), "path");
  EXPECT_EQ(params[1].at("name").as_string(), "rest");
  EXPECT_TRUE(params[1].at("required").as_bool());
}

TEST(OpenApiDocTest, KnownRoutesGetSummaryBodyAndStatusFromTheTable) {
  json::object doc = BuildOpenApiDocument(SampleRoutes(), "1");
  const json::object& create = Op(doc, "/api/endpoints", "post");
  EXPECT_EQ(create.at("summary").as_string(), "Create an endpoint");
  EXPECT_TRUE(create.at("responses").as_object().contains("201"));
  const json::object& schema =
      create.at("requestBody").at("content").at("application/json").at("schema").as_object();
  EXPECT_EQ(schema.at("required").as_array().size(), 3u);
  EXPECT_TRUE(schema.at("properties").as_object().contains("dependencies"));
  const json::object& list = Op(doc, "/api/endpoints", "get");
  EXPECT_EQ(list.at("parameters").as_array().size(), 6u);  // the list's query filters
}

TEST(OpenApiDocTest, UnknownRoutesGetAGenericSummary) {
  json::object doc = BuildOpenApiDocument(SampleRoutes(), "1");
  const json::object& del = Op(doc, "/api/widgets/{id}/parts/{rest}", "delete");
  EXPECT_EQ(del.at("summary").as_string(), "DELETE /api/widgets/{id}/parts/{*rest}");
  EXPECT_FALSE(del.contains("requestBody"));
  EXPECT_EQ(del.at("tags").as_array().at(0).as_string(), "widgets");
}

TEST(OpenApiDocTest, OperationIdsAreUnique) {
  json::object doc = BuildOpenApiDocument(SampleRoutes(), "1");
  std::vector<std::string> ids;
  for (const auto& path : doc.at("paths").as_object()) {
    for (const auto& op : path.value().as_object()) {
      ids.emplace_back(op.value().at("operationId").as_string());
    }
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

}  // namespace
}  // namespace edgegate::admin
