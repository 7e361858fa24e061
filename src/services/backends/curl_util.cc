// libcurl plumbing shared by the s3, email and ftp backends; see curl_util.h.
#include "services/backends/curl_util.h"

#include <algorithm>
#include <mutex>

#include "base/strings.h"

namespace edgegate::services::backends::curl {
namespace {

// State the callbacks of one Perform() write into.
struct Transfer {
  Response* response;
  std::string_view upload;  // the bytes not yet handed to libcurl
  size_t max_body_bytes;
  bool http = false;  // an HTTP status line has been seen: lines are headers, not replies
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->max_body_bytes != 0 && t->response->body.size() + n > t->max_body_bytes) {
    t->response->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, n);
  return n;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return out;
}

// HTTP: keeps "name: value" pairs of the last response only (a redirect or a 100 Continue starts
// a new block with its status line). Other protocols: keeps every line as sent, CR/LF stripped.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view raw(data, n);
  if (raw.starts_with("HTTP/")) {
    t->http = true;
    t->response->headers.clear();
    return n;
  }
  if (!t->http) {
    while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n')) {
      raw.remove_suffix(1);
    }
    t->response->replies.emplace_back(raw);
    return n;
  }
  std::string_view line = Trim(raw);
  if (size_t colon = line.find(':'); colon != std::string_view::npos && line.find(' ') > colon) {
    t->response->headers.emplace_back(Lower(line.substr(0, colon)),
                                      std::string(Trim(line.substr(colon + 1))));
  }
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = std::min(size * count, t->upload.size());
  std::copy_n(t->upload.data(), n, buffer);
  t->upload.remove_prefix(n);
  return n;
}

bool IsUnreachable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_LOGIN_DENIED:
    case CURLE_FTP_ACCEPT_TIMEOUT:
    case CURLE_NO_CONNECTION_AVAILABLE:
    case CURLE_PROXY:
      return true;
    default:
      return false;
  }
}

}  // namespace

base::Result<Easy> Easy::Create(std::string_view type) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* handle = curl_easy_init();
  if (handle == nullptr) {
    return base::Unavailable(std::string(type) + ": curl_easy_init failed");
  }
  return Easy(handle);
}

Easy& Easy::operator=(Easy&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) {
      curl_easy_cleanup(handle_);
    }
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

Easy::~Easy() {
  if (handle_ != nullptr) {
    curl_easy_cleanup(handle_);
  }
}

HeaderList& HeaderList::operator=(HeaderList&& other) noexcept {
  if (this != &other) {
    curl_slist_free_all(list_);
    list_ = std::exchange(other.list_, nullptr);
  }
  return *this;
}

void HeaderList::Add(std::string_view line) {
  curl_slist* grown = curl_slist_append(list_, std::string(line).c_str());
  if (grown != nullptr) {  // NULL only when out of memory: the old list stays intact
    list_ = grown;
  }
}

const std::string* Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (base::EqualsIgnoreCase(key, name)) {
      return &value;
    }
  }
  return nullptr;
}

Response Run(Easy& easy, const RequestOptions& options) {
  Response response;
  Transfer transfer{&response, options.upload.value_or(std::string_view()), options.max_body_bytes};
  char errors[CURL_ERROR_SIZE] = {};
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout_ms > 0 ? options.connect_timeout_ms
                                                                    : options.timeout_ms));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errors);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (options.upload) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(options.upload->size()));
  }
  response.result = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);  // `errors` dies with this frame
  response.error = errors;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.code);
  return response;
}

base::Result<Response> Perform(Easy& easy, std::string_view type, const RequestOptions& options) {
  Response response = Run(easy, options);
  if (response.too_large) {
    return base::BackendError(std::string(type) + ": the response is larger than " +
                              std::to_string(options.max_body_bytes) + " bytes");
  }
  if (response.result != CURLE_OK) {
    return CurlError(response.result, type, response.error);
  }
  return response;
}

void SetTlsVerify(CURL* h, const TlsVerify& tls) {
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  if (!tls.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, tls.ca_file.c_str());
  }
}

base::Result<std::string> UrlHost(std::string host) {
  if (host.empty() || host.find_first_of("/@?#%\\ \t\r\n") != std::string::npos) {
    return base::FieldError("config.host", "config.host must be a host name or an IP address");
  }
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";  // an IPv6 literal
  }
  return host;
}

base::Status CurlError(CURLcode code, std::string_view type, std::string_view detail) {
  std::string message =
      std::string(type) + ": " +
      (detail.empty() ? std::string(curl_easy_strerror(code)) : std::string(detail));
  return IsUnreachable(code) ? base::Unavailable(std::move(message))
                             : base::BackendError(std::move(message));
}

}  // namespace edgegate::services::backends::curl
