// The HTTP/1.1 server: N event loops, one thread each, each with its own SO_REUSEPORT listener on
// the same address, so a connection lives on one loop for its whole life and serving a request
// never crosses threads. A connection serves its requests in a stackful coroutine (Boost.Asio
// spawn), so the dispatcher's code is plain sequential C++ that may suspend without blocking the
// loop; between requests it holds no coroutine (internal/worker.h).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/options.h"
#include "http/dispatcher.h"

namespace edgegate::http {

struct ServerOptions {
  std::string name = "http";         // for logs: "data plane", "admin"
  config::ListenAddress listen;      // port 0 = any free port (see port())
  int threads = 1;                   // event loops
  config::HttpLimits limits;
  size_t coroutine_stack_bytes = 256 * 1024;  // per serving connection, guard page below it
  // Run the loops at background priority (base/thread_priority.h): for the admin API, so that
  // deploys do not delay the data plane's requests on a busy machine.
  bool background = false;
};

namespace internal {
struct Loop;
}

// Lifecycle: Create (binds) → Start (threads) → BeginShutdown → WaitForConnections → Stop.
// Thread-safe except that Start and Stop must not race each other.
class Server {
 public:
  // Binds the listeners. InvalidArgument naming "listen" if the address cannot be bound.
  // `dispatcher` must outlive the server.
  static base::Result<std::unique_ptr<Server>> Create(const ServerOptions& options,
                                                      Dispatcher& dispatcher);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the real one when the options asked for port 0).
  uint16_t port() const { return port_; }
  void Start();
  // Stops accepting and closes idle keep-alive connections; a connection in the middle of a
  // request finishes it, answers with "Connection: close" and closes.
  void BeginShutdown();
  // Waits until every connection has closed or `deadline` passes; true if all closed.
  bool WaitForConnections(std::chrono::steady_clock::time_point deadline);
  // Stops the loops (abandoning any connection left) and joins the threads. Idempotent.
  void Stop();
  size_t open_connections() const { return open_connections_.load(); }

 private:
  Server(const ServerOptions& options, Dispatcher& dispatcher);
  base::Status Bind();

  const ServerOptions options_;
  Dispatcher& dispatcher_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_connections_{0};
  std::vector<std::unique_ptr<internal::Loop>> loops_;  // last: their threads call back into us
};

}  // namespace edgegate::http
