// One event loop of the server: an io_context run by one thread, its listener, and the set of
// connections living on it. Loop-affine state is touched only from that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <ctime>
#include <optional>
#include <thread>
#include <unordered_set>

#include "http/dispatcher.h"
#include "http/internal/buffer_pool.h"
#include "http/server.h"

namespace edgegate::http::internal {

class Connection;

// The "Date: ...\r\n" line, formatted at most once per second. Loop-affine.
class DateCache {
 public:
  std::string_view Line();

 private:
  std::time_t second_ = 0;
  char line_[64] = {};
  size_t size_ = 0;
};

struct Loop {
  Loop(const ServerOptions& options, Dispatcher& dispatcher, std::atomic<bool>& stopping,
       std::atomic<size_t>& open_connections)
      : options(options),
        dispatcher(dispatcher),
        stopping(stopping),
        open_connections(open_connections),
        accept_retry(ioc) {}

  void StartAccepting();
  void CloseIdleConnections();  // loop-affine

  // Immutable after construction.
  const ServerOptions& options;
  Dispatcher& dispatcher;
  std::atomic<bool>& stopping;
  std::atomic<size_t>& open_connections;
  boost::asio::io_context ioc{1};
  // Loop-affine.
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  boost::asio::steady_timer accept_retry;
  std::unordered_set<Connection*> connections;
  BufferPool buffers;
  DateCache date;
  std::thread thread;  // last: runs ioc
};

}  // namespace edgegate::http::internal
