// Integration tests of the SMTP backend against the capture server of scripts/backends/up.sh
// (env.json "smtp": host, port, user, password, capture_dir). The server writes each message it
// accepts as a JSON file {from, to, raw, auth_user} before it answers 250, so a test finds its
// message by Message-ID right after send returns.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "services/backends/backend_test_util.h"
#include "services/backends/backends.h"
#include "services/backends/mime_test_util.h"
#include "services/backends/test_env.h"
#include "services/catalog.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using mime::testing::DecodeHeader;
using mime::testing::DecodeQuotedPrintable;

json::object Config(const json::object& env, bool with_auth = true) {
  json::object config{{"host", env.at("host")},
                      {"port", env.at("port")},
                      {"from_address", "gateway@edgegate.test"},
                      {"from_name", "Edgegate Gateway ✉"},
                      {"timeout_ms", 5000}};
  if (with_auth) {
    config["username"] = env.at("user");
    config["password"] = env.at("password");
  }
  return config;
}

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  auto valid = ValidateConfig(EmailType(), config);
  if (!valid.ok()) {
    return valid.status();
  }
  return EmailType().connect(*valid);
}

// The captured message whose raw text holds `message_id`; polls up to 5 s (the capture server
// writes before it replies, so the first look normally finds it).
std::optional<json::object> Captured(const json::object& env, std::string_view message_id) {
  fs::path dir(std::string(env.at("capture_dir").as_string()));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".json" || entry.path().filename().string()[0] == '.') {
        continue;
      }
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      json::object message = json::parse(text.str()).as_object();
      if (std::string_view(message.at("raw").as_string()).find(message_id) != std::string::npos) {
        return message;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

TEST(EmailTest, SendsMultipartMailWithAuthAndBccOnlyInTheEnvelope) {
  auto env = REQUIRE_BACKEND("smtp");
  auto email = Connect(Config(env));
  ASSERT_TRUE(email.ok()) << email.status().message();
  ASSERT_TRUE((*email)->Ping().ok());
  std::string html = "<p>Grüße ✓</p>\n" + std::string(300, 'x') + " =?not-a-word?=";
  auto result = (*email)->Call(
      "send", json::array{json::object{
                  {"to", json::array{"Ann Ärger <ann@example.com>", "bob@example.com"}},
                  {"cc", "carol@example.com"},
                  {"bcc", json::array{"secret@example.com"}},
                  {"reply_to", "help@edgegate.test"},
                  {"subject", "Grüße aus Köln: ünïcödé ✓ and a long tail to fold over lines"},
                  {"text", "Zeile 1\n.Zeile 2 mit Punkt\n\nünïcödé ✓"},
                  {"html", html}}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(json::serialize(result->at("accepted")),
            R"(["ann@example.com","bob@example.com","carol@example.com","secret@example.com"])");
  std::string message_id(result->at("message_id").as_string());

  auto captured = Captured(env, message_id);
  ASSERT_TRUE(captured) << "no captured message with " << message_id;
  EXPECT_EQ(captured->at("auth_user"), env.at("user"));
  EXPECT_EQ(captured->at("from"), "gateway@edgegate.test");
  EXPECT_EQ(json::serialize(captured->at("to")),
            R"(["ann@example.com","bob@example.com","carol@example.com","secret@example.com"])");

  auto raw = mime::testing::ParseMessage(captured->at("raw").as_string());
  EXPECT_EQ(DecodeHeader(raw.Header("Subject")),
            "Grüße aus Köln: ünïcödé ✓ and a long tail to fold over lines");
  EXPECT_EQ(DecodeHeader(raw.Header("From")), "Edgegate Gateway ✉ <gateway@edgegate.test>");
  EXPECT_EQ(DecodeHeader(raw.Header("To")), "Ann Ärger <ann@example.com>, bob@example.com");
  EXPECT_EQ(raw.Header("Cc"), "carol@example.com");
  EXPECT_EQ(raw.Header("Reply-To"), "help@edgegate.test");
  EXPECT_EQ(raw.Header("Message-ID"), message_id);
  EXPECT_FALSE(raw.Has("Bcc"));
  EXPECT_EQ(std::string_view(captured->at("raw").as_string()).find("secret@"), std::string::npos);
  EXPECT_TRUE(raw.Header("Content-Type").starts_with("multipart/alternative; boundary="));
  auto parts = mime::testing::SplitMultipart(raw);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].Header("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(DecodeQuotedPrintable(parts[0].body), "Zeile 1\n.Zeile 2 mit Punkt\n\nünïcödé ✓");
  EXPECT_EQ(parts[1].Header("Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(DecodeQuotedPrintable(parts[1].body), html);

  // The same connection sends again (the SMTP session is reused or re-opened as needed).
  auto again = (*email)->Call("send", json::array{json::object{{"to", "ann@example.com"}}});
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(Captured(env, std::string(again->at("message_id").as_string())));
}

TEST(EmailTest, SendsWithoutAuthWhenNoUsernameIsSet) {
  auto env = REQUIRE_BACKEND("smtp");
  auto email = Connect(Config(env, /*with_auth=*/false));
  ASSERT_TRUE(email.ok()) << email.status().message();
  auto result = (*email)->Call(
      "send", json::array{json::object{{"to", "x@example.com"}, {"text", "plain only"}}});
  ASSERT_TRUE(result.ok()) << result.status().message();
  auto captured = Captured(env, std::string(result->at("message_id").as_string()));
  ASSERT_TRUE(captured);
  EXPECT_TRUE(captured->at("auth_user").is_null());
  auto raw = mime::testing::ParseMessage(captured->at("raw").as_string());
  EXPECT_EQ(raw.Header("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(DecodeQuotedPrintable(raw.body), "plain only\n");
}

TEST(EmailTest, WrongPasswordFailsToConnectWithTheServersReason) {
  auto env = REQUIRE_BACKEND("smtp");
  json::object config = Config(env);
  config["password"] = "wrong";
  auto email = Connect(config);
  ASSERT_FALSE(email.ok());
  EXPECT_EQ(email.status().code(), base::Code::kUnavailable);
  EXPECT_NE(email.status().message().find("535 Invalid username or password"), std::string::npos)
      << email.status().message();
}

// The capture server offers STARTTLS, and implicit TLS on tls_port, with a self-signed
// certificate for 127.0.0.1 (env.json tls_ca), and records whether a message came over TLS.
// encryption starttls or tls, verified against that CA, sends over TLS (the login included);
// "none" does not. Without the CA the certificate
// is refused unless verify_tls is false, and under a name the certificate lacks it is refused.
TEST(EmailTest, TlsVerifiedAgainstTheConfiguredCaCarriesTheMessage) {
  auto env = REQUIRE_BACKEND("smtp");
  const std::string ca(env.at("tls_ca").as_string());
  auto sent_over_tls = [&](json::object config) -> std::optional<bool> {
    auto email = Connect(config);
    EXPECT_TRUE(email.ok()) << email.status().message();
    if (!email.ok()) return std::nullopt;
    auto result = (*email)->Call(
        "send", json::array{json::object{
                    {"to", "tls@example.com"}, {"subject", "tls?"}, {"text", "body"}}});
    EXPECT_TRUE(result.ok()) << result.status().message();
    if (!result.ok()) return std::nullopt;
    auto captured = Captured(env, std::string(result->at("message_id").as_string()));
    EXPECT_TRUE(captured) << "not captured";
    if (!captured) return std::nullopt;
    EXPECT_EQ(captured->at("auth_user"), env.at("user"));
    return captured->at("tls").as_bool();
  };
  json::object verified = Config(env);
  verified["encryption"] = "starttls";
  verified["ca_file"] = ca;
  EXPECT_EQ(sent_over_tls(verified), std::optional<bool>(true));
  EXPECT_EQ(sent_over_tls(Config(env)), std::optional<bool>(false));
  json::object implicit = Config(env);  // SMTPS: TLS from the first byte, on tls_port
  implicit["encryption"] = "tls";
  implicit["port"] = env.at("tls_port");
  implicit["ca_file"] = ca;
  EXPECT_EQ(sent_over_tls(implicit), std::optional<bool>(true));

  json::object unverified = Config(env);
  unverified["encryption"] = "starttls";
  EXPECT_TRUE(
      testing::FailedWith(Connect(unverified).status(), base::Code::kUnavailable, "certificate"));
  unverified["verify_tls"] = false;
  EXPECT_EQ(sent_over_tls(unverified), std::optional<bool>(true));

  verified["host"] = "localhost";
  EXPECT_TRUE(
      testing::FailedWith(Connect(verified).status(), base::Code::kUnavailable, "subject name"));
}

TEST(EmailTest, UnreachableServerIsUnavailable) {
  int port = testing::FreePort();  // nothing listens there
  auto email = Connect(
      {{"host", "127.0.0.1"}, {"port", port}, {"from_address", "a@b.c"}, {"timeout_ms", 2000}});
  ASSERT_FALSE(email.ok());
  EXPECT_EQ(email.status().code(), base::Code::kUnavailable);
  EXPECT_TRUE(email.status().message().starts_with("email: ")) << email.status().message();
}

// A scripted SMTP peer on a port-0 socket that refuses every recipient with 550: the capture
// server accepts everything, and a rejection on a healthy session needs testing too. Serves
// connections one after another until destroyed; every wait is bounded.
class RejectingSmtpPeer {
 public:
  RejectingSmtpPeer() {
    listener_ = testing::ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RejectingSmtpPeer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) == 1) {
        int fd = ::accept(listener_, nullptr, nullptr);
        timeval timeout{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        Session(fd);
        ::close(fd);
      }
    }
  }

  static void Session(int fd) {
    Send(fd, "220 rejecting peer ESMTP\r\n");
    std::string buffer;
    char chunk[512];
    while (true) {
      size_t eol;
      while ((eol = buffer.find("\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
          return;
        }
        buffer.append(chunk, static_cast<size_t>(n));
      }
      std::string command = buffer.substr(0, 4);
      buffer.erase(0, eol + 2);
      if (command == "QUIT") {
        Send(fd, "221 bye\r\n");
        return;
      }
      Send(fd, command == "RCPT" ? "550 5.1.1 Recipient address rejected: no such user\r\n"
                                 : "250 OK\r\n");
    }
  }

  static void Send(int fd, std::string_view reply) {
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

TEST(EmailTest, ARejectedRecipientIsABackendErrorWithTheServersReply) {
  RejectingSmtpPeer peer;
  auto email = Connect({{"host", "127.0.0.1"},
                        {"port", peer.port()},
                        {"from_address", "a@b.c"},
                        {"timeout_ms", 3000}});
  ASSERT_TRUE(email.ok()) << email.status().message();
  auto result = (*email)->Call("send", json::array{json::object{{"to", "nobody@example.com"}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), base::Code::kBackendError) << result.status().message();
  EXPECT_NE(result.status().message().find("550 5.1.1 Recipient address rejected"),
            std::string::npos)
      << result.status().message();
  EXPECT_TRUE((*email)->Ping().ok()) << "the session stays usable";
}

TEST(EmailTest, BadArgumentsAndConfigAreRefused) {
  auto env = REQUIRE_BACKEND("smtp");
  auto email = Connect(Config(env));
  ASSERT_TRUE(email.ok()) << email.status().message();
  auto bad = (*email)->Call("send", json::array{json::object{{"to", json::array{"a@b.c", "x"}}}});
  EXPECT_EQ(bad.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "send: to[1] is not an email address");
  auto injected = (*email)->Call(
      "send", json::array{json::object{{"to", "a@b.c"}, {"subject", "x\r\nBcc: v@x.y"}}});
  EXPECT_EQ(injected.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ((*email)->Call("send_html", json::array{}).status().code(),
            base::Code::kInvalidArgument);

  json::object no_from = Config(env);
  no_from.erase("from_address");
  EXPECT_EQ(Connect(no_from).status().field(), "config.from_address");
  json::object bad_host = Config(env);
  bad_host["host"] = "evil.example/path";
  EXPECT_EQ(Connect(bad_host).status().field(), "config.host");
  json::object bad_encryption = Config(env);
  bad_encryption["encryption"] = "ssl";
  EXPECT_EQ(Connect(bad_encryption).status().field(), "config.encryption");
  json::object ca_without_tls = Config(env);
  ca_without_tls["ca_file"] = "/etc/ssl/certs/ca-certificates.crt";
  EXPECT_EQ(Connect(ca_without_tls).status().field(), "config.ca_file");
}

}  // namespace
}  // namespace edgegate::services::backends
