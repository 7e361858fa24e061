// Listeners, loops and the server lifecycle.
#include "http/server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <sys/socket.h>

#include <thread>

#include "base/log.h"
#include "base/thread_priority.h"
#include "http/internal/connection.h"
#include "http/internal/loop.h"

namespace edgegate::http {
namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace internal {

std::string_view DateCache::Line() {
  std::time_t now = std::time(nullptr);
  if (now != second_) {
    second_ = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    size_ = std::strftime(line_, sizeof line_, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
  }
  return {line_, size_};
}

void Loop::StartAccepting() {
  acceptor->async_accept([this](const error_code& ec, Socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) {
      return;
    }
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning on the error.
      base::Log(base::LogLevel::kWarn, options.name + ": accept failed: " + ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](const error_code& wait_ec) {
        if (!wait_ec) StartAccepting();
      });
      return;
    }
    std::make_shared<Connection>(std::move(socket), *this)->Start();
    StartAccepting();
  });
}

void Loop::CloseIdleConnections() {
  // Copy: closing may not erase synchronously, but be safe against it.
  std::vector<Connection*> snapshot(connections.begin(), connections.end());
  for (Connection* c : snapshot) {
    c->CloseIfIdle();
  }
}

}  // namespace internal

namespace {

// Fails with EADDRINUSE if a listener holds the address, even one that bound it with
// SO_REUSEPORT (which would otherwise silently share our port). SO_REUSEADDR on the probe lets
// it bind over TIME_WAIT connections left by a previous run, but never over a listener.
base::Status ProbeAddressFree(const tcp::endpoint& endpoint) {
  asio::io_context ioc;
  tcp::acceptor probe(ioc);
  error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec) {
    return base::FieldError("listen", "cannot listen on " + endpoint.address().to_string() + ":" +
                                          std::to_string(endpoint.port()) + ": " + ec.message());
  }
  return base::OkStatus();
}

base::Status OpenAcceptor(internal::Acceptor& acceptor, const tcp::endpoint& endpoint) {
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return base::FieldError("listen", "cannot listen on " + endpoint.address().to_string() + ":" +
                                          std::to_string(endpoint.port()) + ": " + ec.message());
  }
  return base::OkStatus();
}

}  // namespace

Server::Server(const ServerOptions& options, Dispatcher& dispatcher)
    : options_(options), dispatcher_(dispatcher) {}

base::Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options,
                                                     Dispatcher& dispatcher) {
  std::unique_ptr<Server> server(new Server(options, dispatcher));
  RETURN_IF_ERROR(server->Bind());
  return server;
}

base::Status Server::Bind() {
  error_code ec;
  auto address = asio::ip::make_address(options_.listen.host, ec);
  if (ec) {
    return base::FieldError("listen", "invalid listen address '" + options_.listen.host + "'");
  }
  tcp::endpoint endpoint(address, options_.listen.port);
  if (endpoint.port() != 0) {
    RETURN_IF_ERROR(ProbeAddressFree(endpoint));
  }
  int threads = std::max(1, options_.threads);
  for (int i = 0; i < threads; ++i) {
    auto loop = std::make_unique<internal::Loop>(options_, dispatcher_, stopping_,
                                                 open_connections_);
    loop->acceptor.emplace(loop->ioc.get_executor());
    RETURN_IF_ERROR(OpenAcceptor(*loop->acceptor, endpoint));
    endpoint.port(loop->acceptor->local_endpoint().port());  // port 0: the others share it
    loops_.push_back(std::move(loop));
  }
  port_ = endpoint.port();
  return base::OkStatus();
}

Server::~Server() { Stop(); }

void Server::Start() {
  for (auto& loop : loops_) {
    internal::Loop* l = loop.get();
    l->StartAccepting();
    l->thread = std::thread([l, background = options_.background] {
      if (background) {
        base::MakeThisThreadBackground();
      }
      l->ioc.run();
    });
  }
}

void Server::BeginShutdown() {
  stopping_.store(true);
  for (auto& loop : loops_) {
    internal::Loop* l = loop.get();
    asio::post(l->ioc, [l] {
      error_code ec;
      if (l->acceptor) l->acceptor->close(ec);
      l->accept_retry.cancel();
      l->CloseIdleConnections();
    });
  }
}

bool Server::WaitForConnections(std::chrono::steady_clock::time_point deadline) {
  while (open_connections_.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void Server::Stop() {
  for (auto& loop : loops_) {
    loop->ioc.stop();
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) {
      loop->thread.join();
    }
    loop->post_guard->Close();  // wakers of streams left open must not post to a dead loop
  }
}

}  // namespace edgegate::http
