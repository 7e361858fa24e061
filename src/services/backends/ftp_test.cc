// Integration tests of the ftp backend against vsftpd (env.json "ftp") and an SFTP-only sshd
// (env.json "sftp") from scripts/backends/up.sh. Both serve the same user and home directory
// (keys host, port, user, password, home; sftp also private_key), so each test works in a fresh
// directory under the home, checks what landed on disk, and removes it at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "base/random.h"
#include "services/backends/backend_test_util.h"
#include "services/backends/backends.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  auto valid = ValidateConfig(FtpType(), config);
  if (!valid.ok()) {
    return valid.status();
  }
  return FtpType().connect(*valid);
}

json::object Config(const json::object& env, std::string_view protocol, std::string_view base) {
  return {{"host", env.at("host")},         {"port", env.at("port")}, {"username", env.at("user")},
          {"password", env.at("password")}, {"protocol", protocol},   {"base_path", base},
          {"timeout_seconds", 10}};
}

std::string AllBytes() {
  std::string bytes;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 256; ++i) {
      bytes += static_cast<char>(i);
    }
  }
  return bytes;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The server named by the test parameter ("ftp" or "sftp"), and a fresh base_path under its home
// that the fixture removes afterwards.
class FtpTest : public ::testing::TestWithParam<const char*> {
 protected:
  void TearDown() override {
    if (!local_.empty()) {
      std::error_code ignored;
      fs::remove_all(local_, ignored);
    }
  }

  // Connects with base_path "eg-mail-<random>"; local_ is that directory on disk.
  std::unique_ptr<Connection> Open(const json::object& env) {
    std::string base = "eg-mail-" + base::RandomHex(6);
    local_ = fs::path(std::string(env.at("home").as_string())) / base;
    auto connection = Connect(Config(env, GetParam(), base));
    EXPECT_TRUE(connection.ok()) << connection.status().message();
    return connection.ok() ? std::move(connection).value() : nullptr;
  }

  fs::path local_;
};

TEST_P(FtpTest, RoundTripsBinaryBytesUnderNonAsciiNames) {
  auto env = REQUIRE_BACKEND(GetParam());
  auto ftp = Open(env);
  ASSERT_NE(ftp, nullptr);
  const std::string name = "Grüße #1 ✓?.bin";
  const std::string bytes = AllBytes();
  ASSERT_TRUE(ftp->Call("put", json::array{"dir ü/sub/" + name, bytes}).ok());
  EXPECT_EQ(ReadFile(local_ / "dir ü" / "sub" / name), bytes) << "the server stored the bytes";
  auto got = ftp->Call("get", json::array{"dir ü/sub/" + name});
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->as_string(), bytes);

  ASSERT_TRUE(ftp->Call("put", json::array{"empty.txt", ""}).ok());
  EXPECT_EQ(ftp->Call("get", json::array{"empty.txt"})->as_string(), "");
  ASSERT_TRUE(ftp->Call("put", json::array{"empty.txt", "replaced"}).ok());
  EXPECT_EQ(ftp->Call("get", json::array{"empty.txt"})->as_string(), "replaced");

  auto root = ftp->Call("list", json::array{});
  ASSERT_TRUE(root.ok()) << root.status().message();
  EXPECT_EQ(
      json::serialize(*root),
      R"([{"name":"dir ü","size":0,"type":"dir"},{"name":"empty.txt","size":8,"type":"file"}])");
  auto sub = ftp->Call("list", json::array{"dir ü/sub"});
  ASSERT_TRUE(sub.ok()) << sub.status().message();
  EXPECT_EQ(json::serialize(*sub), R"([{"name":")" + name + R"(","size":1024,"type":"file"}])");
}

// A put replaces the file whole: while 32 MiB replace 1 KiB, a reader of the server's disk sees
// the old file or the new one (or, over SFTP, briefly none), never a part; no temporary file is
// left or listed, also after a put that failed. A put straight to the name (truncate, then
// write) shows partial sizes here.
TEST_P(FtpTest, APutReplacesTheFileWholeAndLeavesNoTemporaryFile) {
  auto env = REQUIRE_BACKEND(GetParam());
  auto ftp = Open(env);
  ASSERT_NE(ftp, nullptr);
  const std::string old_bytes(1024, 'o');
  const std::string new_bytes(size_t{32} << 20, 'n');
  ASSERT_TRUE(ftp->Call("put", json::array{"d/f.bin", old_bytes}).ok());
  std::atomic<bool> done = false;
  std::vector<uintmax_t> partial;
  int looks = 0;
  std::thread reader([&] {
    while (!done.load()) {
      std::error_code absent;
      const uintmax_t size = fs::file_size(local_ / "d" / "f.bin", absent);
      ++looks;
      if (!absent && size != old_bytes.size() && size != new_bytes.size()) {
        partial.push_back(size);
      }
    }
  });
  auto put = ftp->Call("put", json::array{"d/f.bin", json::string(new_bytes)});
  done = true;
  reader.join();
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_GT(looks, 10);
  EXPECT_TRUE(partial.empty()) << partial.size() << " partial sizes seen, the first "
                               << partial.front();
  EXPECT_EQ(fs::file_size(local_ / "d" / "f.bin"), new_bytes.size());
  auto listing = ftp->Call("list", json::array{"d"});
  ASSERT_TRUE(listing.ok()) << listing.status().message();
  EXPECT_EQ(json::serialize(*listing), R"([{"name":"f.bin","size":33554432,"type":"file"}])");
  std::vector<std::string> on_disk;
  for (const fs::directory_entry& entry : fs::directory_iterator(local_ / "d")) {
    on_disk.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(on_disk, std::vector<std::string>{"f.bin"});

  // A rename the server refuses (the target is a directory) fails the put and takes the
  // uploaded temporary file away.
  EXPECT_FALSE(ftp->Call("put", json::array{"d", "x"}).ok());
  on_disk.clear();
  for (const fs::directory_entry& entry : fs::directory_iterator(local_)) {
    on_disk.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(on_disk, std::vector<std::string>{"d"});
}

// Names the `ls -l` parser must keep whole: runs of spaces, a leading-digit name, a symbolic
// link (listed as a file by its own name), an old file whose date shows a year instead of a time.
TEST_P(FtpTest, ListingKeepsAwkwardNamesWhole) {
  auto env = REQUIRE_BACKEND(GetParam());
  auto ftp = Open(env);
  ASSERT_NE(ftp, nullptr);
  ASSERT_TRUE(ftp->Call("put", json::array{"d/two  spaces .txt", "12345"}).ok());
  ASSERT_TRUE(ftp->Call("put", json::array{"d/2024 Nov 26 10:00 x", "1"}).ok());
  ASSERT_TRUE(ftp->Call("put", json::array{"d/old.txt", "abc"}).ok());
  fs::last_write_time(local_ / "d" / "old.txt",
                      fs::file_time_type::clock::now() - std::chrono::hours(24 * 800));
  fs::create_symlink("old.txt", local_ / "d" / "link");
  fs::create_directory(local_ / "d" / "sub dir");
  auto listing = ftp->Call("list", json::array{"d"});
  ASSERT_TRUE(listing.ok()) << listing.status().message();
  json::array names;
  for (const json::value& entry : listing->as_array()) {
    names.push_back(entry.at("name"));
  }
  EXPECT_EQ(json::serialize(names),
            R"(["2024 Nov 26 10:00 x","link","old.txt","sub dir","two  spaces .txt"])");
  EXPECT_EQ(json::serialize(listing->as_array()[2]),
            R"({"name":"old.txt","size":3,"type":"file"})");
  EXPECT_EQ(listing->as_array()[3].at("type"), "dir");
  EXPECT_EQ(listing->as_array()[4].at("size"), 5);
}

TEST_P(FtpTest, AbsentFilesAndDirectories) {
  auto env = REQUIRE_BACKEND(GetParam());
  auto ftp = Open(env);
  ASSERT_NE(ftp, nullptr);
  ASSERT_TRUE(ftp->Ping().ok());
  EXPECT_TRUE(ftp->Call("get", json::array{"missing.txt"})->is_null());
  EXPECT_TRUE(ftp->Call("get", json::array{"no/such/dir/file"})->is_null());
  EXPECT_EQ(json::serialize(*ftp->Call("list", json::array{"no/such/dir"})), "[]");
  EXPECT_EQ(json::serialize(*ftp->Call("list", json::array{nullptr})), "[]")
      << "base_path itself does not exist yet";
}

TEST_P(FtpTest, DeleteRemovesAndAnAbsentFileIsABackendError) {
  auto env = REQUIRE_BACKEND(GetParam());
  auto ftp = Open(env);
  ASSERT_NE(ftp, nullptr);
  ASSERT_TRUE(ftp->Call("put", json::array{"a/x y\"z.txt", "1"}).ok());
  ASSERT_TRUE(ftp->Call("put", json::array{"a/keep.txt", "2"}).ok());
  // A get in another directory first: the delete must not depend on where the session is.
  ASSERT_TRUE(ftp->Call("get", json::array{"a/keep.txt"}).ok());
  auto del = ftp->Call("del", json::array{"a/x y\"z.txt"});
  ASSERT_TRUE(del.ok()) << del.status().message();
  EXPECT_TRUE(del->is_null());
  EXPECT_FALSE(fs::exists(local_ / "a" / "x y\"z.txt"));
  EXPECT_TRUE(ftp->Call("get", json::array{"a/x y\"z.txt"})->is_null());
  EXPECT_EQ(json::serialize(*ftp->Call("list", json::array{"a"})),
            R"([{"name":"keep.txt","size":1,"type":"file"}])");

  auto again = ftp->Call("del", json::array{"a/x y\"z.txt"});
  EXPECT_EQ(again.status().code(), base::Code::kBackendError);
  std::string reason = std::string(GetParam()) == "ftp" ? "550" : "No such file";
  EXPECT_NE(again.status().message().find(reason), std::string::npos) << again.status().message();
  EXPECT_TRUE(ftp->Ping().ok()) << "a rejected command leaves the session usable";
}

TEST_P(FtpTest, PathsLeavingTheBaseAreRefusedBeforeTheServer) {
  auto env = REQUIRE_BACKEND(GetParam());
  auto ftp = Open(env);
  ASSERT_NE(ftp, nullptr);
  for (const char* bad :
       {"../escape", "/etc/passwd", "a/../../b", "a\\b", "", "a\nDELE x", "a\rb"}) {
    for (const char* op : {"get", "del", "list"}) {
      if (*bad == '\0' && std::string_view(op) == "list") {
        continue;  // list("") is base_path itself
      }
      EXPECT_EQ(ftp->Call(op, json::array{bad}).status().code(), base::Code::kInvalidArgument)
          << op << " " << bad;
    }
    if (*bad != '\0') {
      EXPECT_EQ(ftp->Call("put", json::array{bad, "x"}).status().code(),
                base::Code::kInvalidArgument)
          << bad;
    }
  }
  EXPECT_EQ(ftp->Call("get", json::array{"dir/"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(ftp->Call("put", json::array{"x"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(ftp->Call("put", json::array{"x", 5}).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(ftp->Call("rename", json::array{"x"}).status().code(), base::Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists(local_)) << "nothing reached the server";
}

TEST_P(FtpTest, WrongPasswordFailsToConnectWithTheServersReason) {
  auto env = REQUIRE_BACKEND(GetParam());
  json::object config = Config(env, GetParam(), "");
  config["password"] = "wrong";
  auto ftp = Connect(config);
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.status().code(), base::Code::kUnavailable);
  std::string reason =
      std::string(GetParam()) == "ftp" ? "530 Login incorrect" : "Authentication failure";
  EXPECT_NE(ftp.status().message().find(reason), std::string::npos) << ftp.status().message();
}

INSTANTIATE_TEST_SUITE_P(Servers, FtpTest, ::testing::Values("ftp", "sftp"),
                         [](const auto& info) { return std::string(info.param); });

TEST(SftpTest, LogsInWithAPrivateKeyAndAnAbsoluteBasePath) {
  auto env = REQUIRE_BACKEND("sftp");
  fs::path local =
      fs::path(std::string(env.at("home").as_string())) / ("eg-mail-key-" + base::RandomHex(6));
  json::object config = Config(env, "sftp", local.string());
  config.erase("password");
  config["private_key_path"] = env.at("private_key");
  auto ftp = Connect(config);
  ASSERT_TRUE(ftp.ok()) << ftp.status().message();
  ASSERT_TRUE((*ftp)->Call("put", json::array{"k.bin", AllBytes()}).ok());
  EXPECT_EQ(ReadFile(local / "k.bin"), AllBytes());
  EXPECT_TRUE((*ftp)->Call("del", json::array{"k.bin"}).ok());
  fs::remove_all(local);
}

// With config.host_key_sha256 the server's key is checked: its real fingerprint (as ssh-keygen
// prints it, or unprefixed with base64 padding) connects, and one character off refuses the
// server before the login, with libcurl's reason.
TEST(SftpTest, ChecksTheHostKeyAgainstTheConfiguredFingerprint) {
  auto env = REQUIRE_BACKEND("sftp");
  const std::string fingerprint(env.at("host_key_sha256").as_string());
  ASSERT_TRUE(fingerprint.starts_with("SHA256:")) << fingerprint;
  const std::string bare = fingerprint.substr(7);
  for (const std::string& accepted : {fingerprint, bare + "="}) {
    json::object config = Config(env, "sftp", "");
    config["host_key_sha256"] = accepted;
    auto ftp = Connect(config);
    ASSERT_TRUE(ftp.ok()) << accepted << ": " << ftp.status().message();
    EXPECT_TRUE((*ftp)->Call("list", json::array{""}).ok());
  }
  std::string wrong = bare;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  json::object config = Config(env, "sftp", "");
  config["host_key_sha256"] = "SHA256:" + wrong;
  EXPECT_TRUE(testing::FailedWith(Connect(config).status(), base::Code::kUnavailable,
                                  "mismatch sha256 fingerprint"));
}

// A malformed fingerprint, or one for a protocol without host keys, is a config error naming the
// field, found before any connection (nothing listens on port 1).
TEST(FtpConfigTest, AHostKeyFingerprintIsValidatedBeforeConnecting) {
  const std::string good = "SHA256:" + std::string(43, 'A');
  struct Case {
    std::string protocol, fingerprint;
  };
  for (const Case& c : {Case{"sftp", "SHA256:" + std::string(42, 'A')},
                        Case{"sftp", "SHA256:" + std::string(42, 'A') + "*"},
                        Case{"sftp", "MD5:aa:bb"}, Case{"ftp", good}, Case{"ftps", good}}) {
    json::object config = {{"host", "127.0.0.1"},
                           {"port", 1},
                           {"protocol", c.protocol},
                           {"password", "x"},
                           {"host_key_sha256", c.fingerprint},
                           {"timeout_seconds", 1}};
    auto ftp = Connect(config);
    ASSERT_FALSE(ftp.ok()) << c.protocol << " " << c.fingerprint;
    EXPECT_EQ(ftp.status().code(), base::Code::kInvalidArgument) << ftp.status().message();
    EXPECT_EQ(ftp.status().field(), "config.host_key_sha256") << ftp.status().message();
  }
}

TEST(FtpActiveTest, ActiveModeAndAbsoluteBasePath) {
  auto env = REQUIRE_BACKEND("ftp");
  fs::path local =
      fs::path(std::string(env.at("home").as_string())) / ("eg-mail-active-" + base::RandomHex(6));
  json::object config = Config(env, "ftp", local.string() + "/");
  config["passive"] = false;
  auto ftp = Connect(config);
  ASSERT_TRUE(ftp.ok()) << ftp.status().message();
  ASSERT_TRUE((*ftp)->Call("put", json::array{"a.bin", AllBytes()}).ok());
  EXPECT_EQ(ReadFile(local / "a.bin"), AllBytes());
  EXPECT_EQ((*ftp)->Call("get", json::array{"a.bin"})->as_string(), AllBytes());
  EXPECT_EQ(json::serialize(*(*ftp)->Call("list", json::array{""})),
            R"([{"name":"a.bin","size":1024,"type":"file"}])");
  fs::remove_all(local);
}

// The test vsftpd offers explicit TLS with a self-signed certificate for 127.0.0.1 (env.json
// tls_ca). FTPS verified against that CA carries the login and the files; without it the
// certificate is refused (the system's CAs do not know it), unless verify_tls is false; by a
// name the certificate does not carry it is refused too.
TEST(FtpsTest, ExplicitTlsVerifiedAgainstTheConfiguredCa) {
  auto env = REQUIRE_BACKEND("ftp");
  const std::string ca(env.at("tls_ca").as_string());
  const std::string log_path(env.at("log").as_string());
  const uintmax_t log_start = fs::file_size(log_path);
  fs::path local =
      fs::path(std::string(env.at("home").as_string())) / ("eg-mail-tls-" + base::RandomHex(6));
  json::object config = Config(env, "ftps", local.filename().string());
  config["ca_file"] = ca;
  auto ftp = Connect(config);
  ASSERT_TRUE(ftp.ok()) << ftp.status().message();
  ASSERT_TRUE((*ftp)->Call("put", json::array{"t.bin", AllBytes()}).ok());
  EXPECT_EQ(ReadFile(local / "t.bin"), AllBytes());
  EXPECT_EQ((*ftp)->Call("get", json::array{"t.bin"})->as_string(), AllBytes());
  fs::remove_all(local);
  // In the server's protocol log, this session protected its data connections: PROT P.
  std::ifstream log(log_path);
  log.seekg(static_cast<std::streamoff>(log_start));
  std::stringstream since;
  since << log.rdbuf();
  EXPECT_NE(since.str().find("200 PROT now Private."), std::string::npos) << since.str();

  json::object unverified = Config(env, "ftps", "");
  EXPECT_TRUE(
      testing::FailedWith(Connect(unverified).status(), base::Code::kUnavailable, "certificate"));
  unverified["verify_tls"] = false;
  EXPECT_TRUE(Connect(unverified).ok());

  json::object by_name = Config(env, "ftps", "");
  by_name["host"] = "localhost";
  by_name["ca_file"] = ca;
  EXPECT_TRUE(
      testing::FailedWith(Connect(by_name).status(), base::Code::kUnavailable, "subject name"));

  json::object plain = Config(env, "ftp", "");
  plain["ca_file"] = ca;
  EXPECT_EQ(Connect(plain).status().field(), "config.ca_file");
}

}  // namespace
}  // namespace edgegate::services::backends
