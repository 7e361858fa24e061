// Tests of Request, Response, Context and detail::Invoke over a fake host (fake_host.h), the
// way a handler library sees them.
#include "edgegate/sdk.hpp"

#include <gtest/gtest.h>

#include "sdk/fake_host.h"

namespace edgegate {
namespace {

using testing::FakeHostApi;
using testing::FakeRequest;
using testing::ResponseHeader;

// Invokes `fn` as the gateway would and returns the recorded call.
eg_call InvokeHandler(FakeRequest& request, detail::HandlerFn fn, eg_call::Pairs query = {}) {
  eg_call call;
  call.query = std::move(query);
  detail::Invoke(&FakeHostApi(), &call, &request.View(), fn);
  return call;
}

class RequestTest : public ::testing::Test {
 protected:
  const Request& MakeRequest() {
    request_.emplace(FakeHostApi(), &call_, fake_.View());
    return *request_;
  }

  FakeRequest fake_;
  eg_call call_;
  std::optional<Request> request_;
};

TEST_F(RequestTest, ExposesRequestLineAndIdentity) {
  fake_.method = "POST";
  fake_.target = "/pets/7?x=1";
  fake_.path = "/pets/7";
  fake_.raw_query = "x=1";
  const Request& req = MakeRequest();
  EXPECT_EQ(req.method(), "POST");
  EXPECT_EQ(req.target(), "/pets/7?x=1");
  EXPECT_EQ(req.path(), "/pets/7");
  EXPECT_EQ(req.raw_query(), "x=1");
  EXPECT_EQ(req.host(), "example.test");
  EXPECT_EQ(req.client_ip(), "127.0.0.1");
  EXPECT_EQ(req.request_id(), "req-1");
}

TEST_F(RequestTest, HeadersAreCaseInsensitiveAndRepeatedOnesKeepOrder) {
  fake_.headers = {{"Content-Type", "application/json"}, {"X-Tag", "a"}, {"x-tag", "b"}};
  const Request& req = MakeRequest();
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("X-TAG"), "a");
  EXPECT_EQ(req.headers("x-Tag"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_FALSE(req.header("missing").has_value());
  EXPECT_TRUE(req.headers("missing").empty());
}

TEST_F(RequestTest, QueryParamsKeepRepeatedValues) {
  call_.query = {{"tag", "a"}, {"limit", "5"}, {"tag", "b"}, {"empty", ""}};
  const Request& req = MakeRequest();
  EXPECT_EQ(req.query_param("tag"), "a");
  EXPECT_EQ(req.query_params("tag"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(req.query_param("empty"), "");
  EXPECT_FALSE(req.query_param("Tag").has_value());  // Query names are case-sensitive.
  EXPECT_EQ(req.query_int("limit"), 5);
  EXPECT_FALSE(req.query_int("absent").has_value());
  EXPECT_EQ(req.require_query("tag"), "a");
}

TEST_F(RequestTest, MissingOrMalformedParamsAreBadRequests) {
  call_.query = {{"limit", "5x"}, {"empty", ""}};
  const Request& req = MakeRequest();
  try {
    (void)req.query_int("limit");
    FAIL() << "expected HttpError";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_STREQ(e.what(), "query parameter 'limit' must be an integer");
  }
  EXPECT_THROW((void)req.query_int("empty"), HttpError);
  EXPECT_THROW((void)req.require_query("q"), HttpError);
  EXPECT_THROW((void)req.require_path_param("id"), HttpError);
}

TEST_F(RequestTest, PathParams) {
  fake_.path_params = {{"id", "42"}, {"rest", "a/b c"}};
  const Request& req = MakeRequest();
  EXPECT_EQ(req.path_param("id"), "42");
  EXPECT_EQ(req.require_path_param("rest"), "a/b c");
  EXPECT_FALSE(req.path_param("ID").has_value());
}

TEST_F(RequestTest, BodyIsBinarySafe) {
  fake_.body = std::string("a\0b\xFF\0", 5);
  EXPECT_EQ(MakeRequest().body(), std::string_view("a\0b\xFF\0", 5));
}

TEST_F(RequestTest, JsonBodyIsParsedByTheHostAndCached) {
  fake_.body = R"({"name":"rex","tags":["a","b"]})";
  const Request& req = MakeRequest();
  const Json& body = req.json();
  EXPECT_EQ(body["name"].as_string(), "rex");
  EXPECT_EQ(body["tags"].size(), 2u);
  EXPECT_EQ(&req.json(), &body);
}

TEST_F(RequestTest, MalformedJsonBodyThrowsBadRequestWithReason) {
  fake_.body = R"({"name": )";
  try {
    (void)MakeRequest().json();
    FAIL() << "expected HttpError";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(std::string(e.what()).rfind("malformed JSON body: ", 0), 0u) << e.what();
  }
}

TEST(ResponseTest, HelpersSetStatusContentTypeAndBody) {
  EXPECT_EQ(Response::ok(Json::object({{"a", 1}})).body(), R"({"a":1})");
  EXPECT_EQ(Response::ok(Json()).content_type(), "application/json");
  EXPECT_EQ(Response::text(201, "hi").content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(Response::html(200, "<p>").content_type(), "text/html; charset=utf-8");
  const Response binary = Response::binary(200, std::string("\0\1", 2), "image/png");
  EXPECT_EQ(binary.content_type(), "image/png");
  EXPECT_EQ(binary.body().size(), 2u);
  EXPECT_EQ(Response::binary(200, "x", "").content_type(), "application/octet-stream");
  EXPECT_EQ(Response::created().status(), 201);
  EXPECT_EQ(Response::created().content_type(), "");
  EXPECT_EQ(Response::created(Json::object({{"id", 1}})).body(), R"({"id":1})");
  EXPECT_EQ(Response::no_content().status(), 204);
  EXPECT_EQ(Response::no_content().body(), "");
}

TEST(ResponseTest, ErrorHelpersAnswerJsonErrorWithDefaults) {
  EXPECT_EQ(Response::bad_request("bad name").body(), R"({"error":"bad name"})");
  EXPECT_EQ(Response::unauthorized().status(), 401);
  EXPECT_EQ(Response::forbidden().body(), R"({"error":"forbidden"})");
  EXPECT_EQ(Response::not_found().status(), 404);
  EXPECT_EQ(Response::conflict().status(), 409);
  EXPECT_EQ(Response::internal_error().status(), 500);
  EXPECT_EQ(Response::service_unavailable().body(), R"({"error":"service unavailable"})");
}

TEST(ResponseTest, WithHeaderKeepsRepeatsAndChainsOnTemporaries) {
  const Response response = Response::text(200, "ok")
                                .with_header("Set-Cookie", "a=1")
                                .with_header("Set-Cookie", "b=2")
                                .with_header("content-type", "text/csv");
  ASSERT_EQ(response.headers().size(), 2u);
  EXPECT_EQ(response.headers()[0].value, "a=1");
  EXPECT_EQ(response.headers()[1].value, "b=2");
  EXPECT_EQ(response.content_type(), "text/csv");
  Response named = Response::no_content();
  named.with_header("X-A", "1").with_header("X-B", "2");
  EXPECT_EQ(named.headers().size(), 2u);
}

TEST(ResponseTest, RejectsHeaderInjection) {
  Response response = Response::text(200, "");
  EXPECT_THROW(response.with_header("X-A", "1\r\nX-Evil: 1"), std::invalid_argument);
  EXPECT_THROW(response.with_header("Bad Name", "1"), std::invalid_argument);
  EXPECT_THROW(Response::redirect("/a\nb"), std::invalid_argument);
  const Response redirect = Response::redirect("/elsewhere", 301);
  EXPECT_EQ(redirect.status(), 301);
  EXPECT_EQ(redirect.headers()[0].name, "Location");
}

Response SetsCookies(Context&, const Request&) {
  return Response::text(200, "body")
      .with_header("Set-Cookie", "a=1")
      .with_header("Set-Cookie", "b=2");
}

TEST(InvokeTest, RespondsOnceWithContentTypeFirstThenHeaders) {
  FakeRequest request;
  const eg_call call = InvokeHandler(request, &SetsCookies);
  EXPECT_EQ(call.respond_count, 1);
  EXPECT_EQ(call.status, 200);
  EXPECT_EQ(call.response_body, "body");
  EXPECT_EQ(call.response_headers, (eg_call::Pairs{{"Content-Type", "text/plain; charset=utf-8"},
                                                   {"Set-Cookie", "a=1"},
                                                   {"Set-Cookie", "b=2"}}));
}

// The common answer, which Invoke sends without building a header array: the content type
// alone, or no header at all when the response has no content type.
TEST(InvokeTest, RespondsWithOnlyTheContentTypeOrNoHeaderAtAll) {
  FakeRequest request;
  const eg_call text = InvokeHandler(
      request, [](Context&, const Request&) { return Response::html(201, "<p>hi</p>"); });
  EXPECT_EQ(text.respond_count, 1);
  EXPECT_EQ(text.status, 201);
  EXPECT_EQ(text.response_body, "<p>hi</p>");
  EXPECT_EQ(text.response_headers,
            (eg_call::Pairs{{"Content-Type", "text/html; charset=utf-8"}}));

  const eg_call empty =
      InvokeHandler(request, [](Context&, const Request&) { return Response::no_content(); });
  EXPECT_EQ(empty.respond_count, 1);
  EXPECT_EQ(empty.status, 204);
  EXPECT_EQ(empty.response_body, "");
  EXPECT_TRUE(empty.response_headers.empty());

  const eg_call custom = InvokeHandler(request, [](Context&, const Request&) {
    return Response::text(200, "x").with_header("content-type", "text/csv");
  });
  EXPECT_EQ(custom.response_headers, (eg_call::Pairs{{"Content-Type", "text/csv"}}));
}

TEST(InvokeTest, HttpErrorBecomesItsStatusAndJsonError) {
  FakeRequest request;
  const eg_call call = InvokeHandler(request, [](Context&, const Request&) -> Response {
    throw HttpError(418, "I'm a \"teapot\"");
  });
  EXPECT_EQ(call.respond_count, 1);
  EXPECT_EQ(call.status, 418);
  EXPECT_EQ(call.response_body, R"({"error":"I'm a \"teapot\""})");
  EXPECT_EQ(ResponseHeader(call, "Content-Type"), "application/json");
  EXPECT_TRUE(call.logs.empty());
}

TEST(InvokeTest, StdExceptionIsLoggedAndBecomes500WithRequestId) {
  FakeRequest request;
  request.request_id = "abc-123";
  const eg_call call = InvokeHandler(
      request, [](Context&, const Request&) -> Response { throw std::runtime_error("boom"); });
  EXPECT_EQ(call.respond_count, 1);
  EXPECT_EQ(call.status, 500);
  EXPECT_EQ(call.response_body, R"({"error":"internal error","request_id":"abc-123"})");
  ASSERT_EQ(call.logs.size(), 1u);
  EXPECT_EQ(call.logs[0], (std::pair<int, std::string>{EG_LOG_ERROR, "unhandled exception: boom"}));
}

TEST(InvokeTest, UnknownExceptionIsLoggedAndBecomes500) {
  FakeRequest request;
  const eg_call call =
      InvokeHandler(request, [](Context&, const Request&) -> Response { throw 42; });
  EXPECT_EQ(call.status, 500);
  ASSERT_EQ(call.logs.size(), 1u);
  EXPECT_EQ(call.logs[0].second, "unhandled exception: unknown exception");
}

TEST(InvokeTest, MalformedJsonBodyBecomes400) {
  FakeRequest request;
  request.body = "{not json";
  const eg_call call = InvokeHandler(
      request, [](Context&, const Request& req) -> Response { return Response::ok(req.json()); });
  EXPECT_EQ(call.status, 400);
  EXPECT_NE(call.response_body.find("malformed JSON body: "), std::string::npos);
}

TEST(InvokeTest, InvalidStatusesBecome500) {
  FakeRequest request;
  EXPECT_EQ(InvokeHandler(request, [](Context&, const Request&) { return Response::text(42, ""); })
                .status,
            500);
  EXPECT_EQ(InvokeHandler(request,
                          [](Context&, const Request&) -> Response { throw HttpError(1000, "no"); })
                .status,
            500);
}

TEST(InvokeTest, ContextLogsAtLevelAndExposesIds) {
  FakeRequest request;
  const eg_call call = InvokeHandler(request, [](Context& ctx, const Request&) {
    ctx.log(LogLevel::kWarn, "careful");
    return Response::text(200,
                          std::string(ctx.endpoint_id()) + " " + std::string(ctx.request_id()));
  });
  EXPECT_EQ(call.response_body, "ep-1 req-1");
  EXPECT_EQ(call.logs, (std::vector<std::pair<int, std::string>>{{EG_LOG_WARN, "careful"}}));
}

TEST(InvokeTest, ContextParsesArbitraryJson) {
  FakeRequest request;
  const eg_call call = InvokeHandler(request, [](Context& ctx, const Request&) {
    return Response::ok(ctx.parse_json(R"([1, {"a": null}])"));
  });
  EXPECT_EQ(call.response_body, R"([1,{"a":null}])");
}

}  // namespace
}  // namespace edgegate

namespace edgegate {
namespace {

using testing::FakeHostApi;
using testing::FakeRequest;

TEST(ServicesTest, TypedCallsSendTheirOperationAndReadTheReply) {
  FakeRequest request;
  eg_call call;
  call.service_reply = R"({"columns":["id","name"],"rows":[[1,"a"],[2,null]]})";
  const eg_request& view = request.View();
  Context ctx(FakeHostApi(), &call, view);
  Rows rows = ctx.db("main").query("SELECT id, name FROM t WHERE id > ? AND x = ?", 0,
                                   std::string("b\0c", 3));
  ASSERT_EQ(call.service_calls.size(), 1u);
  const auto& sent = call.service_calls[0];
  EXPECT_EQ(sent.kind, EG_SERVICE_DATABASE);
  EXPECT_EQ(sent.name, "main");
  EXPECT_EQ(sent.op, "query");
  ASSERT_EQ(sent.args.size(), 3u);
  EXPECT_EQ(sent.args[0], std::make_pair(int{EG_VALUE_STRING},
                                         std::string("SELECT id, name FROM t WHERE id > ? AND x = ?")));
  EXPECT_EQ(sent.args[1], std::make_pair(int{EG_VALUE_INT}, std::string("0")));
  EXPECT_EQ(sent.args[2], std::make_pair(int{EG_VALUE_STRING}, std::string("b\0c", 3)));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.at(0, "name").as_string(), "a");
  EXPECT_TRUE(rows.at(1, "name").is_null());
  EXPECT_EQ(rows.to_json().dump(), R"([{"id":1,"name":"a"},{"id":2,"name":null}])");
  EXPECT_THROW(rows.at(0, "nope"), std::out_of_range);

  call.service_reply = "null";
  EXPECT_FALSE(ctx.cache("c").get("k").has_value());
  call.service_reply = R"("v")";
  EXPECT_EQ(ctx.cache("c").get("k").value(), "v");
  EXPECT_EQ(call.service_calls.back().kind, EG_SERVICE_CACHE);
}

// The typed methods pass their arguments as views (CallServiceValues): every method's
// operation, argument types and bytes as the gateway receives them.
TEST(ServicesTest, TypedMethodsSendTheirArgumentsAsTheyAre) {
  FakeRequest request;
  eg_call call;
  Context ctx(FakeHostApi(), &call, request.View());
  using Args = std::vector<std::pair<int, std::string>>;
  const std::string body("bytes\0with a NUL", 16);
  auto last = [&](std::string_view op, int kind, const Args& args) {
    ASSERT_FALSE(call.service_calls.empty());
    const auto& sent = call.service_calls.back();
    EXPECT_EQ(sent.op, op);
    EXPECT_EQ(sent.kind, kind);
    EXPECT_EQ(sent.tx, 0);
    EXPECT_EQ(sent.args, args) << op;
  };
  const int s = EG_VALUE_STRING, i = EG_VALUE_INT;

  call.service_reply = "null";
  ctx.cache("c").get("k1");
  last("get", EG_SERVICE_CACHE, Args{{s, "k1"}});
  ctx.cache("c").set("k2", body, 30);
  last("set", EG_SERVICE_CACHE, Args{{s, "k2"}, {s, body}, {i, "30"}});
  call.service_reply = "true";
  ctx.cache("c").del("k3");
  last("del", EG_SERVICE_CACHE, Args{{s, "k3"}});
  ctx.cache("c").exists("k4");
  last("exists", EG_SERVICE_CACHE, Args{{s, "k4"}});
  ctx.cache("c").expire("k5", 7);
  last("expire", EG_SERVICE_CACHE, Args{{s, "k5"}, {i, "7"}});
  call.service_reply = "3";
  EXPECT_EQ(ctx.cache("c").incr("k6", -2), 3);
  last("incr", EG_SERVICE_CACHE, Args{{s, "k6"}, {i, "-2"}});

  call.service_reply = R"({"key":"a/b","size":16})";
  EXPECT_EQ(ctx.storage("st").put("a/b", body, "text/plain").size, 16);
  last("put", EG_SERVICE_STORAGE, Args{{s, "a/b"}, {s, body}, {s, "text/plain"}});
  ctx.storage("st").get("a/c");
  last("get", EG_SERVICE_STORAGE, Args{{s, "a/c"}});
  ctx.storage("st").head("a/d");
  last("head", EG_SERVICE_STORAGE, Args{{s, "a/d"}});
  ctx.storage("st").del("a/e");
  last("del", EG_SERVICE_STORAGE, Args{{s, "a/e"}});
  call.service_reply = "[]";
  ctx.storage("st").list("a/");
  last("list", EG_SERVICE_STORAGE, Args{{s, "a/"}});
  call.service_reply = R"("https://example/x")";
  ctx.storage("st").presigned_url("a/f", "PUT", 60);
  last("presigned_url", EG_SERVICE_STORAGE, Args{{s, "a/f"}, {s, "PUT"}, {i, "60"}});

  call.service_reply = "null";
  ctx.ftp("f").put("in/x", body);
  last("put", EG_SERVICE_FTP, Args{{s, "in/x"}, {s, body}});
  ctx.ftp("f").get("in/y");
  last("get", EG_SERVICE_FTP, Args{{s, "in/y"}});
  ctx.ftp("f").del("in/z");
  last("del", EG_SERVICE_FTP, Args{{s, "in/z"}});
  call.service_reply = "[]";
  ctx.ftp("f").list("in");
  last("list", EG_SERVICE_FTP, Args{{s, "in"}});
}

// Cache and FTP gets receive their reply as a string without building a Json: the bytes as
// they are, null as nullopt, and anything else as a malformed reply (ServiceError, 500).
TEST(ServicesTest, GetsTakeAStringOrNullAndRefuseOtherReplies) {
  FakeRequest request;
  eg_call call;
  Context ctx(FakeHostApi(), &call, request.View());
  call.service_reply = R"("a\u0000b")";
  EXPECT_EQ(ctx.cache("c").get("k"), std::optional<std::string>(std::string("a\0b", 3)));
  EXPECT_EQ(ctx.ftp("f").get("p"), std::optional<std::string>(std::string("a\0b", 3)));
  call.service_reply = R"("")";
  EXPECT_EQ(ctx.cache("c").get("k"), std::optional<std::string>(""));
  call.service_reply = "null";
  EXPECT_EQ(ctx.ftp("f").get("p"), std::nullopt);
  for (const char* reply : {"5", "true", "1.5", "[]", R"(["x"])", R"({"a":"b"})"}) {
    call.service_reply = reply;
    try {
      ctx.cache("c").get("k");
      ADD_FAILURE() << "no error for " << reply;
    } catch (const ServiceError& e) {
      EXPECT_EQ(e.code(), ServiceError::Code::kInvalid) << reply;
      EXPECT_EQ(e.status(), 500) << reply;
      EXPECT_STREQ(e.what(), "service 'c': malformed reply") << reply;
    }
  }
}

// The generic call sends arrays and objects as JSON text, each in its own position.
TEST(ServicesTest, RawCallsSendArraysAndObjectsAsJsonText) {
  FakeRequest request;
  eg_call call;
  Context ctx(FakeHostApi(), &call, request.View());
  ctx.cache("c").call("op", {Json::array({1, 2}), Json("s"), Json::object({{"k", true}}),
                             Json(nullptr)});
  ASSERT_EQ(call.service_calls.size(), 1u);
  EXPECT_EQ(call.service_calls[0].args,
            (std::vector<std::pair<int, std::string>>{{EG_VALUE_JSON, "[1,2]"},
                                                      {EG_VALUE_STRING, "s"},
                                                      {EG_VALUE_JSON, R"({"k":true})"},
                                                      {EG_VALUE_NULL, "null"}}));
}

TEST(ServicesTest, AnUncaughtServiceErrorAnswersByItsCode) {
  FakeRequest request;
  auto handler = [](Context& ctx, const Request&) -> Response {
    ctx.cache("sessions").get("k");
    return Response::text(200, "unreachable");
  };
  const std::pair<int, int> cases[] = {{EG_SERVICE_NOT_FOUND, 503}, {EG_SERVICE_NOT_ACTIVE, 503},
                                       {EG_SERVICE_BUSY, 503},      {EG_SERVICE_UNAVAILABLE, 503},
                                       {EG_SERVICE_TIMEOUT, 504},   {EG_SERVICE_BACKEND, 502},
                                       {EG_SERVICE_INVALID, 500}};
  for (const auto& [status, http] : cases) {
    eg_call call;
    call.service_status = status;
    call.service_error = "service 'sessions': why";
    detail::Invoke(&FakeHostApi(), &call, &request.View(), handler);
    EXPECT_EQ(call.status, http) << status;
    EXPECT_EQ(call.response_body, R"({"error":"service 'sessions': why"})");
  }
}

TEST(ServicesTest, ATransactionNotCommittedRollsBack) {
  FakeRequest request;
  eg_call call;
  call.service_reply = R"({"tx":7})";
  Context ctx(FakeHostApi(), &call, request.View());
  {
    Transaction tx = ctx.db("main").begin();
    call.service_reply = R"({"affected_rows":1,"last_insert_id":null})";
    EXPECT_EQ(tx.execute("UPDATE t SET x = 1").affected_rows, 1);
  }
  ASSERT_EQ(call.service_calls.size(), 3u);
  EXPECT_EQ(call.service_calls[0].op, "begin");
  EXPECT_EQ(call.service_calls[1].tx, 7);
  EXPECT_EQ(call.service_calls[2].op, "rollback");
  EXPECT_EQ(call.service_calls[2].tx, 7);
}

}  // namespace
}  // namespace edgegate
