// The SMTP email backend: `send` renders the message with mime.h and hands it to libcurl's SMTP
// client (smtp:// with optional STARTTLS, or smtps://), with the envelope recipients to + cc +
// bcc. One libcurl handle per connection keeps the SMTP session alive between messages.
//
// The transfer goes through curl::Run() rather than Perform(): SMTP needs the CURLcode and the
// server's reply lines to tell a rejected message (BackendError "550 mailbox unavailable") from a
// dead or refusing server (Unavailable).
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "services/backends/backends.h"
#include "services/backends/curl_util.h"
#include "services/backends/mime.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

constexpr std::string_view kType = "email";

constexpr ConfigKey kKeys[] = {
    {.name = "host", .type = KeyType::kString, .required = true},
    {.name = "port", .type = KeyType::kInt, .min = 1, .max = 65535},
    {.name = "username", .type = KeyType::kString},
    {.name = "password", .type = KeyType::kString, .secret = true},
    {.name = "encryption", .type = KeyType::kString, .choices = "none|starttls|tls"},
    {.name = "from_address", .type = KeyType::kString, .required = true},
    {.name = "from_name", .type = KeyType::kString},
    // With encryption starttls or tls: whether the server's certificate is verified (default
    // true), and against which CA certificates (PEM; default the system's).
    {.name = "verify_tls", .type = KeyType::kBool},
    {.name = "ca_file", .type = KeyType::kString},
};

struct Options {
  std::string url;  // smtp://host:port or smtps://host:port
  bool starttls = false;
  curl::TlsVerify tls;
  std::string username, password;
  curl::RequestOptions request;  // the config's timeout_ms
};

// The last 4xx/5xx reply line ("550 No such user"), or empty.
std::string_view LastRejection(const curl::Response& x) {
  for (auto it = x.replies.rbegin(); it != x.replies.rend(); ++it) {
    if (it->size() >= 3 && ((*it)[0] == '4' || (*it)[0] == '5')) {
      return *it;
    }
  }
  return {};
}

// Maps a failed exchange: a login refused or a server that will not talk (421, a bad greeting)
// is Unavailable; a command the server rejected on a healthy session is BackendError; transport
// failures are classified by curl::CurlError. Every message carries the server's reply.
base::Status ExchangeError(const curl::Response& x) {
  std::string_view rejection = LastRejection(x);
  std::string detail = x.error.empty() ? curl_easy_strerror(x.result) : x.error;
  if (!rejection.empty()) {
    detail += ": " + std::string(rejection);
  }
  std::string message = std::string(kType) + ": " + detail;
  bool rejected = !rejection.empty() && !rejection.starts_with("421");
  if (x.result == CURLE_LOGIN_DENIED || x.result == CURLE_USE_SSL_FAILED) {
    return base::Unavailable(std::move(message));
  }
  if (rejected && (x.result == CURLE_SEND_ERROR || x.result == CURLE_WEIRD_SERVER_REPLY ||
                   x.result == CURLE_UPLOAD_FAILED)) {
    bool greeting = x.replies.size() == 1;  // refused before EHLO: the server will not serve us
    return greeting ? base::Unavailable(std::move(message))
                    : base::BackendError(std::move(message));
  }
  return curl::CurlError(x.result, kType, detail);
}

// Thread-compatible: one actor thread at a time.
class EmailConnection final : public Connection {
 public:
  EmailConnection(curl::Easy easy, Options options, mime::Sender sender)
      : easy_(std::move(easy)), options_(std::move(options)), sender_(std::move(sender)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op != "send") {
      return base::InvalidArgument("unknown email operation '" + std::string(op) + "'");
    }
    ASSIGN_OR_RETURN(mime::SendRequest request, mime::ParseSend(args));
    mime::Message message = mime::Build(request, sender_, std::time(nullptr));
    curl::HeaderList recipients;
    for (const std::string& r : message.recipients) {
      recipients.Add("<" + r + ">");
    }
    CURL* h = Prepare();
    std::string from = "<" + message.from + ">";
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    curl::RequestOptions transfer = options_.request;
    transfer.upload = message.data;
    curl::Response x = curl::Run(easy_, transfer);
    if (x.result != CURLE_OK) {
      return ExchangeError(x);
    }
    return mime::SendResult(message);
  }

  // Greeting, EHLO, STARTTLS and AUTH as configured, then NOOP: the whole session setup a send
  // would need, without a message.
  base::Status Ping() override {
    CURL* h = Prepare();
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "NOOP");
    curl::Response x = curl::Run(easy_, options_.request);
    if (x.result != CURLE_OK) {
      base::Status error = ExchangeError(x);
      return base::Unavailable(error.message());  // a refused NOOP is no healthy server either
    }
    return base::OkStatus();
  }

 private:
  // Resets the handle (keeping its live session) and sets the options every request shares
  // (curl::Run() adds the timeouts and callbacks).
  CURL* Prepare() {
    easy_.Reset();
    CURL* h = easy_.get();
    curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
    if (options_.starttls) {
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    curl::SetTlsVerify(h, options_.tls);
    if (!options_.username.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
    }
    return h;
  }

  curl::Easy easy_;
  const Options options_;
  const mime::Sender sender_;
};

// ServiceType::validate: what Connect would refuse before it reaches the network.
base::Status Validate(const json::object& config) {
  RETURN_IF_ERROR(mime::CheckSender(
      mime::Sender{ConfigString(config, "from_address"), ConfigString(config, "from_name")}));
  RETURN_IF_ERROR(curl::UrlHost(ConfigString(config, "host")).status());
  if (!ConfigString(config, "ca_file").empty() &&
      ConfigString(config, "encryption", "none") == "none") {
    return base::FieldError("config.ca_file",
                            "config.ca_file applies to encryption starttls or tls only");
  }
  return base::OkStatus();
}

// REQUIRES: Validate(config).ok() (ValidateConfig ran).
base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  mime::Sender sender{ConfigString(config, "from_address"), ConfigString(config, "from_name")};
  std::string encryption = ConfigString(config, "encryption", "none");
  int64_t default_port = encryption == "tls" ? 465 : encryption == "starttls" ? 587 : 25;
  ASSIGN_OR_RETURN(std::string host, curl::UrlHost(ConfigString(config, "host")));
  Options options;
  options.url = (encryption == "tls" ? "smtps://" : "smtp://") + host + ":" +
                std::to_string(ConfigInt(config, "port", default_port));
  options.starttls = encryption == "starttls";
  options.tls = {ConfigBool(config, "verify_tls", true), ConfigString(config, "ca_file")};
  options.username = ConfigString(config, "username");
  options.password = ConfigString(config, "password");
  options.request.timeout_ms = ConfigInt(config, "timeout_ms", 5000);
  ASSIGN_OR_RETURN(curl::Easy easy, curl::Easy::Create(kType));
  auto connection =
      std::make_unique<EmailConnection>(std::move(easy), std::move(options), std::move(sender));
  RETURN_IF_ERROR(connection->Ping());  // wrong host or credentials fail here, with the reason
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace

const ServiceType& EmailType() {
  static const ServiceType type{"email", Kind::kEmail, kKeys, &Connect, false, 2, 1, &Validate};
  return type;
}

}  // namespace edgegate::services::backends
