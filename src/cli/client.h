// HTTP client of the admin API, for the `edgegate` client commands (deploy, endpoints, import,
// status). It wraps libcurl so that nothing else in the CLI speaks HTTP, and it reads the admin
// envelope (`{"ok", "data"}` / `{"ok": false, "error", "details"}`) so commands see data or an
// error, never raw bytes.
#pragma once

#include <boost/json.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace edgegate::cli {

// Where the admin API is and how to authenticate. Resolved by ResolveConnection.
struct ConnectionOptions {
  std::string url = "http://127.0.0.1:8081";  // admin API base URL, no trailing slash needed
  std::string key;                            // bearer key; empty: no Authorization header
  long connect_timeout_s = 10;                // TCP connect (+ TLS) bound
  long timeout_s = 600;                       // whole request: a compile may take minutes
};

// Fills `options.key` when it is empty from the first line of `<data_dir>/admin.key`, if that
// file exists and is readable. Never fails: a missing key surfaces as the API's 401.
void ResolveKeyFromDataDir(ConnectionOptions& options, const std::string& data_dir);

// One answer of the admin API, as received.
struct ApiReply {
  long http_status = 0;
  boost::json::value body;  // parsed JSON body; null if the body is not JSON
  std::string raw;          // the body bytes

  // True for 2xx with `{"ok": true}`.
  bool ok() const;
  // The envelope's `data` (null if absent).
  const boost::json::value& data() const;
  // The envelope's `error`, or a description of what came back instead of an envelope.
  std::string error() const;
  // The envelope's `details` (null if absent).
  const boost::json::value& details() const;
};

// A blocking admin API client over one libcurl easy handle (connections are reused between
// calls). Thread-compatible.
class AdminClient {
 public:
  // Fails (InvalidArgument) only if libcurl cannot be initialised.
  static base::Result<std::unique_ptr<AdminClient>> Create(ConnectionOptions options);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // Sends `method` `path` (starting with "/api/...", query included) with `body` (always sent
  // for POST and PUT, else when non-empty or `content_type` is set). Any HTTP answer is a reply,
  // whatever its status. Transport failures are errors: Unavailable when the server cannot be
  // reached (refused, unresolvable host, timeout), InvalidArgument for a malformed URL or
  // unsupported scheme.
  base::Result<ApiReply> Send(std::string_view method, std::string_view path,
                              std::string_view body = {}, std::string_view content_type = {});
  // Send with a JSON body.
  base::Result<ApiReply> SendJson(std::string_view method, std::string_view path,
                                  const boost::json::value& body);
  // GET `path` as a stream (Server-Sent Events): a 2xx body is handed to `on_data` piece by
  // piece as it arrives, with no overall timeout, until the server ends it, `on_data` returns
  // false, or `*stop` becomes true (checked at least once a second). A non-2xx answer is
  // returned whole, as Send would. Transport failures as Send.
  base::Result<ApiReply> Stream(std::string_view path,
                                const std::function<bool(std::string_view)>& on_data,
                                const std::atomic<bool>* stop);

  // `value` percent-encoded for a path segment or query value.
  std::string Escape(std::string_view value) const;
  const std::string& url() const { return options_.url; }

 private:
  AdminClient(ConnectionOptions options, void* curl);

  ConnectionOptions options_;
  void* curl_;  // CURL*, owned
};

}  // namespace edgegate::cli
