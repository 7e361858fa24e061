// Tests for OpenAPI parsing: the classic Petstore (3.0 YAML) and a 3.1 JSON spec, $ref
// resolution and its failures (missing, external, circular), invalid documents with their
// locations, hostile inputs (deep nesting, alias expansion), and the stub handler source.
#include "admin/openapi.h"

#include <gtest/gtest.h>

#include <string>

#include "admin/importer.h"

namespace edgegate::admin {
namespace {

// The classic Swagger Petstore (OpenAPI 3.0), trimmed to what the parser reads plus the
// $refs it must resolve.
constexpr const char* kPetstore = R"(openapi: "3.0.0"
info:
  version: 1.0.0
  title: Swagger Petstore
servers:
  - url: http://petstore.swagger.io/v1
paths:
  /pets:
    get:
      summary: List all pets
      operationId: listPets
      parameters:
        - name: limit
          in: query
          required: false
          schema:
            type: integer
      responses:
        '200':
          description: A paged array of pets
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Pets"
    post:
      summary: Create a pet
      operationId: createPets
      responses:
        '201':
          description: Null response
  /pets/{petId}:
    get:
      summary: Info for a specific pet
      operationId: showPetById
      parameters:
        - $ref: "#/components/parameters/PetId"
      responses:
        '200':
          $ref: "#/components/responses/Pet"
components:
  parameters:
    PetId:
      name: petId
      in: path
      required: true
      schema:
        type: string
  responses:
    Pet:
      description: Expected response to a valid request
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Pet"
  schemas:
    Pet:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
        friends:
          type: array
          items: {$ref: "#/components/schemas/Pet"}
    Pets:
      type: array
      items:
        $ref: "#/components/schemas/Pet"
)";

SpecParse Parse(const std::string& text) { return ParseOpenApi(text); }

// Petstore with `from` replaced by `to` (once).
std::string PetstoreWith(const std::string& from, const std::string& to) {
  std::string text = kPetstore;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

// A copy: callers pass temporaries.
SpecProblem OnlyProblem(const SpecParse& parsed) {
  EXPECT_FALSE(parsed.spec.has_value());
  EXPECT_EQ(parsed.problems.size(), 1u);
  return parsed.problems.empty() ? SpecProblem{"(none)", "(none)"} : parsed.problems.front();
}

TEST(OpenApiTest, PetstoreHasThreeOperationsWithMethodPathAndName) {
  SpecParse parsed = Parse(kPetstore);
  ASSERT_TRUE(parsed.spec.has_value()) << DescribeProblem(parsed.problems.front());
  const ApiSpec& spec = *parsed.spec;
  EXPECT_EQ(spec.openapi, "3.0.0");
  EXPECT_EQ(spec.title, "Swagger Petstore");
  ASSERT_EQ(spec.operations.size(), 3u);
  EXPECT_EQ(spec.operations[0].name, "listPets");
  EXPECT_EQ(spec.operations[0].method, "GET");
  EXPECT_EQ(spec.operations[0].path, "/pets");
  EXPECT_EQ(spec.operations[0].summary, "List all pets");
  EXPECT_EQ(spec.operations[0].location, "paths./pets.get");
  EXPECT_EQ(spec.operations[1].name, "createPets");
  EXPECT_EQ(spec.operations[1].method, "POST");
  EXPECT_EQ(spec.operations[2].name, "showPetById");
  EXPECT_EQ(spec.operations[2].path, "/pets/{petId}");
}

TEST(OpenApiTest, ParameterRefsAreResolved) {
  SpecParse parsed = Parse(kPetstore);
  ASSERT_TRUE(parsed.spec.has_value());
  const SpecOperation& show = parsed.spec->operations[2];
  ASSERT_EQ(show.parameters.size(), 1u);
  EXPECT_EQ(show.parameters[0].name, "petId");
  EXPECT_EQ(show.parameters[0].in, "path");
  EXPECT_TRUE(show.parameters[0].required);
}

TEST(OpenApiTest, RecursiveSchemasAreValid) {
  // Pet.friends.items refers back to Pet: a recursive schema, not a $ref circle.
  EXPECT_TRUE(Parse(kPetstore).spec.has_value());
}

TEST(OpenApiTest, PathItemRefsAndPathLevelParametersAreRead) {
  SpecParse parsed = Parse(R"({"openapi": "3.1.0", "info": {"title": "T", "version": "1"},
    "paths": {"/a/{id}": {"$ref": "#/components/pathItems/A"}},
    "components": {"pathItems": {"A": {
      "parameters": [{"name": "id", "in": "path", "required": true}],
      "delete": {"operationId": "deleteA",
                 "parameters": [{"name": "force", "in": "query"}]}}}}})");
  ASSERT_TRUE(parsed.spec.has_value()) << DescribeProblem(parsed.problems.front());
  ASSERT_EQ(parsed.spec->operations.size(), 1u);
  const SpecOperation& op = parsed.spec->operations[0];
  EXPECT_EQ(op.method, "DELETE");
  EXPECT_EQ(op.name, "deleteA");
  ASSERT_EQ(op.parameters.size(), 2u);
  EXPECT_EQ(op.parameters[0].name, "id");
  EXPECT_EQ(op.parameters[1].name, "force");
}

TEST(OpenApiTest, JsonPointerEscapesAreDecoded) {
  SpecParse parsed = Parse(R"({"openapi": "3.0.3", "info": {"title": "T", "version": "1"},
    "paths": {"/a/b": {"get": {"summary": "shared", "responses": {}}},
              "/c": {"$ref": "#/paths/~1a~1b"}}})");
  ASSERT_TRUE(parsed.spec.has_value()) << DescribeProblem(parsed.problems.front());
  ASSERT_EQ(parsed.spec->operations.size(), 2u);
  EXPECT_EQ(parsed.spec->operations[1].name, "get_c");
  EXPECT_EQ(parsed.spec->operations[1].summary, "shared");
}

TEST(OpenApiTest, OperationsWithoutOperationIdGetGeneratedNames) {
  SpecParse parsed = Parse(R"(openapi: 3.1.0
info: {title: T, version: "1"}
paths:
  /users/{userId}/repos:
    get: {responses: {}}
  /:
    get: {responses: {}}
)");
  ASSERT_TRUE(parsed.spec.has_value()) << DescribeProblem(parsed.problems.front());
  EXPECT_EQ(parsed.spec->operations[0].name, "get_users_userId_repos");
  EXPECT_EQ(parsed.spec->operations[0].operation_id, "");
  EXPECT_EQ(parsed.spec->operations[1].name, "get_root");
}

TEST(OpenApiTest, AMissingRefIsReportedAtItsLocationWithLine) {
  SpecParse parsed = Parse(PetstoreWith("$ref: \"#/components/responses/Pet\"",
                                        "$ref: \"#/components/responses/Nope\""));
  SpecProblem p = OnlyProblem(parsed);
  EXPECT_EQ(p.location, "paths./pets/{petId}.get.responses.200.$ref");
  EXPECT_NE(p.message.find("#/components/responses/Nope"), std::string::npos) << p.message;
  EXPECT_EQ(p.line, 39);
}

TEST(OpenApiTest, ACircleOfRefsIsReported) {
  SpecParse parsed = Parse(R"(openapi: 3.0.1
info: {title: T, version: "1"}
paths:
  /a:
    get:
      responses:
        '200': {$ref: "#/components/responses/A"}
components:
  responses:
    A: {$ref: "#/components/responses/B"}
    B: {$ref: "#/components/responses/A"}
)");
  ASSERT_FALSE(parsed.spec.has_value());
  ASSERT_FALSE(parsed.problems.empty());
  EXPECT_EQ(parsed.problems[0].location, "paths./a.get.responses.200.$ref");
  EXPECT_NE(parsed.problems[0].message.find("circular"), std::string::npos);
}

TEST(OpenApiTest, ExternalRefsAreRejected) {
  SpecProblem p = OnlyProblem(Parse(
      PetstoreWith("$ref: \"#/components/parameters/PetId\"", "$ref: \"common.yaml#/PetId\"")));
  EXPECT_EQ(p.location, "paths./pets/{petId}.get.parameters[0].$ref");
  EXPECT_NE(p.message.find("not local"), std::string::npos);
}

TEST(OpenApiTest, BadYamlReportsTheParsersLineAndColumn) {
  SpecProblem p = OnlyProblem(Parse("openapi: 3.0.0\npaths: [1, 2\ninfo: x\n"));
  EXPECT_EQ(p.location, "spec");
  EXPECT_GT(p.line, 1);
  EXPECT_GT(p.column, 0);
}

TEST(OpenApiTest, NonOpenApiDocumentsAreRejected) {
  EXPECT_EQ(OnlyProblem(Parse("swagger: '2.0'\npaths: {}\n")).location, "openapi");
  EXPECT_EQ(OnlyProblem(Parse("openapi: 2.5.0\npaths: {}\n")).location, "openapi");
  EXPECT_EQ(OnlyProblem(Parse("openapi: 4.0.0\npaths: {}\n")).location, "openapi");
  EXPECT_EQ(OnlyProblem(Parse("- a list\n")).location, "spec");
  EXPECT_EQ(OnlyProblem(Parse("")).location, "spec");
  EXPECT_EQ(OnlyProblem(Parse("just text")).location, "spec");
}

TEST(OpenApiTest, ASpecWithoutPathsIsRejected) {
  EXPECT_EQ(OnlyProblem(Parse("openapi: 3.0.0\ninfo: {title: T}\n")).location, "paths");
  EXPECT_EQ(OnlyProblem(Parse("openapi: 3.0.0\npaths: {}\n")).location, "paths");
  EXPECT_EQ(OnlyProblem(Parse("openapi: 3.0.0\npaths: {/a: {summary: x}}\n")).location, "paths");
}

TEST(OpenApiTest, DuplicateOperationIdsAreRejected) {
  SpecProblem p =
      OnlyProblem(Parse(PetstoreWith("operationId: createPets", "operationId: listPets")));
  EXPECT_EQ(p.location, "paths./pets.post.operationId");
}

TEST(OpenApiTest, DuplicateKeysAreRejected) {
  SpecProblem p = OnlyProblem(Parse("openapi: 3.0.0\npaths:\n  /a: {get: {}}\n  /a: {post: {}}\n"));
  EXPECT_EQ(p.location, "paths./a");
  EXPECT_EQ(p.line, 4);
}

TEST(OpenApiTest, EveryProblemIsListed) {
  SpecParse parsed = Parse(R"(openapi: 3.0.0
paths:
  /a: {get: {responses: {'200': {$ref: "#/nope/1"}}}}
  /b: {get: {responses: {'200': {$ref: "#/nope/2"}}}}
  /c: {get: {responses: {'200': {$ref: "http://example.com/x"}}}}
)");
  EXPECT_EQ(parsed.problems.size(), 3u);
}

TEST(OpenApiTest, DeepNestingIsRefusedNotCrashed) {
  std::string deep = "openapi: 3.0.0\npaths: " + std::string(100000, '[') + "\n";
  EXPECT_EQ(OnlyProblem(Parse(deep)).location, "spec");
}

TEST(OpenApiTest, AliasExpansionIsBounded) {
  // Each level doubles the tree the walk would visit: 2^40 nodes unbounded.
  std::string text = "openapi: 3.0.0\nx0: &a0 [1, 2]\n";
  for (int i = 1; i <= 40; ++i) {
    text += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  text += "paths: {/a: {get: {}}}\n";
  SpecParse parsed = ParseOpenApi(text, SpecLimits{.max_nodes = 100000});
  ASSERT_FALSE(parsed.spec.has_value());
  EXPECT_NE(parsed.problems[0].message.find("too large"), std::string::npos);
}

TEST(OpenApiTest, NodeCountIsBoundedBeforeTheTreeIsBuilt) {
  std::string text = "openapi: 3.0.0\nx: [";
  for (int i = 0; i < 1000; ++i) text += "1, ";
  text += "1]\npaths: {/a: {get: {}}}\n";
  EXPECT_TRUE(ParseOpenApi(text).spec.has_value());
  SpecParse parsed = ParseOpenApi(text, SpecLimits{.max_parse_nodes = 500});
  ASSERT_FALSE(parsed.spec.has_value());
  EXPECT_EQ(parsed.problems[0].location, "spec");
  EXPECT_NE(parsed.problems[0].message.find("more than 500 YAML nodes"), std::string::npos);
}

TEST(OpenApiTest, GeneratedNamesAreIdentifierLike) {
  EXPECT_EQ(GeneratedOperationName("GET", "/pets/{petId}"), "get_pets_petId");
  EXPECT_EQ(GeneratedOperationName("post", "/a-b/c.d"), "post_a_b_c_d");
  EXPECT_EQ(GeneratedOperationName("GET", "/"), "get_root");
}

SpecOperation Operation(std::string name, std::string path, std::string summary) {
  SpecOperation op;
  op.operation_id = op.name = std::move(name);
  op.method = "GET";
  op.path = std::move(path);
  op.summary = std::move(summary);
  return op;
}

TEST(StubHandlerTest, AnswersNotImplementedWithTheOperationName) {
  SpecOperation op = Operation("listPets", "/pets", "List all pets");
  std::string code = StubHandlerSource(op);
  EXPECT_EQ(code.rfind("#include <edgegate/sdk.hpp>\n", 0), 0u);  // first: the PCH applies
  EXPECT_NE(code.find("Response::json(501"), std::string::npos);
  EXPECT_NE(code.find("\"not implemented\""), std::string::npos);
  EXPECT_NE(code.find("{\"operation\", \"listPets\"}"), std::string::npos);
  EXPECT_NE(code.find("EDGEGATE_HANDLER(handle)"), std::string::npos);
}

TEST(StubHandlerTest, SpecTextCannotEscapeCommentsOrStrings) {
  SpecOperation op = Operation("a\"b\\c", "/x", "line one\nint evil = 1; \\");
  std::string code = StubHandlerSource(op);
  EXPECT_EQ(code.find("\nint evil"), std::string::npos);
  EXPECT_EQ(code.find("\\\n"), std::string::npos);  // no line splice into the next line
  EXPECT_NE(code.find("\"a\\\"b\\\\c\""), std::string::npos) << code;
}

}  // namespace
}  // namespace edgegate::admin
