// libcurl behind AdminClient: one easy handle, the body collected into a string, the reply
// parsed as JSON with Boost.JSON (non-throwing overloads: nothing escapes this file).
#include "cli/client.h"

#include <curl/curl.h>

#include <fstream>

namespace edgegate::cli {
namespace {

namespace json = boost::json;

const json::value kNull;

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

base::Status TransportError(CURLcode code, const std::string& url, const char* detail) {
  if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL) {
    return base::InvalidArgument("invalid admin URL " + url + ": " + curl_easy_strerror(code));
  }
  return base::Unavailable("cannot reach the admin API at " + url + ": " +
                           (*detail ? detail : curl_easy_strerror(code)));
}

const json::value& Field(const json::value& v, std::string_view name) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    return kNull;
  }
  auto it = o->find(name);
  return it == o->end() ? kNull : it->value();
}

// The write and progress callbacks' view of one Stream call.
struct StreamContext {
  CURL* curl;
  const std::function<bool(std::string_view)>* on_data;
  const std::atomic<bool>* stop;
  ApiReply* reply;
  bool status_known = false;
  bool streaming = false;  // a 2xx answer: body pieces go to on_data
};

size_t StreamBody(char* data, size_t size, size_t count, void* user) {
  auto* ctx = static_cast<StreamContext*>(user);
  if (!ctx->status_known) {
    ctx->status_known = true;
    curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &ctx->reply->http_status);
    ctx->streaming = ctx->reply->http_status >= 200 && ctx->reply->http_status < 300;
  }
  if (!ctx->streaming) {
    ctx->reply->raw.append(data, size * count);
    return size * count;
  }
  return (*ctx->on_data)(std::string_view(data, size * count)) ? size * count : 0;
}

int StreamProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ctx = static_cast<StreamContext*>(user);
  return ctx->stop != nullptr && ctx->stop->load() ? 1 : 0;
}

}  // namespace

void ResolveKeyFromDataDir(ConnectionOptions& options, const std::string& data_dir) {
  if (!options.key.empty()) {
    return;
  }
  std::ifstream in(data_dir + "/admin.key");
  std::string line;
  if (in && std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    options.key = line;
  }
}

bool ApiReply::ok() const {
  const json::value& flag = Field(body, "ok");
  return http_status >= 200 && http_status < 300 && flag.is_bool() && flag.get_bool();
}

const json::value& ApiReply::data() const { return Field(body, "data"); }

const json::value& ApiReply::details() const { return Field(body, "details"); }

std::string ApiReply::error() const {
  if (const json::string* e = Field(body, "error").if_string()) {
    return std::string(*e);
  }
  std::string head = raw.substr(0, 200);
  return "unexpected answer (HTTP " + std::to_string(http_status) + ")" +
         (head.empty() ? std::string() : ": " + head);
}

base::Result<std::unique_ptr<AdminClient>> AdminClient::Create(ConnectionOptions options) {
  while (!options.url.empty() && options.url.back() == '/') {
    options.url.pop_back();
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return base::Internal("cannot initialise libcurl");
  }
  return std::unique_ptr<AdminClient>(new AdminClient(std::move(options), curl));
}

AdminClient::AdminClient(ConnectionOptions options, void* curl)
    : options_(std::move(options)), curl_(curl) {}

AdminClient::~AdminClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string AdminClient::Escape(std::string_view value) const {
  char* escaped =
      curl_easy_escape(static_cast<CURL*>(curl_), value.data(), static_cast<int>(value.size()));
  std::string out = escaped ? escaped : "";
  curl_free(escaped);
  return out;
}

base::Result<ApiReply> AdminClient::Send(std::string_view method, std::string_view path,
                                         std::string_view body, std::string_view content_type) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  const std::string url = options_.url + std::string(path);
  const std::string method_str(method);
  ApiReply reply;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_str.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.raw);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options_.timeout_s);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  }
  if (!body.empty() || !content_type.empty() || method == "POST" || method == "PUT") {
    // A null pointer would make libcurl read the body from stdin: "" for an empty one.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  if (!options_.key.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.key).c_str());
  }
  if (!content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + std::string(content_type)).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    return TransportError(code, options_.url, error);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.http_status);
  boost::system::error_code ec;
  json::value parsed = json::parse(reply.raw, ec);
  if (!ec) {
    reply.body = std::move(parsed);
  }
  return reply;
}

base::Result<ApiReply> AdminClient::Stream(std::string_view path,
                                           const std::function<bool(std::string_view)>& on_data,
                                           const std::atomic<bool>* stop) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  const std::string url = options_.url + std::string(path);
  ApiReply reply;
  StreamContext ctx{curl, &on_data, stop, &reply};
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &StreamBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &StreamProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_slist* headers = curl_slist_append(nullptr, "Accept: text/event-stream");
  if (!options_.key.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + options_.key).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK && code != CURLE_WRITE_ERROR && code != CURLE_ABORTED_BY_CALLBACK &&
      !(ctx.streaming && code == CURLE_PARTIAL_FILE)) {
    return TransportError(code, options_.url, error);
  }
  if (!ctx.status_known) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.http_status);
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(reply.raw, ec);
  if (!ec) {
    reply.body = std::move(parsed);
  }
  return reply;
}

base::Result<ApiReply> AdminClient::SendJson(std::string_view method, std::string_view path,
                                             const boost::json::value& body) {
  return Send(method, path, json::serialize(body), "application/json");
}

}  // namespace edgegate::cli
