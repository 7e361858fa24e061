// Tests of the outbox backend: real files in a temporary directory, read back and decoded.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "base/test_util.h"
#include "services/backends/backends.h"
#include "services/backends/mime_test_util.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using mime::testing::DecodeHeader;
using mime::testing::DecodeQuotedPrintable;

std::unique_ptr<Connection> Open(const json::object& config) {
  auto valid = ValidateConfig(OutboxType(), config);
  EXPECT_TRUE(valid.ok()) << valid.status().message();
  auto connection = OutboxType().connect(*valid);
  EXPECT_TRUE(connection.ok()) << connection.status().message();
  return connection.ok() ? std::move(connection).value() : nullptr;
}

std::vector<fs::path> Files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    out.push_back(entry.path());
  }
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(OutboxTest, WritesOneEmlFilePerMessage) {
  base::TempDir tmp;
  fs::path dir = tmp.path() / "nested" / "outbox";  // created by connect
  auto outbox = Open({{"directory", dir.string()},
                      {"from_address", "noreply@edgegate.test"},
                      {"from_name", "Édgegate"}});
  ASSERT_NE(outbox, nullptr);
  ASSERT_TRUE(outbox->Ping().ok());
  auto result = outbox->Call(
      "send", json::array{json::parse(R"({"to": "ann@example.com", "bcc": ["b@example.com"],
          "subject": "Ünïcödé ✓", "text": "line 1\nline 2 ✓", "html": "<p>✓</p>"})")});
  ASSERT_TRUE(result.ok()) << result.status().message();
  const json::object& out = result->as_object();
  EXPECT_EQ(json::serialize(out.at("accepted")), R"(["ann@example.com","b@example.com"])");

  std::vector<fs::path> files = Files(dir);
  ASSERT_EQ(files.size(), 1u) << "no probe or temporary file is left behind";
  EXPECT_TRUE(std::regex_match(files[0].filename().string(),
                               std::regex(R"(\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.eml)")))
      << files[0];
  mime::testing::ParsedMessage eml = mime::testing::ParseMessage(ReadFile(files[0]));
  EXPECT_EQ(eml.Header("Message-ID"), out.at("message_id").as_string());
  EXPECT_EQ(DecodeHeader(eml.Header("From")), "Édgegate <noreply@edgegate.test>");
  EXPECT_EQ(eml.Header("To"), "ann@example.com");
  EXPECT_EQ(DecodeHeader(eml.Header("Subject")), "Ünïcödé ✓");
  EXPECT_FALSE(eml.Has("Bcc"));
  auto parts = mime::testing::SplitMultipart(eml);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(DecodeQuotedPrintable(parts[0].body), "line 1\nline 2 ✓");
  EXPECT_EQ(DecodeQuotedPrintable(parts[1].body), "<p>✓</p>");

  ASSERT_TRUE(outbox->Call("send", json::array{json::object{{"to", "c@example.com"}}}).ok());
  EXPECT_EQ(Files(dir).size(), 2u);
}

TEST(OutboxTest, DefaultsTheSender) {
  base::TempDir tmp;
  auto outbox = Open({{"directory", tmp.path().string()}});
  ASSERT_NE(outbox, nullptr);
  auto result = outbox->Call("send", json::array{json::object{{"to", "a@b.c"}}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->at("message_id").as_string().ends_with("@localhost>"));
  auto eml = mime::testing::ParseMessage(ReadFile(Files(tmp.path()).at(0)));
  EXPECT_EQ(eml.Header("From"), "edgegate@localhost");
}

TEST(OutboxTest, BadArgumentsWriteNothing) {
  base::TempDir tmp;
  auto outbox = Open({{"directory", tmp.path().string()}});
  ASSERT_NE(outbox, nullptr);
  auto bad = outbox->Call("send", json::array{json::parse(R"({"to": ["a@b.c", "oops"]})")});
  EXPECT_EQ(bad.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "send: to[1] is not an email address");
  auto injected = outbox->Call(
      "send", json::array{json::parse(R"({"to": "a@b.c", "subject": "x\r\nBcc: v@x.y"})")});
  EXPECT_EQ(injected.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(outbox->Call("get", json::array{}).status().code(), base::Code::kInvalidArgument);
  EXPECT_TRUE(Files(tmp.path()).empty());
}

TEST(OutboxTest, PingFailsWhenTheDirectoryIsGone) {
  base::TempDir tmp;
  fs::path dir = tmp.path() / "box";
  auto outbox = Open({{"directory", dir.string()}});
  ASSERT_NE(outbox, nullptr);
  fs::remove_all(dir);
  base::Status ping = outbox->Ping();
  EXPECT_EQ(ping.code(), base::Code::kUnavailable);
  EXPECT_NE(ping.message().find("No such file or directory"), std::string::npos) << ping.message();
  auto send = outbox->Call("send", json::array{json::object{{"to", "a@b.c"}}});
  EXPECT_EQ(send.status().code(), base::Code::kBackendError);
}

TEST(OutboxTest, ConnectRefusesAFileAndABadSender) {
  base::TempDir tmp;
  std::ofstream(tmp.path() / "file") << "x";
  auto valid =
      ValidateConfig(OutboxType(), json::object{{"directory", (tmp.path() / "file").string()}});
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(OutboxType().connect(*valid).status().code(), base::Code::kUnavailable);

  auto bad_from = ValidateConfig(
      OutboxType(), json::object{{"directory", tmp.path().string()}, {"from_address", "nobody"}});
  ASSERT_TRUE(bad_from.ok());
  EXPECT_EQ(OutboxType().connect(*bad_from).status().field(), "config.from_address");
  EXPECT_FALSE(ValidateConfig(OutboxType(), json::object{}).ok()) << "directory is required";
}

}  // namespace
}  // namespace edgegate::services::backends
