// One event loop of the server: an io_context run by one thread, its listener, and the set of
// connections living on it. Loop-affine state is touched only from that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "http/dispatcher.h"
#include "http/internal/buffer_pool.h"
#include "http/internal/worker.h"
#include "http/server.h"

namespace edgegate::http::internal {

class Connection;

// Asio objects bound to the loop's io_context by type: smaller than with the type-erased
// any_io_executor (socket, timer and every pending operation carry one), which matters for the
// memory an idle connection holds.
using Executor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, Executor>;
using Timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;

// The "Date: ...\r\n" line, formatted at most once per second. Loop-affine.
class DateCache {
 public:
  std::string_view Line();

 private:
  std::time_t second_ = 0;
  char line_[64] = {};
  size_t size_ = 0;
};

// Posts work to a loop from any thread until the server stops, then drops it: for wakers held
// by objects that may outlive the loop (log subscriptions of a stream). Thread-safe.
class PostGuard {
 public:
  explicit PostGuard(boost::asio::io_context& ioc) : ioc_(&ioc) {}
  template <class F>
  void Post(F&& f) {
    std::lock_guard lock(mu_);
    if (ioc_ != nullptr) {
      boost::asio::post(*ioc_, std::forward<F>(f));
    }
  }
  // After Close, Post does nothing. Called once the loop's thread has stopped.
  void Close() {
    std::lock_guard lock(mu_);
    ioc_ = nullptr;
  }

 private:
  std::mutex mu_;
  boost::asio::io_context* ioc_;  // guarded by mu_
};

struct Loop {
  Loop(const ServerOptions& options, Dispatcher& dispatcher, std::atomic<bool>& stopping,
       std::atomic<size_t>& open_connections)
      : options(options),
        dispatcher(dispatcher),
        stopping(stopping),
        open_connections(open_connections),
        stacks(options.coroutine_stack_bytes),
        accept_retry(ioc.get_executor()) {}

  void StartAccepting();
  void CloseIdleConnections();  // loop-affine

  // Immutable after construction.
  const ServerOptions& options;
  Dispatcher& dispatcher;
  std::atomic<bool>& stopping;
  std::atomic<size_t>& open_connections;
  // Loop-affine; before ioc, so that they outlive it: destroying ioc destroys the handlers not
  // yet run and unwinds suspended coroutines (a server stopped before its connections closed),
  // and those give back their stacks, release workers and destroy the connections they own,
  // whose destructors leave `connections` and may give a buffer back.
  StackPool stacks;
  WorkerPool workers;
  std::unordered_set<Connection*> connections;
  BufferPool buffers;
  size_t parked_reads = 0;  // idle connections waiting in a read with a buffer (connection.cc)
  DateCache date;
  // One thread runs it and does every socket and timer operation of its connections; other
  // threads only post to it. So the reactor's per-descriptor locking is turned off, while
  // posting stays thread-safe.
  boost::asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::shared_ptr<PostGuard> post_guard = std::make_shared<PostGuard>(ioc);
  // Loop-affine; after ioc: I/O objects are destroyed before their io_context.
  std::optional<Acceptor> acceptor;
  Timer accept_retry;
  std::thread thread;  // last: runs ioc
};

}  // namespace edgegate::http::internal
