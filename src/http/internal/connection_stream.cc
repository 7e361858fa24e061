// The connection as a ResponseStream (see http/stream.h): Begin writes the head, Write one
// chunk, Wait suspends the request's coroutine on a timer that Wakers (posted to this loop),
// shutdown (CloseIfIdle) and the client's EOF (WatchPeer) cancel.
#include <boost/asio/write.hpp>
#include <charconv>

#include "http/internal/connection.h"

namespace edgegate::http::internal {
namespace asio = boost::asio;
using boost::system::error_code;

bool Connection::Begin(int status, std::span<const Header> headers) {
  if (co_ == nullptr) {
    return false;  // served on the loop's stack: a stream must wait, so it needs a coroutine
  }
  streaming_ = true;
  closing_ = true;
  phase_ = Phase::kStreaming;
  stream_timer_ = std::make_unique<Timer>(loop_.ioc.get_executor());
  wake_pending_ = std::make_shared<std::atomic<bool>>(false);
  bool head = work_->parsed.method == "HEAD";
  chunked_ = work_->parsed.version == 11 && !head;
  Response filtered;  // header hygiene as for any response
  filtered.Set(status, headers, {});
  std::string& out = work_->out;
  out.append("HTTP/1.1 ").append(std::to_string(filtered.status())).push_back(' ');
  out.append(ReasonPhrase(filtered.status())).append("\r\n");
  out.append(loop_.date.Line());
  if (chunked_) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  out.append("Connection: close\r\n").append(filtered.header_block()).append("\r\n");
  return WriteStream() && !head;
}

bool Connection::Write(std::string_view data) {
  if (!streaming_ || StreamMustEnd()) {
    return false;
  }
  if (data.empty()) {
    return true;
  }
  if (chunked_) {
    char size[20];
    auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
    (void)ec;
    work_->out.append(size, end).append("\r\n").append(data).append("\r\n");
  } else {
    work_->out.append(data);
  }
  return WriteStream();
}

// Writes the output buffer (suspending); a write that outlives the idle timeout is cut by OnTimer.
bool Connection::WriteStream() {
  stream_writing_ = true;
  bool ok = Flush(co_->yield);
  stream_writing_ = false;
  if (!ok) {
    peer_gone_ = true;
  }
  return ok && !StreamMustEnd();
}

ResponseStream::WaitResult Connection::Wait(std::chrono::milliseconds timeout) {
  if (!streaming_ || StreamMustEnd()) {
    return WaitResult::kClosed;
  }
  if (wake_pending_->exchange(false)) {
    return WaitResult::kWoken;
  }
  WatchPeer();
  // A Waker called from now on posts its cancel to this loop, which runs only once this
  // coroutine is suspended in async_wait: no wake is lost between the check and the wait.
  stream_timer_->expires_after(timeout);
  error_code ec;
  stream_timer_->async_wait(co_->yield[ec]);
  if (StreamMustEnd()) {
    return WaitResult::kClosed;
  }
  if (wake_pending_->exchange(false) || ec) {
    return WaitResult::kWoken;
  }
  return WaitResult::kTimeout;
}

std::function<void()> Connection::Waker() {
  if (!wake_pending_) {
    wake_pending_ = std::make_shared<std::atomic<bool>>(false);
  }
  return [pending = wake_pending_, guard = loop_.post_guard,
          weak = std::weak_ptr<Connection>(shared_from_this())] {
    if (pending->exchange(true)) {
      return;  // a wake is already on its way
    }
    guard->Post([weak] {
      if (auto self = weak.lock(); self && self->stream_timer_) {
        self->stream_timer_->cancel();
      }
    });
  };
}

bool Connection::StreamMustEnd() const {
  return peer_gone_ || timed_out_ || loop_.stopping.load(std::memory_order_relaxed) ||
         !socket_.is_open();
}

// Notices the client closing while the stream waits: a readable socket is either EOF (the client
// went away) or bytes the client should not send during a stream (discarded).
void Connection::WatchPeer() {
  if (watching_peer_ || peer_gone_) {
    return;
  }
  watching_peer_ = true;
  socket_.async_wait(Socket::wait_read,
                     [self = shared_from_this()](const error_code& ec) {
                       self->watching_peer_ = false;
                       if (ec || !self->streaming_) {
                         return;
                       }
                       char discard[512];
                       error_code read_ec;
                       self->socket_.read_some(asio::buffer(discard), read_ec);
                       if (read_ec && read_ec != asio::error::would_block &&
                           read_ec != asio::error::try_again) {
                         self->peer_gone_ = true;
                         self->stream_timer_->cancel();
                         return;
                       }
                       self->WatchPeer();
                     });
}

// After Serve returned from a streamed response: the last chunk, then the connection closes.
void Connection::EndStream() {
  if (chunked_ && !peer_gone_ && socket_.is_open()) {
    work_->out.append("0\r\n\r\n");
  }
  streaming_ = false;
  closing_ = true;
  work_->parser.reset();
}

}  // namespace edgegate::http::internal
