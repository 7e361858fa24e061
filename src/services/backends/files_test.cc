// Tests of the files storage backend in a temporary directory: round trips, key order, path
// escapes (.. and symlinks), atomic overwrite, and the hidden sidecars.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "base/test_util.h"
#include "services/backends/backends.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes += static_cast<char>(i);
  }
  return bytes;
}

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto connection = FilesType().connect(json::object{{"root", root_.string()}});
    ASSERT_TRUE(connection.ok()) << connection.status().message();
    files_ = std::move(connection).value();
  }
  base::Result<json::value> Call(std::string_view op, json::array args) {
    return files_->Call(op, args);
  }
  base::Code CodeOf(std::string_view op, json::array args) {
    return files_->Call(op, args).status().code();
  }

  base::TempDir dir_{"edgegate-files"};
  fs::path root_ = dir_.path() / "root";  // created by connect (create_if_missing)
  std::unique_ptr<Connection> files_;
};

TEST_F(FilesTest, RoundTripsEveryByteValue) {
  auto put = Call("put", {"bin/all.bin", json::string(AllBytes()), "application/x-test"});
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(put->at("key"), "bin/all.bin");
  EXPECT_EQ(put->at("size"), 256);
  EXPECT_EQ(put->at("etag"), "e2c865db4162bed963bfaa9ef6ac18f0");  // MD5 of 0x00..0xFF

  auto got = Call("get", {"bin/all.bin"});
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->at("body").get_string(), AllBytes());
  EXPECT_EQ(got->at("content_type"), "application/x-test");
  EXPECT_EQ(got->at("size"), 256);
  EXPECT_EQ(got->at("etag"), put->at("etag"));
  EXPECT_TRUE(std::regex_match(std::string(got->at("last_modified").get_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));

  auto head = Call("head", {"bin/all.bin"});
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_FALSE(head->as_object().contains("body"));
  EXPECT_EQ(head->at("size"), 256);
  EXPECT_EQ(head->at("etag"), put->at("etag"));
  EXPECT_EQ(head->at("content_type"), "application/x-test");
  EXPECT_EQ(head->at("last_modified"), got->at("last_modified"));

  std::ifstream on_disk(root_ / "bin/all.bin", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(on_disk), {}), AllBytes());
}

TEST_F(FilesTest, RoundTripsNonAsciiKeyAndBody) {
  std::string key = "dïr/ünïcødé ✓ a+b&c=d%20.txt";
  std::string body = "grüße, ✓, 日本語\n";
  ASSERT_TRUE(Call("put", {key, body, "text/plain; charset=utf-8"}).ok());
  auto got = Call("get", {key});
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->at("body").get_string(), body);
  EXPECT_EQ(got->at("content_type"), "text/plain; charset=utf-8");
  auto listed = Call("list", {"dïr/"});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->as_array().size(), 1u);
  EXPECT_EQ(listed->as_array()[0].at("key").as_string(), key);
}

TEST_F(FilesTest, ContentTypeDefaultsAndIsReplacedOnOverwrite) {
  ASSERT_TRUE(Call("put", {"k", "x", "text/html"}).ok());
  ASSERT_TRUE(Call("put", {"k", "y"}).ok());
  EXPECT_EQ(Call("head", {"k"})->at("content_type"), "application/octet-stream");
}

TEST_F(FilesTest, MissingKeyIsNullAndDeleteIsIdempotent) {
  EXPECT_TRUE(Call("get", {"nope"})->is_null());
  EXPECT_TRUE(Call("head", {"a/b/nope"})->is_null());
  EXPECT_TRUE(Call("del", {"nope"})->is_null());
  ASSERT_TRUE(Call("put", {"a/b/c", "v", "text/plain"}).ok());
  EXPECT_TRUE(Call("get", {"a/b"})->is_null());  // a directory is not an object
  EXPECT_TRUE(Call("del", {"a/b/c"})->is_null());
  EXPECT_TRUE(Call("get", {"a/b/c"})->is_null());
  EXPECT_TRUE(fs::is_empty(root_));  // no sidecar, no empty directories left behind
}

TEST_F(FilesTest, ListsKeysUnderPrefixInKeyOrderHidingSidecars) {
  for (std::string key : {"p/e", "p/a", "p/c/1", "p/b", "p/c/0", "q", "pz"}) {
    ASSERT_TRUE(Call("put", {key, key, "text/plain"}).ok());
  }
  auto keys_of = [&](std::string prefix) {
    std::vector<std::string> keys;
    auto listed = Call("list", {prefix});
    EXPECT_TRUE(listed.ok()) << listed.status().message();
    for (const json::value& item : listed->as_array()) {
      keys.emplace_back(item.at("key").get_string());
    }
    return keys;
  };
  EXPECT_EQ(keys_of("p/"), (std::vector<std::string>{"p/a", "p/b", "p/c/0", "p/c/1", "p/e"}));
  EXPECT_EQ(keys_of("p"), (std::vector<std::string>{"p/a", "p/b", "p/c/0", "p/c/1", "p/e", "pz"}));
  EXPECT_EQ(keys_of("p/c/"), (std::vector<std::string>{"p/c/0", "p/c/1"}));
  EXPECT_EQ(keys_of("").size(), 7u);
  EXPECT_TRUE(keys_of("nothing/here/").empty());
  EXPECT_EQ(Call("list", {})->as_array().size(), 7u);
  auto first = Call("list", {"p/a"})->as_array()[0];
  EXPECT_EQ(first.at("size"), 3);
  EXPECT_TRUE(first.at("last_modified").is_string());
  EXPECT_EQ(CodeOf("list", {"../"}), base::Code::kInvalidArgument);
}

TEST_F(FilesTest, RefusesKeysThatLeaveTheRootOrAreReserved) {
  for (const std::string& key : std::vector<std::string>{
           "../x", "a/../../x", "/etc/passwd", "..", "a\\b", std::string("a\0b", 3), "", "a//b",
           "a/./b", "dir/", ".edgegate-type.k", "a/.edgegate-tmp.1"}) {
    for (std::string op : {"get", "head", "del"}) {
      EXPECT_EQ(CodeOf(op, {key}), base::Code::kInvalidArgument) << op << " " << key;
    }
    EXPECT_EQ(CodeOf("put", {key, "x"}), base::Code::kInvalidArgument) << key;
  }
  EXPECT_FALSE(fs::exists(dir_.path() / "x"));
}

TEST_F(FilesTest, SymlinksLeadingOutOfTheRootAreRefused) {
  fs::create_directory_symlink("/etc", root_ / "etc");
  fs::create_symlink("/etc/hostname", root_ / "hostname");
  fs::create_directory_symlink(dir_.path(), root_ / "up");
  for (std::string key : {"etc/passwd", "hostname", "up/x", "etc/new-file"}) {
    EXPECT_EQ(CodeOf("get", {key}), base::Code::kInvalidArgument) << key;
    EXPECT_EQ(CodeOf("head", {key}), base::Code::kInvalidArgument) << key;
    EXPECT_EQ(CodeOf("del", {key}), base::Code::kInvalidArgument) << key;
    EXPECT_EQ(CodeOf("put", {key, "x"}), base::Code::kInvalidArgument) << key;
  }
  EXPECT_FALSE(fs::exists("/etc/new-file"));
  EXPECT_TRUE(Call("list", {})->as_array().empty());
  EXPECT_TRUE(Call("list", {"etc/"})->as_array().empty());

  // A symlink that stays inside the root is followed.
  ASSERT_TRUE(Call("put", {"real/file", "inside"}).ok());
  fs::create_directory_symlink(root_ / "real", root_ / "alias");
  EXPECT_EQ(Call("get", {"alias/file"})->at("body"), "inside");
}

TEST_F(FilesTest, OverwriteIsAtomic) {
  std::string old_body(1 << 20, 'a');
  ASSERT_TRUE(Call("put", {"big", json::string(old_body)}).ok());
  std::ifstream reader(root_ / "big", std::ios::binary);  // opened before the overwrite
  ASSERT_TRUE(Call("put", {"big", "new", "text/plain"}).ok());
  // The open reader still sees the complete old file: the new one was renamed over it, not
  // written into it.
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(reader), {}), old_body);
  EXPECT_EQ(Call("get", {"big"})->at("body"), "new");
  EXPECT_EQ(Names(root_), (std::vector<std::string>{".edgegate-type.big", "big"}));  // no temps
}

TEST_F(FilesTest, WriteFailureIsABackendErrorAndLeavesNoTemporaryFile) {
  ASSERT_TRUE(Call("put", {"d/x", "1"}).ok());
  auto onto_directory = Call("put", {"d", "2"});
  ASSERT_FALSE(onto_directory.ok());
  EXPECT_EQ(onto_directory.status().code(), base::Code::kBackendError);
  EXPECT_NE(onto_directory.status().message().find("files: "), std::string::npos);
  EXPECT_EQ(Names(root_), (std::vector<std::string>{"d"}));
}

TEST_F(FilesTest, PresignedUrlNeedsS3) {
  auto r = Call("presigned_url", {"k"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("presigned URLs need an s3 service"), std::string::npos);
  EXPECT_EQ(CodeOf("rename", {"k"}), base::Code::kInvalidArgument);
  EXPECT_EQ(CodeOf("put", {"k", 5}), base::Code::kInvalidArgument);
  EXPECT_EQ(CodeOf("put", {"k", "x", "text/plain\nX: y"}), base::Code::kInvalidArgument);
}

TEST_F(FilesTest, PingFailsWhenTheRootIsGone) {
  EXPECT_TRUE(files_->Ping().ok());
  fs::remove_all(root_);
  EXPECT_EQ(files_->Ping().code(), base::Code::kUnavailable);
}

TEST(FilesConnectTest, IsRegisteredAndNeedsARoot) {
  ASSERT_EQ(FindType("files"), &FilesType());
  EXPECT_EQ(ValidateConfig(FilesType(), json::object{}).status().field(), "config.root");
}

TEST(FilesConnectTest, MissingRootFailsWithoutCreateIfMissing) {
  base::TempDir dir("edgegate-files");
  auto missing = FilesType().connect(
      json::object{{"root", (dir.path() / "no").string()}, {"create_if_missing", false}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), base::Code::kUnavailable);
  std::ofstream(dir.path() / "file") << "x";
  auto not_dir = FilesType().connect(json::object{{"root", (dir.path() / "file").string()}});
  ASSERT_FALSE(not_dir.ok());
  EXPECT_EQ(not_dir.status().code(), base::Code::kUnavailable);
}

}  // namespace
}  // namespace edgegate::services::backends
