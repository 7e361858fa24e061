// End-to-end tests of the HTTP server over real loopback sockets (port 0): framing, limits,
// smuggling defences, pipelining, timeouts. The dispatcher echoes what it was given.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "base/thread_priority.h"
#include "http/coroutine.h"
#include "http/stream.h"

namespace edgegate::http {
namespace {

// What the /stream test route saw and the waker it got, shared with the test thread.
struct StreamProbe {
  std::mutex mu;
  std::function<void()> waker;  // guarded by mu
  std::atomic<bool> saw_closed{false};
  std::atomic<bool> saw_timeout{false};
};

// GET /stream: "first", then per wake "woken", per timeout (100 ms) "tick", until kClosed.
void ServeStream(const Request& request, StreamProbe& probe) {
  Header headers[] = {{"Content-Type", "text/event-stream"}, {"X-Bad", "a\r\nInjected: 1"}};
  if (!request.stream->Begin(200, headers)) {
    probe.saw_closed = true;  // shutdown may begin at any moment
    return;
  }
  {
    std::lock_guard lock(probe.mu);
    probe.waker = request.stream->Waker();
  }
  if (!request.stream->Write("first")) {
    probe.saw_closed = true;  // shutdown may begin right after "first" left
    return;
  }
  for (;;) {
    ResponseStream::WaitResult r = request.stream->Wait(std::chrono::milliseconds(100));
    if (r == ResponseStream::WaitResult::kClosed) {
      probe.saw_closed = true;
      return;
    }
    if (r == ResponseStream::WaitResult::kTimeout) {
      probe.saw_timeout = true;
    }
    bool written = request.stream->Write(r == ResponseStream::WaitResult::kWoken ? "woken" : "tick");
    if (!written) {
      probe.saw_closed = true;
      return;
    }
  }
}

class EchoSession : public Session {
 public:
  explicit EchoSession(StreamProbe& probe) : probe_(probe) {}
  Served Serve(const Request& request, Response& response) override {
    if (request.path == "/stream" || request.path == "/wait") {
      if (request.coroutine == nullptr) {
        return Served::kNeedsCoroutine;  // both suspend
      }
      if (request.path == "/wait") {
        return ServeAfterAWait(request, response);
      }
      response.Set(500, {}, "ignored once the stream began");
      ServeStream(request, probe_);
      return Served::kDone;
    }
    if (request.path == "/nice") {  // the serving thread's scheduling priority
      response.Set(200, {}, std::to_string(base::ThisThreadNice()));
      return Served::kDone;
    }
    if (request.path == "/where") {  // inline: on the loop's stack, without a coroutine
      response.Set(200, {}, request.coroutine == nullptr ? "inline" : "coroutine");
      return Served::kDone;
    }
    if (request.path == "/bulk") {  // ?<bytes>: more than a socket takes in one write
      response.Set(200, {}, std::string(std::stoul(std::string(request.query)), 'x'));
      return Served::kDone;
    }
    std::string body = std::string(request.method) + " " + std::string(request.path) + " q=" +
                       std::string(request.query) + " body=" + std::string(request.body);
    Header headers[] = {{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"},
                        {"Set-Cookie", "b=2"}, {"X-Bad", "x\r\nInjected: 1"}};
    response.Set(200, headers, body);
    return Served::kDone;
  }

 private:
  // Suspends the request's coroutine on a 10 ms timer, as a service call waits for its reply.
  static Served ServeAfterAWait(const Request& request, Response& response) {
    boost::asio::steady_timer timer(request.coroutine->yield.get_executor(),
                                    std::chrono::milliseconds(10));
    boost::system::error_code ec;
    timer.async_wait(request.coroutine->yield[ec]);
    response.Set(200, {}, ec ? "wait failed" : "waited in a coroutine");
    return Served::kDone;
  }

  StreamProbe& probe_;
};

class EchoDispatcher : public Dispatcher {
 public:
  std::unique_ptr<Session> NewSession() override {
    sessions_created.fetch_add(1);
    return std::make_unique<EchoSession>(probe);
  }
  StreamProbe probe;
  std::atomic<int> sessions_created{0};
};

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(config::HttpLimits limits = {}, int threads = 2, bool background = false) {
    ServerOptions options;
    options.listen = {"127.0.0.1", 0};
    options.threads = threads;
    options.limits = limits;
    options.background = background;
    auto server = Server::Create(options, dispatcher_);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  int Connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  }

  // Sends `request` and reads until the server closes (or 5 s pass).
  std::string Exchange(const std::string& request) {
    int fd = Connect();
    EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    std::string out = ReadAll(fd);
    ::close(fd);
    return out;
  }

  static std::string ReadAll(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  static int CountOf(const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

  EchoDispatcher dispatcher_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, LoopsRunAtNormalPriorityUnlessBackground) {
  const int process = base::ThisThreadNice();
  StartServer({}, 1);
  std::string out = Exchange("GET /nice HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), std::to_string(process)) << out;
  server_->Stop();
  StartServer({}, 1, /*background=*/true);
  out = Exchange("GET /nice HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4),
            std::to_string(std::min(process + base::kBackgroundNiceIncrement, 19)))
      << out;
}

TEST_F(ServerTest, ServesRequestWithDateAndContentLength) {
  StartServer();
  std::string out = Exchange("GET /a?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nDate: "), std::string::npos);
  EXPECT_NE(out.find("\r\nContent-Length: 18\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /a q=x=1 body="), std::string::npos);
  EXPECT_EQ(CountOf(out, "Set-Cookie:"), 2);
  EXPECT_EQ(out.find("Injected"), std::string::npos);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  std::string out = Exchange(
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  size_t a = out.find("GET /1"), b = out.find("POST /2 q= body=abc"), c = out.find("GET /3");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_F(ServerTest, PipelinedResponsesBeyondTheOutputBufferAreAllSent) {
  StartServer();
  std::string body(1000, 'x');
  std::string requests;
  for (int i = 0; i < 150; ++i) {
    requests += "POST /p" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" +
                body;
  }
  requests += "GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string out = Exchange(requests);
  EXPECT_EQ(CountOf(out, "HTTP/1.1 200 OK"), 151);
  EXPECT_NE(out.find("GET /last"), std::string::npos);
}

TEST_F(ServerTest, RequestsAreServedWithoutACoroutineUnlessTheyWait) {
  StartServer();
  std::string out = Exchange("GET /where HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "inline") << out;
  out = Exchange("GET /wait HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "waited in a coroutine") << out;
}

// The first request is served on the loop's stack, the second needs a coroutine: the burst goes
// on in one, in order, and the connection is served inline again once it was idle.
TEST_F(ServerTest, PipelinedRequestsKeepTheirOrderAcrossTheHandOverToACoroutine) {
  StartServer({}, 1);
  int fd = Connect();
  const std::string burst =
      "GET /where HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /wait HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /where HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(::send(fd, burst.data(), burst.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(burst.size()));
  std::string out;
  char buf[4096];
  while (CountOf(out, "HTTP/1.1 200 OK") < 3 || !out.ends_with("coroutine")) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << out;
    out.append(buf, static_cast<size_t>(n));
  }
  size_t first = out.find("\r\n\r\ninline");
  size_t second = out.find("\r\n\r\nwaited in a coroutine");
  size_t third = out.find("\r\n\r\ncoroutine");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  ASSERT_NE(third, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  const std::string again = "GET /where HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, again.data(), again.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(again.size()));
  out = ReadAll(fd);
  ::close(fd);
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "inline") << out;
}

// A response larger than the socket takes at once: the rest is written from a coroutine while
// the client is slow to read, which then serves the request after it.
TEST_F(ServerTest, AResponseTheSocketDoesNotTakeAtOnceIsWrittenWhole) {
  StartServer({}, 1);
  int fd = Connect();
  constexpr size_t kBytes = 32 << 20;  // more than a socket's send buffer holds (tcp_wmem: 4 MiB)
  const std::string request = "GET /bulk?" + std::to_string(kBytes) +
                              " HTTP/1.1\r\nHost: h\r\n\r\n"
                              "GET /where HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the server's write stall
  std::string out = ReadAll(fd);
  ::close(fd);
  const size_t body = out.find("\r\n\r\n") + 4;
  ASSERT_NE(out.find("\r\nContent-Length: " + std::to_string(kBytes) + "\r\n"),
            std::string::npos);
  ASSERT_GE(out.size(), body + kBytes);
  EXPECT_EQ(out.find_first_not_of('x', body), body + kBytes) << "all 'x', then the next response";
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n"), body + kBytes);
  EXPECT_TRUE(out.ends_with("\r\n\r\ncoroutine")) << out.substr(body + kBytes);
}

TEST_F(ServerTest, HeaderLargerThanOneReadIsParsedIntact) {
  StartServer();  // the first read stops inside the header: the buffer grows under the views
  std::string out = Exchange("GET /big?q=1 HTTP/1.1\r\nHost: h\r\nX-Big: " +
                             std::string(9000, 'a') + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out.substr(0, 200);
  EXPECT_NE(out.find("GET /big q=q=1 body="), std::string::npos) << out.substr(0, 300);
}

TEST_F(ServerTest, ChunkedBodyIsDechunked) {
  StartServer();
  std::string out = Exchange(
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_NE(out.find("body=abcde"), std::string::npos) << out;
}

TEST_F(ServerTest, HeadHasContentLengthButNoBody) {
  StartServer();
  std::string out = Exchange("HEAD /h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_NE(out.find("Content-Length: 16\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("HEAD /h"), std::string::npos);
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  config::HttpLimits limits;
  limits.max_header_bytes = 1024;
  StartServer(limits);
  std::string out = Exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') +
                             "\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 431 ", 0), 0u) << out;
}

TEST_F(ServerTest, TooManyHeadersGets431) {
  config::HttpLimits limits;
  limits.max_header_count = 5;
  StartServer(limits);
  std::string req = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 10; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Exchange(req + "\r\n").rfind("HTTP/1.1 431 ", 0), 0u);
}

TEST_F(ServerTest, OversizedBodyGets413) {
  config::HttpLimits limits;
  limits.max_body_bytes = 10;
  StartServer(limits);
  std::string out = Exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n01234567890");
  EXPECT_EQ(out.rfind("HTTP/1.1 413 ", 0), 0u) << out;
}

TEST_F(ServerTest, SmugglingAttemptsGet400AndClose) {
  StartServer();
  const char* cases[] = {
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
  };
  for (const char* c : cases) {
    std::string out = Exchange(std::string(c) + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 400 ", 0), 0u) << c << "\n" << out;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << c;
    EXPECT_EQ(out.find("GET /next"), std::string::npos) << "served after a framing error: " << c;
  }
}

TEST_F(ServerTest, ExpectContinueGets100BeforeTheBody) {
  StartServer();
  int fd = Connect();
  std::string head = "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_GT(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), 0);
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_GT(::send(fd, "ok", 2, MSG_NOSIGNAL), 0);
  n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, static_cast<size_t>(n)).find("body=ok"), std::string::npos);
  ::close(fd);
}

TEST_F(ServerTest, IncompleteHeaderTimesOutWith408) {
  config::HttpLimits limits;
  limits.header_timeout = std::chrono::milliseconds(200);
  StartServer(limits);
  std::string out = Exchange("GET / HTTP/1.1\r\nHost: h\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 408 ", 0), 0u) << out;
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedSilently) {
  config::HttpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(200);
  StartServer(limits);
  int fd = Connect();
  EXPECT_EQ(ReadAll(fd), "");
  ::close(fd);
}

TEST_F(ServerTest, ShutdownClosesIdleConnections) {
  StartServer();
  int fd = Connect();
  std::string req = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_GT(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), 0);
  char buf[512];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
  server_->BeginShutdown();
  EXPECT_TRUE(server_->WaitForConnections(std::chrono::steady_clock::now() +
                                          std::chrono::seconds(5)));
  EXPECT_EQ(ReadAll(fd), "");
  ::close(fd);
}

// Reads from `fd` until `needle` has arrived (or 5 s pass); returns everything read.
std::string ReadUntil(int fd, const std::string& needle, std::string sofar = {}) {
  char buf[4096];
  while (sofar.find(needle) == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    sofar.append(buf, static_cast<size_t>(n));
  }
  return sofar;
}

// Sends one keep-alive request on `fd` and checks its answer.
void ExpectServed(int fd, const std::string& path) {
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_GT(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), 0);
  std::string out = ReadUntil(fd, "body=");
  ASSERT_NE(out.find("GET " + path + " q="), std::string::npos) << out;
}

// Connections idle after a request are closed by the idle timeout: those waiting in a parked
// read (the first 64 of a loop) and those waiting for readability alike.
TEST_F(ServerTest, ConnectionsIdleAfterARequestAreClosedByTheIdleTimeout) {
  config::HttpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(300);
  StartServer(limits, /*threads=*/1);
  constexpr int kConnections = 80;
  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    fds.push_back(Connect());
    ExpectServed(fds.back(), "/once" + std::to_string(i));
  }
  auto start = std::chrono::steady_clock::now();
  for (int fd : fds) {
    EXPECT_EQ(ReadAll(fd), "");  // EOF, not a timeout of the 5 s receive limit
    ::close(fd);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// Idle keep-alive connections give their worker (and with it the dispatcher's Session) back to
// the loop: many connections served one at a time share one Session, and each is served again
// after idling, beyond the 64 that wait in a parked read too.
TEST_F(ServerTest, IdleConnectionsHoldNoSession) {
  StartServer({}, /*threads=*/1);
  constexpr int kConnections = 100;
  std::vector<int> fds;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kConnections; ++i) {
      if (round == 0) fds.push_back(Connect());
      ExpectServed(fds[i], "/r" + std::to_string(round) + "c" + std::to_string(i));
    }
  }
  EXPECT_EQ(dispatcher_.sessions_created.load(), 1);
  EXPECT_EQ(server_->open_connections(), static_cast<size_t>(kConnections));
  for (int fd : fds) ::close(fd);
}

bool WaitFor(const std::atomic<bool>& flag) {
  for (int i = 0; i < 500 && !flag.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return flag.load();
}

TEST_F(ServerTest, StreamedResponseIsChunkedAndWokenFromAnotherThread) {
  StartServer();
  int fd = Connect();
  std::string req = "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_GT(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), 0);
  std::string out = ReadUntil(fd, "first\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_EQ(out.find("Injected"), std::string::npos);
  EXPECT_NE(out.find("\r\n\r\n5\r\nfirst\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("ignored"), std::string::npos);
  std::function<void()> waker;
  {
    std::lock_guard lock(dispatcher_.probe.mu);
    waker = dispatcher_.probe.waker;
  }
  ASSERT_TRUE(waker);
  std::thread([waker] { waker(); waker(); }).join();  // coalesced: one or two wakes
  out = ReadUntil(fd, "woken\r\n", out);
  EXPECT_NE(out.find("5\r\nwoken\r\n"), std::string::npos) << out;
  out = ReadUntil(fd, "tick\r\n", out);
  EXPECT_TRUE(dispatcher_.probe.saw_timeout.load());
  ::close(fd);  // the server notices the client leaving while it waits
  EXPECT_TRUE(WaitFor(dispatcher_.probe.saw_closed));
  EXPECT_TRUE(server_->WaitForConnections(std::chrono::steady_clock::now() +
                                          std::chrono::seconds(5)));
  waker();  // after the stream and its connection ended: a no-op
}

TEST_F(ServerTest, ShutdownEndsAnOpenStreamWithTheLastChunk) {
  StartServer();
  int fd = Connect();
  std::string req = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /stream HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_GT(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), 0);
  std::string out = ReadUntil(fd, "first\r\n");
  EXPECT_NE(out.find("GET /1"), std::string::npos) << "the pipelined answer goes first: " << out;
  server_->BeginShutdown();
  EXPECT_TRUE(server_->WaitForConnections(std::chrono::steady_clock::now() +
                                          std::chrono::seconds(5)));
  out += ReadAll(fd);
  EXPECT_TRUE(dispatcher_.probe.saw_closed.load()) << out;
  EXPECT_EQ(out.substr(out.size() - 5), "0\r\n\r\n") << out;
  ::close(fd);
}

TEST_F(ServerTest, StreamToAnHttp10ClientIsDelimitedByTheClose) {
  StartServer();
  int fd = Connect();
  std::string req = "GET /stream HTTP/1.0\r\n\r\n";
  ASSERT_GT(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), 0);
  std::string out = ReadUntil(fd, "tick");
  EXPECT_EQ(out.find("chunked"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nfirst"), std::string::npos) << out;
  ::close(fd);
}

// A server stopped before its connections closed (the shutdown's wait ran out) is destroyed
// with a connection in each state: idle between requests, waiting for the rest of a request in
// a coroutine, and streaming. Their destructors run while the loop's io_context is destroyed
// and reach the loop's connection set, which Loop therefore declares before the io_context.
TEST_F(ServerTest, AServerDestroyedWithConnectionsStillOpenClosesThem) {
  StartServer(config::HttpLimits{}, /*threads=*/1);
  int idle = Connect();
  ExpectServed(idle, "/idle");
  int partial = Connect();
  const std::string head = "GET /partial HTTP/1.1\r\nHost: h\r\n";  // no blank line yet
  ASSERT_GT(::send(partial, head.data(), head.size(), MSG_NOSIGNAL), 0);
  int stream = Connect();
  const std::string req = "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_GT(::send(stream, req.data(), req.size(), MSG_NOSIGNAL), 0);
  ReadUntil(stream, "first\r\n");
  for (int i = 0; i < 500 && server_->open_connections() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server_->open_connections(), 3u);
  server_->Stop();
  server_.reset();
  for (int fd : {idle, partial, stream}) {
    ReadAll(fd);  // returns once the server's side is closed: recv gives 0 or an error
    char byte;
    EXPECT_LE(::recv(fd, &byte, 1, 0), 0) << "fd " << fd << " is still open";
    ::close(fd);
  }
}

}  // namespace
}  // namespace edgegate::http
