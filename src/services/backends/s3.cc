// The S3 storage backend: path-style requests (endpoint/bucket/key) signed by libcurl's
// CURLOPT_AWS_SIGV4, so any S3 API that checks SigV4 (AWS, MinIO, Swift s3api, Ceph) works.
// libcurl 7.88 signs the payload hash we send in x-amz-content-sha256 (it does not compute one),
// so every request carries the body's SHA-256. Presigned URLs are query-string SigV4, which
// libcurl does not do: they are computed here with OpenSSL, following the AWS specification.
// S3's XML (listings, error bodies) is read with libxml2.
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <mutex>

#include "base/strings.h"
#include "services/backends/backends.h"
#include "services/backends/curl_util.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

constexpr ConfigKey kKeys[] = {
    {.name = "endpoint", .type = KeyType::kString, .required = true},
    {.name = "access_key", .type = KeyType::kString, .required = true},
    {.name = "secret_key", .type = KeyType::kString, .required = true, .secret = true},
    {.name = "use_ssl", .type = KeyType::kBool},  // for an endpoint without a scheme; default true
    {.name = "bucket", .type = KeyType::kString, .required = true},
    {.name = "region", .type = KeyType::kString},       // default "us-east-1"
    {.name = "create_bucket", .type = KeyType::kBool},  // create a missing bucket on connect
    {.name = "list_page_size", .type = KeyType::kInt, .min = 1, .max = 1000},  // default 1000
};

constexpr size_t kMaxListedKeys = 10'000;    // list() refuses to return more (narrow the prefix)
constexpr int64_t kMaxPresignTtl = 604'800;  // 7 days, the SigV4 maximum

// ---- Hashes (OpenSSL) and encodings ----

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return Hex(md, n);
}

// The raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &n);
  return std::string(reinterpret_cast<const char*>(md), n);
}

// AWS UriEncode: everything but A-Z a-z 0-9 - . _ ~ percent-encoded (libcurl does exactly this).
std::string Escape(std::string_view s) {
  char* escaped = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

// A key as a URL path: each '/'-separated segment escaped, the slashes kept.
std::string EscapeKey(std::string_view key) {
  std::string out;
  for (size_t start = 0;;) {
    size_t slash = key.find('/', start);
    out += Escape(key.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) {
      return out;
    }
    out += '/';
    start = slash + 1;
  }
}

// ---- Times ----

std::string FormatUtc(time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

// An HTTP date header ("Thu, 26 Nov 2026 14:20:10 GMT") as RFC 3339; "" when absent or invalid.
std::string HttpDateToRfc3339(const std::string* date) {
  time_t t = date != nullptr ? curl_getdate(date->c_str(), nullptr) : -1;
  return t < 0 ? "" : FormatUtc(t, "%Y-%m-%dT%H:%M:%SZ");
}

// S3's ISO 8601 listing time ("2026-11-26T14:20:10.000Z") at second precision, like the above.
std::string IsoToRfc3339(std::string_view s) {
  return s.size() >= 19 ? std::string(s.substr(0, 19)) + "Z" : std::string(s);
}

// ---- XML (libxml2) ----

using XmlDoc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

XmlDoc ParseXml(std::string_view body) {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
  return XmlDoc(xmlReadMemory(body.data(), static_cast<int>(body.size()), "s3.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
                &xmlFreeDoc);
}

bool IsElement(const xmlNode* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE &&
         name == reinterpret_cast<const char*>(n->name);  // local name: S3 uses a default ns
}

// The text of the first child element `name` of `parent`, or "".
std::string ChildText(const xmlNode* parent, std::string_view name) {
  for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
    if (IsElement(c, name)) {
      xmlChar* text = xmlNodeGetContent(c);
      std::string out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
      xmlFree(text);
      return out;
    }
  }
  return "";
}

// A non-2xx answer as BackendError "s3: <Code>: <Message> (HTTP n)", from S3's XML error body
// (HEAD answers have none; a proxy's non-XML body is quoted, cut to 200 bytes).
base::Status HttpError(const curl::Response& r) {
  std::string reason = r.body.substr(0, 200);
  if (XmlDoc doc = ParseXml(r.body); doc != nullptr && xmlDocGetRootElement(doc.get())) {
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    reason = ChildText(root, "Code") + ": " + ChildText(root, "Message");
  }
  return base::BackendError("s3: " + reason + (reason.empty() ? "" : " ") + "(HTTP " +
                            std::to_string(r.code) + ")");
}

bool Is2xx(const curl::Response& r) { return r.code >= 200 && r.code < 300; }

std::string Unquote(const std::string* etag) {
  if (etag == nullptr) {
    return "";
  }
  std::string_view v = *etag;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

// Where and as whom a connection talks. Immutable after Connect().
struct Target {
  std::string base;  // scheme://host[:port], no trailing slash
  std::string host;  // host[:port] as sent in the Host header (signed by presigned URLs)
  std::string bucket, region, access_key, secret_key;
  int64_t timeout_ms = 5000;
  int64_t page_size = 1000;
};

// One easy handle (kept-alive connection) to the S3 endpoint. Thread-compatible.
class S3Connection final : public Connection {
 public:
  S3Connection(Target target, curl::Easy easy)
      : t_(std::move(target)), sigv4_("aws:amz:" + t_.region + ":s3"), easy_(std::move(easy)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op == "list") {
      return List(args);
    }
    ASSIGN_OR_RETURN(std::string_view key, StringArg(args, 0, op, "key"));
    RETURN_IF_ERROR(CheckRelativeKey(key));
    if (op == "put") {
      return Put(key, args);
    }
    if (op == "get" || op == "head") {
      return Get(key, op == "get");
    }
    if (op == "del") {
      ASSIGN_OR_RETURN(curl::Response r, Send("DELETE", ObjectPath(key)));
      if (!Is2xx(r) && r.code != 404) {
        return HttpError(r);
      }
      return json::value(nullptr);
    }
    if (op == "presigned_url") {
      return Presign(key, args);
    }
    return base::InvalidArgument("unknown storage operation '" + std::string(op) + "'");
  }

  base::Status Ping() override {
    ASSIGN_OR_RETURN(curl::Response r, Send("GET", "/" + t_.bucket + "?list-type=2&max-keys=1"));
    return Is2xx(r) ? base::OkStatus() : HttpError(r);
  }

  // Creates the bucket; an existing one of ours is fine.
  base::Status CreateBucket() {
    std::string body;
    if (t_.region != "us-east-1") {
      body = "<CreateBucketConfiguration><LocationConstraint>" + t_.region +
             "</LocationConstraint></CreateBucketConfiguration>";
    }
    ASSIGN_OR_RETURN(curl::Response r, Send("PUT", "/" + t_.bucket, body));
    return Is2xx(r) || r.code == 409 ? base::OkStatus() : HttpError(r);
  }

 private:
  std::string ObjectPath(std::string_view key) const {
    return "/" + t_.bucket + "/" + EscapeKey(key);
  }

  // One signed request; `path_and_query` is already escaped. Any HTTP status is a Response.
  base::Result<curl::Response> Send(std::string_view method, const std::string& path_and_query,
                                    std::string_view body = {},
                                    std::string_view content_type = {}) {
    easy_.Reset();
    CURL* h = easy_.get();
    std::string url = t_.base + path_and_query;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // keys are signed exactly as sent
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(h, CURLOPT_USERNAME, t_.access_key.c_str());  // may hold a ':' (Swift)
    curl_easy_setopt(h, CURLOPT_PASSWORD, t_.secret_key.c_str());
    curl::HeaderList headers;
    headers.Add("x-amz-content-sha256: " + Sha256Hex(body));
    // No "Expect:" line to suppress 100-continue: libcurl 7.88 would sign the header it then
    // leaves out, and S3 answers SignatureDoesNotMatch.
    if (!content_type.empty()) {
      headers.Add("Content-Type: " + std::string(content_type));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl::RequestOptions options;
    options.timeout_ms = t_.timeout_ms;
    if (method == "PUT") {
      options.upload = body;
    } else if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
    }
    return curl::Perform(easy_, "s3", options);
  }

  base::Result<json::value> Put(std::string_view key, const json::array& args) {
    ASSIGN_OR_RETURN(std::string_view body, StringArg(args, 1, "put", "bytes"));
    std::string_view content_type = "application/octet-stream";
    if (args.size() > 2 && !args[2].is_null()) {
      ASSIGN_OR_RETURN(content_type, StringArg(args, 2, "put", "content_type"));
    }
    if (base::HasControlCharacter(content_type)) {
      return base::InvalidArgument("put: content_type contains a control character");
    }
    ASSIGN_OR_RETURN(curl::Response r, Send("PUT", ObjectPath(key), body, content_type));
    if (!Is2xx(r)) {
      return HttpError(r);
    }
    return json::value(json::object{{"key", key},
                                    {"size", static_cast<int64_t>(body.size())},
                                    {"etag", Unquote(r.Header("etag"))}});
  }

  base::Result<json::value> Get(std::string_view key, bool with_body) {
    ASSIGN_OR_RETURN(curl::Response r, Send(with_body ? "GET" : "HEAD", ObjectPath(key)));
    if (r.code == 404) {
      return json::value(nullptr);
    }
    if (!Is2xx(r)) {
      return HttpError(r);
    }
    int64_t size = static_cast<int64_t>(r.body.size());
    if (const std::string* length = r.Header("content-length"); !with_body && length) {
      size = std::strtoll(length->c_str(), nullptr, 10);
    }
    const std::string* type = r.Header("content-type");
    json::object out{{"content_type", type ? *type : "application/octet-stream"},
                     {"size", size},
                     {"etag", Unquote(r.Header("etag"))},
                     {"last_modified", HttpDateToRfc3339(r.Header("last-modified"))}};
    if (with_body) {
      out["body"] = json::string(r.body);
    }
    return json::value(std::move(out));
  }

  base::Result<json::value> List(const json::array& args) {
    std::string_view prefix;
    if (!args.empty() && !args[0].is_null()) {
      ASSIGN_OR_RETURN(prefix, StringArg(args, 0, "list", "prefix"));
      if (!prefix.empty()) {
        RETURN_IF_ERROR(CheckRelativeKey(prefix, "prefix"));
      }
    }
    json::array out;
    std::string token;
    do {
      // Query parameters in canonical (sorted, escaped) order, as SigV4 signs them.
      std::string query = "/" + t_.bucket + "?" +
                          (token.empty() ? "" : "continuation-token=" + Escape(token) + "&") +
                          "list-type=2&max-keys=" + std::to_string(t_.page_size) +
                          "&prefix=" + Escape(prefix);
      ASSIGN_OR_RETURN(curl::Response r, Send("GET", query));
      if (!Is2xx(r)) {
        return HttpError(r);
      }
      ASSIGN_OR_RETURN(token, ParseListPage(r.body, out));
      if (out.size() > kMaxListedKeys) {
        return base::BackendError("s3: more than " + std::to_string(kMaxListedKeys) +
                                  " keys under prefix '" + std::string(prefix) +
                                  "': list a narrower prefix");
      }
    } while (!token.empty());
    return json::value(std::move(out));
  }

  // Appends the page's objects to `out`; returns the continuation token ("" on the last page).
  static base::Result<std::string> ParseListPage(const std::string& body, json::array& out) {
    XmlDoc doc = ParseXml(body);
    const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (root == nullptr || !IsElement(root, "ListBucketResult")) {
      return base::BackendError("s3: the listing is not a ListBucketResult document");
    }
    for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
      if (IsElement(c, "Contents")) {
        out.push_back(
            json::object{{"key", ChildText(c, "Key")},
                         {"size", std::strtoll(ChildText(c, "Size").c_str(), nullptr, 10)},
                         {"last_modified", IsoToRfc3339(ChildText(c, "LastModified"))}});
      }
    }
    return ChildText(root, "IsTruncated") == "true" ? ChildText(root, "NextContinuationToken")
                                                    : std::string();
  }

  // SigV4 query-string authentication (AWS "Authenticating Requests: Using Query Parameters"):
  // only the Host header is signed, and the payload is UNSIGNED-PAYLOAD.
  base::Result<json::value> Presign(std::string_view key, const json::array& args) {
    std::string_view method = "GET";
    if (args.size() > 1 && !args[1].is_null()) {
      ASSIGN_OR_RETURN(method, StringArg(args, 1, "presigned_url", "method"));
    }
    if (method != "GET" && method != "PUT") {
      return base::InvalidArgument("presigned_url: method must be GET or PUT");
    }
    ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 2, "presigned_url", "ttl_seconds", 3600));
    if (ttl < 1 || ttl > kMaxPresignTtl) {
      return base::InvalidArgument("presigned_url: ttl_seconds must be between 1 and 604800");
    }
    time_t now = std::time(nullptr);
    std::string date = FormatUtc(now, "%Y%m%d");
    std::string scope = date + "/" + t_.region + "/s3/aws4_request";
    std::string path = ObjectPath(key);
    std::string query =
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + Escape(t_.access_key + "/" + scope) +
        "&X-Amz-Date=" + FormatUtc(now, "%Y%m%dT%H%M%SZ") +
        "&X-Amz-Expires=" + std::to_string(ttl) + "&X-Amz-SignedHeaders=host";
    std::string canonical_request = std::string(method) + "\n" + path + "\n" + query +
                                    "\nhost:" + t_.host + "\n\nhost\nUNSIGNED-PAYLOAD";
    std::string string_to_sign = "AWS4-HMAC-SHA256\n" + FormatUtc(now, "%Y%m%dT%H%M%SZ") + "\n" +
                                 scope + "\n" + Sha256Hex(canonical_request);
    std::string signing_key = HmacSha256(
        HmacSha256(HmacSha256(HmacSha256("AWS4" + t_.secret_key, date), t_.region), "s3"),
        "aws4_request");
    std::string signature = HmacSha256(signing_key, string_to_sign);
    return json::value(
        t_.base + path + "?" + query + "&X-Amz-Signature=" +
        Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size()));
  }

  const Target t_;
  const std::string sigv4_;  // CURLOPT_AWS_SIGV4: "aws:amz:<region>:s3"
  curl::Easy easy_;
};

// Fills target.base and target.host from the endpoint ("http://host:port", or "host:port" with
// use_ssl choosing the scheme). InvalidArgument for an endpoint with a path, query or user.
base::Status ParseEndpoint(std::string endpoint, bool use_ssl, Target& target) {
  if (endpoint.find("://") == std::string::npos) {
    endpoint = (use_ssl ? "https://" : "http://") + endpoint;
  }
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), &curl_url_cleanup);
  auto part = [&](CURLUPart which) -> std::string {
    char* value = nullptr;
    if (curl_url_get(url.get(), which, &value, 0) != CURLUE_OK || value == nullptr) {
      return "";
    }
    std::string out = value;
    curl_free(value);
    return out;
  };
  if (curl_url_set(url.get(), CURLUPART_URL, endpoint.c_str(), 0) != CURLUE_OK) {
    return base::InvalidArgument("s3: endpoint '" + endpoint + "' is not a URL");
  }
  std::string scheme = part(CURLUPART_SCHEME), port = part(CURLUPART_PORT);
  std::string path = part(CURLUPART_PATH);
  if ((scheme != "http" && scheme != "https") || (!path.empty() && path != "/") ||
      !part(CURLUPART_QUERY).empty() || !part(CURLUPART_USER).empty()) {
    return base::InvalidArgument("s3: endpoint '" + endpoint +
                                 "' must be http(s)://host[:port] (buckets are path-style)");
  }
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) {
    port.clear();
  }
  target.host = part(CURLUPART_HOST) + (port.empty() ? "" : ":" + port);
  target.base = scheme + "://" + target.host;
  return base::OkStatus();
}

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  Target t;
  RETURN_IF_ERROR(
      ParseEndpoint(ConfigString(config, "endpoint"), ConfigBool(config, "use_ssl", true), t));
  t.bucket = ConfigString(config, "bucket");
  t.region = ConfigString(config, "region", "us-east-1");
  t.access_key = ConfigString(config, "access_key");
  t.secret_key = ConfigString(config, "secret_key");
  t.timeout_ms = ConfigInt(config, "timeout_ms", 5000);
  t.page_size = ConfigInt(config, "list_page_size", 1000);
  if (t.bucket.size() < 3 || t.bucket.find('/') != std::string::npos) {
    return base::InvalidArgument("s3: bucket '" + t.bucket + "' is not a valid bucket name");
  }
  ASSIGN_OR_RETURN(curl::Easy easy, curl::Easy::Create("s3"));
  auto connection = std::make_unique<S3Connection>(std::move(t), std::move(easy));
  base::Status ping = connection->Ping();
  if (!ping.ok() && ConfigBool(config, "create_bucket", false) &&
      ping.message().find("NoSuchBucket") != std::string::npos) {
    ping = connection->CreateBucket();
  }
  if (!ping.ok()) {
    return base::Unavailable(ping.message());  // wrong keys, no bucket, no server: retry later
  }
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace

const ServiceType& S3Type() {
  static const ServiceType type{"s3", Kind::kStorage, kKeys, &Connect, false, 4};
  return type;
}

}  // namespace edgegate::services::backends
