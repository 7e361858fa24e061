// Integration tests of the s3 backend against a real S3 API that verifies SigV4 (Swift s3api,
// started by scripts/backends/up.sh s3). Reads env.json's s3 entry: endpoint, access_key,
// secret_key, bucket, region.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "services/backends/backend_test_util.h"
#include "services/backends/backends.h"
#include "services/backends/curl_util.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using testing::AllBytes;
using testing::FreePort;
using testing::SilentServer;

json::object ConfigFrom(const json::object& env) {
  return json::object{{"endpoint", env.at("endpoint")},     {"access_key", env.at("access_key")},
                      {"secret_key", env.at("secret_key")}, {"bucket", env.at("bucket")},
                      {"region", env.at("region")},         {"timeout_ms", 5000}};
}

std::unique_ptr<Connection> MustConnect(const json::object& config) {
  auto connection = S3Type().connect(config);
  EXPECT_TRUE(connection.ok()) << connection.status().message();
  return connection.ok() ? std::move(connection).value() : nullptr;
}

// A key prefix no other run shares, so runs against one server do not see each other's keys.
std::string UniquePrefix(std::string_view test) {
  return "t" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-" +
         std::to_string(getpid()) + "/" + std::string(test) + "/";
}

bool IsRfc3339(const json::value& v) {
  static const std::regex kPattern(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  return v.is_string() && std::regex_match(std::string(v.get_string()), kPattern);
}

// A plain, unauthenticated request with libcurl: what a browser does with a presigned URL.
curl::Response Fetch(const std::string& url, std::optional<std::string_view> upload = {}) {
  auto easy = curl::Easy::Create("test");
  EXPECT_TRUE(easy.ok());
  curl_easy_setopt(easy->get(), CURLOPT_URL, url.c_str());
  curl::RequestOptions options;
  options.upload = upload;
  auto r = curl::Perform(*easy, "test", options);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : curl::Response{};
}

// A SigV4-signed request without a body, outside the backend under test; returns the status.
long SignedRequest(const json::object& env, const char* method, const std::string& path) {
  auto easy = curl::Easy::Create("test");
  EXPECT_TRUE(easy.ok());
  std::string url = std::string(env.at("endpoint").as_string()) + path;
  std::string sigv4 = "aws:amz:" + std::string(env.at("region").as_string()) + ":s3";
  curl::HeaderList headers;
  headers.Add(
      "x-amz-content-sha256: "
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");  // of ""
  curl_easy_setopt(easy->get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy->get(), CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(easy->get(), CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(easy->get(), CURLOPT_USERNAME, env.at("access_key").as_string().c_str());
  curl_easy_setopt(easy->get(), CURLOPT_PASSWORD, env.at("secret_key").as_string().c_str());
  curl_easy_setopt(easy->get(), CURLOPT_HTTPHEADER, headers.get());
  auto r = curl::Perform(*easy, "test", curl::RequestOptions());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->code : 0;
}

class S3Test : public ::testing::Test {
 protected:
  void Connect() {
    auto env = testing::BackendEnv("s3");
    ASSERT_TRUE(env.has_value());
    config_ = ConfigFrom(*env);
    s3_ = MustConnect(config_);
    ASSERT_NE(s3_, nullptr);
  }
  base::Result<json::value> Call(std::string_view op, json::array args) {
    return s3_->Call(op, args);
  }

  json::object config_;
  std::unique_ptr<Connection> s3_;
};

// Skips (or fails under make test) without a server, else connects s3_ to it.
#define CONNECT_OR_SKIP()                               \
  do {                                                  \
    [[maybe_unused]] auto env_ = REQUIRE_BACKEND("s3"); \
    ASSERT_NO_FATAL_FAILURE(Connect());                 \
  } while (0)

TEST_F(S3Test, RoundTripsEveryByteValue) {
  CONNECT_OR_SKIP();
  std::string key = UniquePrefix("bytes") + "all.bin";
  auto put = Call("put", {key, json::string(AllBytes()), "application/x-test"});
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(put->at("key").as_string(), key);
  EXPECT_EQ(put->at("size"), 256);
  EXPECT_EQ(put->at("etag").get_string().size(), 32u);  // MD5 hex, quotes stripped

  auto got = Call("get", {key});
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->at("body").get_string(), AllBytes());
  EXPECT_EQ(got->at("content_type"), "application/x-test");
  EXPECT_EQ(got->at("size"), 256);
  EXPECT_EQ(got->at("etag"), put->at("etag"));
  EXPECT_TRUE(IsRfc3339(got->at("last_modified"))) << got->at("last_modified");

  auto head = Call("head", {key});
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_FALSE(head->as_object().contains("body"));
  EXPECT_EQ(head->at("size"), 256);
  EXPECT_EQ(head->at("etag"), put->at("etag"));
  EXPECT_EQ(head->at("last_modified"), got->at("last_modified"));
}

TEST_F(S3Test, RoundTripsNonAsciiKeyAndBody) {
  CONNECT_OR_SKIP();
  std::string key = UniquePrefix("utf8") + "dïr/ünïcødé ✓ a+b&c=d%20 (1).txt";
  std::string body = "grüße, ✓, 日本語\n";
  ASSERT_TRUE(Call("put", {key, body, "text/plain; charset=utf-8"}).ok());
  auto got = Call("get", {key});
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->at("body").get_string(), body);
  auto listed = Call("list", {key.substr(0, key.find("dïr/") + 5)});
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->as_array().size(), 1u);
  EXPECT_EQ(listed->as_array()[0].at("key").as_string(), key);
}

TEST_F(S3Test, DefaultContentTypeIsOctetStream) {
  CONNECT_OR_SKIP();
  std::string key = UniquePrefix("type") + "x";
  ASSERT_TRUE(Call("put", {key, "x"}).ok());
  auto head = Call("head", {key});
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_EQ(head->at("content_type"), "application/octet-stream");
}

TEST_F(S3Test, MissingKeyIsNullAndDeleteIsIdempotent) {
  CONNECT_OR_SKIP();
  std::string key = UniquePrefix("missing") + "k";
  EXPECT_TRUE(Call("get", {key})->is_null());
  EXPECT_TRUE(Call("head", {key})->is_null());
  EXPECT_TRUE(Call("del", {key})->is_null());
  ASSERT_TRUE(Call("put", {key, "v"}).ok());
  EXPECT_TRUE(Call("del", {key})->is_null());
  EXPECT_TRUE(Call("get", {key})->is_null());
}

TEST_F(S3Test, ListsKeysUnderPrefixInKeyOrderAcrossPages) {
  CONNECT_OR_SKIP();
  config_["list_page_size"] = 2;  // five keys: three pages with continuation tokens
  s3_ = MustConnect(config_);
  ASSERT_NE(s3_, nullptr);
  std::string prefix = UniquePrefix("list");
  for (std::string name : {"e", "a", "c/1", "b", "c/0"}) {
    ASSERT_TRUE(Call("put", {prefix + "in/" + name, name}).ok());
  }
  ASSERT_TRUE(Call("put", {prefix + "out", "x"}).ok());
  auto listed = Call("list", {prefix + "in/"});
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  std::vector<std::string> keys;
  for (const json::value& item : listed->as_array()) {
    keys.emplace_back(item.at("key").get_string());
    EXPECT_TRUE(IsRfc3339(item.at("last_modified")));
  }
  std::string in = prefix + "in/";
  EXPECT_EQ(keys, (std::vector<std::string>{in + "a", in + "b", in + "c/0", in + "c/1", in + "e"}));
  EXPECT_EQ(listed->as_array()[2].at("size"), 3);
  EXPECT_TRUE(Call("list", {prefix + "nothing/"})->as_array().empty());
}

TEST_F(S3Test, PresignedGetWorksWithoutCredentialsUntilItExpires) {
  CONNECT_OR_SKIP();
  std::string key = UniquePrefix("presign") + "ünï file.bin";
  ASSERT_TRUE(Call("put", {key, json::string(AllBytes())}).ok());
  auto url = Call("presigned_url", {key, "GET", 3600});
  ASSERT_TRUE(url.ok()) << url.status().message();
  curl::Response r = Fetch(std::string(url->get_string()));
  EXPECT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(r.body, AllBytes());

  auto short_lived = Call("presigned_url", {key, "GET", 1});
  ASSERT_TRUE(short_lived.ok());
  curl::Response expired;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
       std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    expired = Fetch(std::string(short_lived->get_string()));
    if (expired.code == 403) {
      break;
    }
    EXPECT_EQ(expired.body, AllBytes());  // valid until it expires
  }
  EXPECT_EQ(expired.code, 403);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
}

TEST_F(S3Test, PresignedPutUploadsWithoutCredentials) {
  CONNECT_OR_SKIP();
  std::string key = UniquePrefix("presign-put") + "up.txt";
  auto url = Call("presigned_url", {key, "PUT", 60});
  ASSERT_TRUE(url.ok()) << url.status().message();
  curl::Response r = Fetch(std::string(url->get_string()), std::string_view("uploaded ✓"));
  EXPECT_EQ(r.code, 200) << r.body;
  auto got = Call("get", {key});
  ASSERT_TRUE(got.ok() && got->is_object());
  EXPECT_EQ(got->at("body"), "uploaded ✓");
}

TEST_F(S3Test, RefusesEscapingKeysAndBadArgumentsBeforeAnyRequest) {
  CONNECT_OR_SKIP();
  for (const std::string& key :
       std::vector<std::string>{"../x", "/abs", "a/../../b", "a\\b", std::string("a\0b", 3), ""}) {
    for (std::string op : {"get", "head", "del", "presigned_url"}) {
      auto r = Call(op, {key});
      ASSERT_FALSE(r.ok()) << op << " " << key;
      EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument) << r.status().message();
    }
    EXPECT_EQ(Call("put", {key, "x"}).status().code(), base::Code::kInvalidArgument);
  }
  EXPECT_EQ(Call("list", {"../"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(Call("put", {"k", "x", "text/plain\r\nX-Evil: 1"}).status().code(),
            base::Code::kInvalidArgument);
  EXPECT_EQ(Call("presigned_url", {"k", "DELETE"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(Call("presigned_url", {"k", "GET", 0}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(Call("presigned_url", {"k", "GET", 604801}).status().code(),
            base::Code::kInvalidArgument);
  EXPECT_EQ(Call("rename", {"k"}).status().code(), base::Code::kInvalidArgument);
}

TEST_F(S3Test, PingSucceeds) {
  CONNECT_OR_SKIP();
  base::Status ping = s3_->Ping();
  EXPECT_TRUE(ping.ok()) << ping.message();
}

TEST_F(S3Test, WrongSecretFailsWithTheServersReason) {
  auto env = REQUIRE_BACKEND("s3");
  json::object config = ConfigFrom(env);
  config["secret_key"] = "not-the-secret";
  auto connection = S3Type().connect(config);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), base::Code::kUnavailable);
  EXPECT_NE(connection.status().message().find("SignatureDoesNotMatch"), std::string::npos)
      << connection.status().message();
}

TEST_F(S3Test, MissingBucketFailsUnlessCreateBucket) {
  auto env = REQUIRE_BACKEND("s3");
  json::object config = ConfigFrom(env);
  config["bucket"] = "edgegate-made-" + std::to_string(getpid()) + "-" +
                     std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  auto refused = S3Type().connect(config);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), base::Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("NoSuchBucket"), std::string::npos)
      << refused.status().message();

  config["create_bucket"] = true;
  std::unique_ptr<Connection> s3 = MustConnect(config);
  ASSERT_NE(s3, nullptr);
  EXPECT_TRUE(s3->Call("put", json::array{"k", "v"}).ok());
  EXPECT_TRUE(s3->Call("del", json::array{"k"}).ok());

  // The bucket vanishes under a healthy connection: S3's own error comes back as BackendError.
  EXPECT_EQ(SignedRequest(env, "DELETE", "/" + std::string(config["bucket"].as_string())), 204);
  auto put = s3->Call("put", json::array{"k", "v"});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), base::Code::kBackendError);
  EXPECT_NE(put.status().message().find("NoSuchBucket"), std::string::npos)
      << put.status().message();
}

TEST(S3UnreachableTest, NoServerIsUnavailable) {
  json::object config{{"endpoint", "http://127.0.0.1:" + std::to_string(FreePort())},
                      {"access_key", "a"},
                      {"secret_key", "b"},
                      {"bucket", "bucket"}};
  auto connection = S3Type().connect(config);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), base::Code::kUnavailable);
  EXPECT_EQ(connection.status().message().rfind("s3: ", 0), 0u) << connection.status().message();
}

TEST(S3UnreachableTest, SilentServerTimesOutAsUnavailable) {
  SilentServer silent;
  json::object config{{"endpoint", "127.0.0.1:" + std::to_string(silent.port())},
                      {"use_ssl", false},
                      {"access_key", "a"},
                      {"secret_key", "b"},
                      {"bucket", "bucket"},
                      {"timeout_ms", 300}};
  auto start = std::chrono::steady_clock::now();
  auto connection = S3Type().connect(config);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), base::Code::kUnavailable);
  EXPECT_NE(connection.status().message().find("timed out"), std::string::npos)
      << connection.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(S3ConfigTest, EndpointWithAPathIsRefused) {
  json::object config{{"endpoint", "http://127.0.0.1:9/s3"},
                      {"access_key", "a"},
                      {"secret_key", "b"},
                      {"bucket", "bucket"}};
  auto connection = S3Type().connect(config);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), base::Code::kInvalidArgument);
}

TEST(S3ConfigTest, MinioIsAnAliasAndTheSecretKeyIsRedacted) {
  ASSERT_EQ(FindType("minio"), &S3Type());
  json::object config{{"endpoint", "http://127.0.0.1:9000"},
                      {"access_key", "a:b"},
                      {"secret_key", "s"},
                      {"bucket", "bucket"},
                      {"list_page_size", 10}};
  ASSERT_TRUE(ValidateConfig(S3Type(), config).ok());
  EXPECT_EQ(RedactSecrets(S3Type(), config).at("secret_key").as_string(), kRedacted);
  EXPECT_EQ(RedactSecrets(S3Type(), config).at("access_key"), "a:b");
  config.erase("bucket");
  EXPECT_EQ(ValidateConfig(S3Type(), config).status().field(), "config.bucket");
}

}  // namespace
}  // namespace edgegate::services::backends
