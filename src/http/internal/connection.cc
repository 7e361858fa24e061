// Connection state machine: parse → serve → write, with header/idle/body timeouts.
#include "http/internal/connection.h"

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <charconv>

#include "base/log.h"

namespace edgegate::http::internal {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunk = BufferPool::kBufferSize;
constexpr size_t kFlushThreshold = 64 * 1024;  // pipelined responses buffered before a write

void AppendNumber(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out.append(buf, end);
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

Connection::Connection(asio::ip::tcp::socket socket, Loop& loop)
    : loop_(loop),
      session_(loop.dispatcher.NewSession()),
      socket_(std::move(socket)),
      timer_(loop.ioc) {
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

void Connection::Run(asio::yield_context yield) {
  Coroutine co{yield};
  deadline_ = Clock::now() + loop_.options.limits.idle_timeout;
  ArmTimer();
  bool open = true;
  while (open && WaitAndRead(yield)) {
    bool output_full = false;
    do {  // a full output buffer pauses serving; the requests still buffered come after it
      output_full = ServeBuffered(co);
      open = Flush(yield) && !closing_;
    } while (open && output_full);
  }
  error_code ec;
  timer_.cancel();
  in_.Release(loop_.buffers);
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
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

// Serves every complete request in the input buffer, appending responses to out_. Stops when
// more bytes are needed, when the connection must close, or when enough output is queued (then
// returns true: the caller flushes and calls again before reading).
bool Connection::ServeBuffered(Coroutine& co) {
  while (!closing_ && in_.size() > 0 && out_.size() < kFlushThreshold) {
    if (!parser_) {
      parser_.emplace(parsed_, loop_.options.limits.max_header_bytes,
                      loop_.options.limits.max_header_count, loop_.options.limits.max_body_bytes);
      sent_continue_ = false;
    }
    error_code ec;
    std::string_view data = in_.data();
    size_t used = parser_->put(asio::buffer(data.data(), data.size()), ec);
    in_.Consume(used);
    if (ec == boost::beast::http::error::need_more) {
      break;
    }
    if (ec) {
      AppendError(StatusForParseError(ec), ec.message());
      return false;
    }
    if (parser_->is_done()) {
      ServeOne(co);
      continue;
    }
    if (used == 0) {
      break;
    }
  }
  if (!closing_ && parser_ && parser_->is_header_done() && !parser_->is_done() &&
      parsed_.expect_continue && !sent_continue_) {
    out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    sent_continue_ = true;
  }
  return !closing_ && in_.size() > 0 && out_.size() >= kFlushThreshold;
}

void Connection::ServeOne(Coroutine& co) {
  Request request;
  request.method = parsed_.method;
  request.target = parsed_.target;
  size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  request.query = q == std::string_view::npos ? std::string_view() : request.target.substr(q + 1);
  request.host = parsed_.host;
  request.headers = parsed_.headers;
  request.body = parsed_.body;
  request.client_ip = client_ip_;
  request.version = parsed_.version;
  request.coroutine = &co;
  request.stream = this;
  co_ = &co;
  bool keep_alive = parser_->keep_alive();
  phase_ = Phase::kBusy;
  response_.Clear();
  session_->Serve(request, response_);
  if (streaming_) {
    return EndStream();
  }
  bool close = !keep_alive || loop_.stopping.load(std::memory_order_relaxed);
  AppendResponse(response_, request.method == "HEAD", close);
  if (close) {
    closing_ = true;
  }
  parser_.reset();
}

void Connection::AppendResponse(const Response& response, bool head, bool close) {
  int status = response.status();
  out_.append("HTTP/1.1 ");
  AppendNumber(out_, static_cast<uint64_t>(status));
  out_.push_back(' ');
  out_.append(ReasonPhrase(status));
  out_.append("\r\n");
  out_.append(loop_.date.Line());
  if (BodyAllowed(status)) {
    out_.append("Content-Length: ");
    AppendNumber(out_, response.body().size());
    out_.append("\r\n");
  }
  if (close) {
    out_.append("Connection: close\r\n");
  } else if (parsed_.version == 10) {
    out_.append("Connection: keep-alive\r\n");
  }
  out_.append(response.header_block());
  out_.append("\r\n");
  if (!head && BodyAllowed(status)) {
    out_.append(response.body());
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
  parser_.reset();
}

bool Connection::Flush(asio::yield_context& yield) {
  if (out_.empty()) {
    return true;
  }
  error_code ec;
  size_t written = socket_.write_some(asio::buffer(out_), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    written = 0;
    ec = {};
  }
  if (!ec && written < out_.size()) {
    SetDeadline(Clock::now() + loop_.options.limits.idle_timeout);
    asio::async_write(socket_, asio::buffer(out_.data() + written, out_.size() - written),
                      yield[ec]);
  }
  out_.clear();
  return !ec;
}

void Connection::EnterReadPhase() {
  Phase next = Phase::kIdle;
  if (parser_ && parser_->is_header_done()) {
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

// Waits for and reads more bytes. False when the connection must close (EOF, error, timeout,
// shutdown); a request left incomplete by a timeout is answered 408 first.
bool Connection::WaitAndRead(asio::yield_context& yield) {
  if (closing_ || (loop_.stopping.load(std::memory_order_relaxed) && in_.size() == 0)) {
    return false;
  }
  EnterReadPhase();
  if (parser_ && parser_->got_some()) {
    parsed_.Detach();  // Prepare or Release may move the bytes the views point into
  }
  for (;;) {
    error_code ec;
    size_t n = socket_.read_some(in_.Prepare(kReadChunk, loop_.buffers), ec);
    if (!ec) {
      in_.Commit(n);
      return true;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      return false;
    }
    if (in_.size() == 0) {
      in_.Release(loop_.buffers);  // waiting with nothing buffered: hold no buffer meanwhile
    }
    socket_.async_wait(asio::ip::tcp::socket::wait_read, yield[ec]);
    if (!ec) {
      continue;
    }
    if (timed_out_ && (phase_ == Phase::kHeader || phase_ == Phase::kBody)) {
      AppendError(408, "request timeout");
      timed_out_ = false;
      Flush(yield);
    }
    return false;
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
