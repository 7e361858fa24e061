// Shared libcurl plumbing for the backends that speak through libcurl (s3, email, ftp): an RAII
// easy handle, an RAII header list, and Run(), which runs one request with bounded time and
// captures everything that comes back: the body, the HTTP headers or the FTP/SMTP reply lines, the
// response code, and on failure libcurl's CURLcode and error text. Perform() is Run() for callers
// that treat every libcurl failure alike (s3): it maps them onto the service error codes
// (unreachable or timed out → Unavailable, anything else → BackendError). SMTP and FTP call Run()
// and map failures themselves, since the server's reply line decides between the two.
//
// Usage: configure the request on easy.get() with curl_easy_setopt (URL, method, auth, headers),
// then call Run() or Perform(); they set the callbacks and timeouts themselves. Reusing one Easy
// for many requests keeps its connection alive; call Reset() before configuring each new request,
// so no option of the previous one (a method, CURLOPT_UPLOAD, a header list) leaks into it.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace edgegate::services::backends::curl {

// One libcurl easy handle. Owns it; move-only. Thread-compatible (one thread at a time, as a
// Connection is used).
class Easy {
 public:
  // A fresh handle (curl_global_init runs once per process first). Unavailable if libcurl cannot
  // allocate one.
  static base::Result<Easy> Create(std::string_view type);

  Easy(Easy&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Easy& operator=(Easy&& other) noexcept;
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  ~Easy();

  CURL* get() const { return handle_; }
  // Clears every option set on the handle (curl_easy_reset) but keeps its live connections and
  // caches, so the next request can reuse the connection.
  void Reset() { curl_easy_reset(handle_); }

 private:
  explicit Easy(CURL* handle) : handle_(handle) {}
  CURL* handle_;
};

// A curl_slist of header lines ("Name: value"). Owns it; move-only. Pass get() to
// CURLOPT_HTTPHEADER / CURLOPT_MAIL_RCPT / CURLOPT_QUOTE; the list must outlive Run().
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(HeaderList&& other) noexcept : list_(std::exchange(other.list_, nullptr)) {}
  HeaderList& operator=(HeaderList&& other) noexcept;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list_); }

  // Appends one entry (copied). Entries must not contain CR or LF (callers check their input).
  void Add(std::string_view line);
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

struct RequestOptions {
  // Bounds the whole request (CURLOPT_TIMEOUT_MS); the config's timeout_ms, default 5000.
  int64_t timeout_ms = 5000;
  // Bounds connecting (CURLOPT_CONNECTTIMEOUT_MS); 0 = the same as timeout_ms.
  int64_t connect_timeout_ms = 0;
  // When set, these bytes are uploaded with CURLOPT_UPLOAD (HTTP PUT, the SMTP message, the FTP
  // file) and CURLOPT_INFILESIZE_LARGE; they must stay alive until Run() returns.
  std::optional<std::string_view> upload;
  // A response body larger than this aborts the transfer (Response::too_large); 0 = no limit.
  size_t max_body_bytes = 0;
};

struct Response {
  CURLcode result = CURLE_OK;  // what curl_easy_perform returned
  std::string error;           // libcurl's error buffer after a failure ("" when it left none)
  bool too_large = false;      // the body passed max_body_bytes (result is CURLE_WRITE_ERROR)
  long code = 0;     // CURLINFO_RESPONSE_CODE: the HTTP status, or the last FTP/SMTP reply code
  std::string body;  // the downloaded bytes, unchanged (for SMTP: the reply to a custom command)
  // Response header lines of the final HTTP response (names lower-cased, values trimmed).
  std::vector<std::pair<std::string, std::string>> headers;
  // Other protocols: every line libcurl passed to the header callback, CR/LF stripped, in order
  // (the FTP/SMTP server's reply lines, plus libcurl's own FTP "headers"; SFTP has none).
  std::vector<std::string> replies;

  // True if the transfer completed (whatever the response code says).
  bool ok() const { return result == CURLE_OK && !too_large; }
  // The value of the first header named `name` (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
};

// Runs the request configured on `easy` and returns what came back; never fails: a libcurl
// failure is in result/error/too_large, with whatever replies and body arrived before it. A 404
// or a 550 is a Response like any other (the caller decides). Sets CURLOPT_NOSIGNAL, the timeouts,
// the write/header callbacks and CURLOPT_ERRORBUFFER (and the upload options when options.upload
// is set).
Response Run(Easy& easy, const RequestOptions& options);

// Run(), with a failed transfer as an error, "<type>: <libcurl's reason>":
//  - Unavailable: the server could not be reached or the transfer broke or timed out (resolve,
//    connect, TLS handshake, send/receive, timeout, empty reply, login denied).
//  - BackendError: any other libcurl failure (including a body over max_body_bytes).
base::Result<Response> Perform(Easy& easy, std::string_view type, const RequestOptions& options);

// How a TLS server's certificate is checked: chain and name both (verify), or neither, against
// the CA certificates in ca_file (PEM), or the system's when it is empty.
struct TlsVerify {
  bool verify = true;
  std::string ca_file;
};
// Sets CURLOPT_SSL_VERIFYPEER, CURLOPT_SSL_VERIFYHOST and CURLOPT_CAINFO from `tls`.
void SetTlsVerify(CURL* h, const TlsVerify& tls);

// `host` as a URL's authority takes it: refused (field config.host) if empty or holding URL
// syntax or spaces; an IPv6 literal gets its brackets.
base::Result<std::string> UrlHost(std::string host);

// The Status for a failed libcurl call, classified as Perform() does. `detail` is libcurl's
// error buffer text when there is one (else curl_easy_strerror(code) is used).
base::Status CurlError(CURLcode code, std::string_view type, std::string_view detail = {});

}  // namespace edgegate::services::backends::curl
