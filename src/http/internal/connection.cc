// Connection state machine: parse → serve → write, with header/idle/body timeouts.
#include "http/internal/connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <charconv>
#include <cstring>

#include "base/log.h"

namespace edgegate::http::internal {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunk = BufferPool::kBufferSize;
constexpr size_t kFlushThreshold = 64 * 1024;  // pipelined responses buffered before a write
constexpr size_t kMaxParkedReads = 64;          // per loop; see AwaitRequest

// Formats `n` into `buf` and returns the digits.
std::string_view FormatNumber(char (&buf)[24], uint64_t n) {
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  return {buf, static_cast<size_t>(end - buf)};
}

bool BodyAllowed(int status) { return status >= 200 && status != 204 && status != 304; }

}  // namespace

void InputBuffer::Consume(size_t n) {
  begin_ += n;
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
}

asio::mutable_buffer InputBuffer::Prepare(size_t min_free, BufferPool& pool) {
  if (!buf_) {
    buf_ = pool.Take();
    capacity_ = BufferPool::kBufferSize;
  }
  if (capacity_ - end_ < min_free) {
    if (begin_ > 0) {
      std::copy(buf_.get() + begin_, buf_.get() + end_, buf_.get());
      end_ -= begin_;
      begin_ = 0;
    }
    if (capacity_ - end_ < min_free) {
      size_t grown = std::max(capacity_ * 2, end_ + min_free);
      std::unique_ptr<char[]> bigger(new char[grown]);
      std::copy(buf_.get(), buf_.get() + end_, bigger.get());
      buf_ = std::move(bigger);
      capacity_ = grown;
    }
  }
  return asio::buffer(buf_.get() + end_, capacity_ - end_);
}

void InputBuffer::Release(BufferPool& pool) {
  if (buf_ && capacity_ == BufferPool::kBufferSize) {
    pool.Give(std::move(buf_));
  }
  buf_.reset();
  capacity_ = 0;
  begin_ = end_ = 0;
}

Connection::Connection(Socket socket, Loop& loop)
    : loop_(loop), socket_(std::move(socket)), timer_(loop.ioc.get_executor()) {
  error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    client_ip_ = remote.address().to_string();
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  loop_.connections.insert(this);
  loop_.open_connections.fetch_add(1);
}

Connection::~Connection() {
  loop_.connections.erase(this);
  loop_.open_connections.fetch_sub(1);
}

void Connection::Start() {
  deadline_ = Clock::now() + loop_.options.limits.idle_timeout;
  ArmTimer();
  AwaitRequest();
}

// Idle: waits for the first bytes of the next request holding no coroutine or worker. The idle
// timeout (OnTimer) and shutdown (CloseIfIdle) cancel the wait.
//
// Up to kMaxParkedReads connections of a loop wait in a read with a pooled buffer (Park): a
// pending read needs no epoll_ctl, since Asio's reactor keeps the socket's edge state. Beyond
// that, a connection waits for readability without a buffer, which costs Asio an epoll_ctl per
// wait and us a recv after it; 10,000 idle connections thus hold 64 buffers per loop, not 10,000.
void Connection::AwaitRequest() {
  phase_ = Phase::kIdle;
  in_.Release(loop_.buffers);  // nothing is buffered; drops a buffer grown by a large request
  if (loop_.parked_reads < kMaxParkedReads) {
    ++loop_.parked_reads;
    asio::post(loop_.ioc, [self = shared_from_this()] { self->Park(); });
    return;
  }
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    self->OnRequestBytes(ec);
  });
}

// The parked read. Asio tries it at once (one recv) before waiting for the reactor; started
// after the loop has served the rest of its ready connections, that recv often finds the
// client's next request already there under load instead of failing.
void Connection::Park() {
  if (timed_out_ || MustStop()) {
    --loop_.parked_reads;  // shut down or timed out before the read began
    return Close();
  }
  socket_.async_read_some(
      in_.Prepare(kReadChunk, loop_.buffers),
      [self = shared_from_this()](const error_code& ec, size_t n) {
        --self->loop_.parked_reads;
        if (!ec) {
          self->in_.Commit(n);
        }
        self->OnRequestBytes(ec);
      });
}

// The end of an idle wait: serve what arrived, or close on EOF, reset, idle timeout (the timer
// cancels the wait) or shutdown. Woken by readability (no parked read), read first.
void Connection::OnRequestBytes(const error_code& ec) {
  if (ec || MustStop()) {
    return Close();
  }
  if (in_.size() == 0) {
    error_code read_ec;
    const size_t n = socket_.read_some(in_.Prepare(kReadChunk, loop_.buffers), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
      return AwaitRequest();  // nothing after all; gives the buffer back
    }
    if (read_ec) {
      return Close();  // EOF or reset
    }
    in_.Commit(n);
  }
  ServeInline();
}

bool Connection::MustStop() const {
  return closing_ || loop_.stopping.load(std::memory_order_relaxed);
}

// Serves the burst that arrived on the loop's stack, without a coroutine: its requests, then one
// write of their responses, then back to the idle wait. Anything that would have to wait (a
// request whose Session needs a coroutine, output the socket does not take at once, a message
// not complete yet, a full output buffer) is left to a coroutine, which goes on from here with
// this Worker: Serve serves what is pending, writes what is queued and reads what is missing.
void Connection::ServeInline() {
  work_ = loop_.workers.Take(loop_.dispatcher);
  Worker& w = *work_;
  if (!ServeBuffered(nullptr) && !HasPendingRequest()) {
    const WriteResult written = WriteNow();
    if (written == WriteResult::kFailed) {
      loop_.workers.Give(std::move(work_));
      return Close();
    }
    if (written == WriteResult::kDone) {
      if (closing_) {
        loop_.workers.Give(std::move(work_));
        return Close();
      }
      if (in_.size() == 0 && !(w.parser && w.parser->got_some())) {
        EnterReadPhase();
        loop_.workers.Give(std::move(work_));
        return AwaitRequest();
      }
    }
  }
  Spawn();
}

void Connection::Spawn() {
  asio::spawn(
      loop_.ioc, std::allocator_arg, PooledStack(loop_.stacks),
      [self = shared_from_this()](asio::yield_context yield) { self->Serve(yield); },
      [](std::exception_ptr e) {
        if (e) {
          base::Log(base::LogLevel::kError, "connection coroutine ended with an exception");
        }
      });
}

// The coroutine of one burst of requests: returns when the connection is idle again (and then
// waits for the next one without a coroutine) or must close. Spawned by ServeInline, it holds
// the Worker already, and may find a request pending, output queued or a message begun.
void Connection::Serve(asio::yield_context yield) {
  Coroutine co{yield};
  if (!work_) {
    work_ = loop_.workers.Take(loop_.dispatcher);
  }
  bool open = true;
  // Handed over by ServeInline or woken by a parked read, there is work here; woken by
  // readability, read first.
  const bool work_here = in_.size() > 0 || HasPendingRequest() || !work_->out.empty();
  ReadResult read = work_here ? ReadResult::kData : ReadMore(yield, /*after_serving=*/false);
  while (open && read == ReadResult::kData) {
    bool output_full = false;
    do {  // a full output buffer pauses serving; the requests still buffered come after it
      output_full = ServeBuffered(&co);
      open = Flush(yield) && !closing_;
    } while (open && output_full);
    if (open) {
      read = ReadMore(yield, /*after_serving=*/true);
    }
  }
  co_ = nullptr;
  loop_.workers.Give(std::move(work_));
  if (open && read == ReadResult::kIdle) {
    return AwaitRequest();
  }
  Close();
}

void Connection::Close() {
  error_code ec;
  timer_.cancel();
  in_.Release(loop_.buffers);
  socket_.shutdown(Socket::shutdown_send, ec);
  socket_.close(ec);
}

void Connection::CloseIfIdle() {
  if (phase_ == Phase::kIdle) {
    closing_ = true;
    error_code ec;
    socket_.cancel(ec);
  } else if (phase_ == Phase::kStreaming && stream_timer_) {
    stream_timer_->cancel();  // Wait sees the server stopping and ends the stream
  }
}

// Serves every complete request in the input buffer (first the pending one, if any), appending
// responses to the output. Stops when more bytes are needed, when the connection must close, when
// a request needs a coroutine and `co` is null (it stays pending), or when enough output is
// queued (then returns true: the caller flushes and calls again before reading).
bool Connection::ServeBuffered(Coroutine* co) {
  Worker& w = *work_;
  while (!closing_) {
    if (HasPendingRequest()) {
      if (!ServeOne(co)) {
        return false;
      }
      continue;
    }
    if (in_.size() == 0 || w.out.size() >= kFlushThreshold) {
      break;
    }
    if (!w.parser) {
      w.parser.emplace(w.parsed, loop_.options.limits.max_header_bytes,
                      loop_.options.limits.max_header_count, loop_.options.limits.max_body_bytes);
      sent_continue_ = false;
    }
    error_code ec;
    std::string_view data = in_.data();
    size_t used = w.parser->put(asio::buffer(data.data(), data.size()), ec);
    in_.Consume(used);
    if (ec == boost::beast::http::error::need_more) {
      break;
    }
    if (ec) {
      AppendError(StatusForParseError(ec), ec.message());
      return false;
    }
    if (w.parser->is_done()) {
      continue;  // served at the top of the loop
    }
    if (used == 0) {
      break;
    }
  }
  if (!closing_ && w.parser && w.parser->is_header_done() && !w.parser->is_done() &&
      w.parsed.expect_continue && !sent_continue_) {
    w.out.append("HTTP/1.1 100 Continue\r\n\r\n");
    sent_continue_ = true;
  }
  return !closing_ && in_.size() > 0 && w.out.size() >= kFlushThreshold;
}

bool Connection::HasPendingRequest() const {
  return work_->parser && work_->parser->is_done();
}

// Serves the parsed request; false if its Session needs a coroutine and `co` is null (nothing
// was done: the request stays pending).
bool Connection::ServeOne(Coroutine* co) {
  Worker& w = *work_;
  Request request;
  request.method = w.parsed.method;
  request.target = w.parsed.target;
  size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  request.query = q == std::string_view::npos ? std::string_view() : request.target.substr(q + 1);
  request.host = w.parsed.host;
  request.headers = w.parsed.headers;
  request.body = w.parsed.body;
  request.client_ip = client_ip_;
  request.version = w.parsed.version;
  request.coroutine = co;
  request.stream = this;
  co_ = co;
  bool keep_alive = w.parser->keep_alive();
  phase_ = Phase::kBusy;
  w.response.Clear();
  if (w.session->Serve(request, w.response) == Served::kNeedsCoroutine) {
    return false;
  }
  if (streaming_) {
    EndStream();
    return true;
  }
  bool close = !keep_alive || loop_.stopping.load(std::memory_order_relaxed);
  AppendResponse(w.response, request.method == "HEAD", close);
  if (close) {
    closing_ = true;
  }
  w.parser.reset();
  return true;
}

// The head is assembled with one resize and plain copies: it is written for every response.
void Connection::AppendResponse(const Response& response, bool head, bool close) {
  using namespace std::string_view_literals;
  const int status = response.status();
  const bool body_allowed = BodyAllowed(status);
  const std::string& body = response.body();
  char status_digits[24];
  char length_digits[24];
  const std::string_view status_text = FormatNumber(status_digits, static_cast<uint64_t>(status));
  const std::string_view length_text = body_allowed ? FormatNumber(length_digits, body.size())
                                                    : std::string_view();
  const std::string_view connection = close ? "Connection: close\r\n"sv
                                      : work_->parsed.version == 10
                                          ? "Connection: keep-alive\r\n"sv
                                          : std::string_view();
  const std::string_view pieces[] = {
      "HTTP/1.1 "sv,
      status_text,
      " "sv,
      ReasonPhrase(status),
      "\r\n"sv,
      loop_.date.Line(),
      body_allowed ? "Content-Length: "sv : std::string_view(),
      length_text,
      body_allowed ? "\r\n"sv : std::string_view(),
      connection,
      response.header_block(),
      "\r\n"sv,
      !head && body_allowed ? std::string_view(body) : std::string_view(),
  };
  size_t total = 0;
  for (std::string_view piece : pieces) {
    total += piece.size();
  }
  std::string& out = work_->out;
  size_t at = out.size();
  out.resize(at + total);
  char* p = out.data() + at;
  for (std::string_view piece : pieces) {
    std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  }
}

void Connection::AppendError(int status, std::string_view message) {
  Response error;
  std::string json = "{\"error\":\"";
  for (char c : message) {
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) json.push_back(c);
  }
  json += "\"}";
  error.SetJson(status, json);
  AppendResponse(error, false, true);
  closing_ = true;
  work_->parser.reset();
}

// Writes as much of the output as the socket takes now; what it does not take stays queued
// (after out_sent_ bytes already written: a large response is not moved to the front).
Connection::WriteResult Connection::WriteNow() {
  std::string& out = work_->out;
  if (out.size() == out_sent_) {
    out.clear();
    out_sent_ = 0;
    return WriteResult::kDone;
  }
  error_code ec;
  const size_t written =
      socket_.write_some(asio::buffer(out.data() + out_sent_, out.size() - out_sent_), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    return WriteResult::kPartial;
  }
  if (!ec && out_sent_ + written < out.size()) {
    out_sent_ += written;
    return WriteResult::kPartial;
  }
  out.clear();
  out_sent_ = 0;
  return ec ? WriteResult::kFailed : WriteResult::kDone;
}

bool Connection::Flush(asio::yield_context& yield) {
  const WriteResult written = WriteNow();
  if (written != WriteResult::kPartial) {
    return written == WriteResult::kDone;
  }
  std::string& out = work_->out;
  SetDeadline(Clock::now() + loop_.options.limits.idle_timeout);
  error_code ec;
  asio::async_write(socket_, asio::buffer(out.data() + out_sent_, out.size() - out_sent_),
                    yield[ec]);
  out.clear();
  out_sent_ = 0;
  return !ec;
}

void Connection::EnterReadPhase() {
  Phase next = Phase::kIdle;
  if (work_->parser && work_->parser->is_header_done()) {
    next = Phase::kBody;
  } else if (in_.size() > 0) {
    next = Phase::kHeader;
  }
  auto now = Clock::now();
  const config::HttpLimits& limits = loop_.options.limits;
  if (next == Phase::kIdle) {
    SetDeadline(now + limits.idle_timeout);
  } else if (next == Phase::kBody) {
    SetDeadline(now + limits.body_timeout);
  } else if (phase_ != Phase::kHeader) {
    SetDeadline(now + limits.header_timeout);  // from the first byte, not per read: slowloris
  }
  phase_ = next;
}

// Reads more bytes: kData when some arrived; kIdle when none are buffered and no message is
// begun (the caller waits for the next request without its coroutine); kClosed when the
// connection must close (EOF, error, timeout, shutdown). A request left incomplete by a timeout
// is answered 408 first. `after_serving`: between requests, report kIdle without trying a
// read, since the parked read of AwaitRequest reads only when the reactor saw new data (a recv
// here would nearly always find none: the client is still reading our response).
Connection::ReadResult Connection::ReadMore(asio::yield_context& yield, bool after_serving) {
  if (closing_ || (loop_.stopping.load(std::memory_order_relaxed) && in_.size() == 0)) {
    return ReadResult::kClosed;
  }
  EnterReadPhase();
  std::optional<RequestParser>& parser = work_->parser;
  const bool begun = parser && parser->got_some();
  if (begun) {
    work_->parsed.Detach();  // Prepare or Release may move the bytes the views point into
  }
  if (after_serving && !begun && in_.size() == 0) {
    return ReadResult::kIdle;
  }
  for (;;) {
    error_code ec;
    size_t n = socket_.read_some(in_.Prepare(kReadChunk, loop_.buffers), ec);
    if (!ec) {
      in_.Commit(n);
      return ReadResult::kData;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      return ReadResult::kClosed;
    }
    if (in_.size() == 0) {
      in_.Release(loop_.buffers);  // waiting with nothing buffered: hold no buffer meanwhile
      if (!begun) {
        return ReadResult::kIdle;
      }
    }
    socket_.async_wait(Socket::wait_read, yield[ec]);
    if (!ec) {
      continue;
    }
    if (timed_out_ && (phase_ == Phase::kHeader || phase_ == Phase::kBody)) {
      AppendError(408, "request timeout");
      timed_out_ = false;
      Flush(yield);
    }
    return ReadResult::kClosed;
  }
}

void Connection::SetDeadline(Clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline < armed_at_) {
    ArmTimer();  // expires_at cancels the pending wait, whose handler then does nothing
  }
}

void Connection::ArmTimer() {
  armed_at_ = deadline_;
  timer_.expires_at(deadline_);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) {
      self->OnTimer();
    }
  });
}

void Connection::OnTimer() {
  if (!socket_.is_open()) {
    return;
  }
  auto now = Clock::now();
  if (phase_ == Phase::kBusy || (phase_ == Phase::kStreaming && !stream_writing_)) {
    deadline_ = now + loop_.options.limits.idle_timeout;  // a handler runs: nothing to cut
  }
  if (now < deadline_) {
    ArmTimer();
    return;
  }
  timed_out_ = true;
  error_code ec;
  socket_.cancel(ec);
}

}  // namespace edgegate::http::internal
