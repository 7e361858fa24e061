// One client connection: reads into its own buffer, parses with RequestParser, serves every
// complete (possibly pipelined) request in order and writes all their responses with one write.
// Between requests (nothing buffered, no message begun) it holds no coroutine: it waits in a
// parked read (or, beyond 64 per loop, for readability; see AwaitRequest), then takes a pooled
// Worker (parser, response, output, Session) for the burst of requests that follows, and gives
// it back when it is idle again (worker.h). A burst is served on the loop's own stack as far as
// it goes without waiting (ServeInline); a request the Session must serve in a coroutine, a
// write the socket does not take at once, or a message still incomplete hands the burst over to
// a coroutine on a pooled stack (Spawn), which goes on from the same state.
// Timeouts use a single lazily re-armed timer per connection: moving a deadline is a store to a
// field, not a timer operation, so the per-request cost stays in user space.
// A connection is also the ResponseStream of its requests (connection_stream.cc): a Session
// may take over the writing of one response, after which the connection closes.
// Loop-affine: created, run and destroyed on its loop (except the stream's Waker).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/spawn.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/coroutine.h"
#include "http/internal/loop.h"
#include "http/request_parser.h"
#include "http/response.h"
#include "http/stream.h"

namespace edgegate::http::internal {

// A growable byte buffer with a read cursor, its memory taken from and returned to a BufferPool.
// Thread-compatible.
class InputBuffer {
 public:
  std::string_view data() const { return {buf_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  void Consume(size_t n);
  // Returns writable space of at least `min_free` bytes, compacting or growing (which moves the
  // bytes: callers must not hold views into data() across Prepare).
  boost::asio::mutable_buffer Prepare(size_t min_free, BufferPool& pool);
  void Commit(size_t n) { end_ += n; }
  // Gives the memory back to `pool`. REQUIRES: size() == 0.
  void Release(BufferPool& pool);

 private:
  std::unique_ptr<char[]> buf_;  // uninitialised bytes: only [begin_, end_) are meaningful
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

class Connection : public std::enable_shared_from_this<Connection>, public ResponseStream {
 public:
  Connection(Socket socket, Loop& loop);
  ~Connection() override;

  // Starts serving a freshly accepted connection; it keeps itself alive until it closes.
  void Start();
  // Closes the connection if it is waiting for a new request, and ends a streamed response
  // (shutdown). Loop-affine.
  void CloseIfIdle();

  // ResponseStream (connection_stream.cc).
  bool Begin(int status, std::span<const Header> headers) override;
  bool Write(std::string_view data) override;
  WaitResult Wait(std::chrono::milliseconds timeout) override;
  std::function<void()> Waker() override;

 private:
  enum class Phase { kIdle, kHeader, kBody, kBusy, kStreaming };
  enum class ReadResult { kData, kIdle, kClosed };
  using Clock = std::chrono::steady_clock;

  enum class WriteResult { kDone, kPartial, kFailed };

  void AwaitRequest();
  void Park();
  void OnRequestBytes(const boost::system::error_code& ec);
  bool MustStop() const;  // closing, or the server is shutting down
  void ServeInline();
  void Spawn();
  void Serve(boost::asio::yield_context yield);
  void Close();
  bool ServeBuffered(Coroutine* co);
  bool ServeOne(Coroutine* co);
  // A complete request is parsed but not served yet (its Session asked for a coroutine).
  bool HasPendingRequest() const;
  void AppendResponse(const Response& response, bool head, bool close);
  void AppendError(int status, std::string_view message);
  WriteResult WriteNow();
  bool Flush(boost::asio::yield_context& yield);
  ReadResult ReadMore(boost::asio::yield_context& yield, bool after_serving);
  void EnterReadPhase();
  void SetDeadline(Clock::time_point deadline);
  void ArmTimer();
  void OnTimer();
  // Streaming (connection_stream.cc).
  bool StreamMustEnd() const;
  bool WriteStream();
  void WatchPeer();
  void EndStream();

  // Immutable after construction.
  Loop& loop_;
  std::string client_ip_;
  // Loop-affine.
  Socket socket_;
  Timer timer_;
  Phase phase_ = Phase::kIdle;
  Clock::time_point deadline_;     // when the current phase times out
  Clock::time_point armed_at_;     // when the timer will fire next (<= deadline_)
  bool timed_out_ = false;
  bool closing_ = false;           // no more requests: flush and close
  bool sent_continue_ = false;
  InputBuffer in_;
  size_t out_sent_ = 0;  // bytes at the front of the Worker's output already written
  std::unique_ptr<Worker> work_;     // while a burst is served; null while idle
  // Loop-affine: the streamed response of the current request, if its Session began one.
  Coroutine* co_ = nullptr;          // the coroutine of the request being served, if it has one
  bool streaming_ = false;           // Begin was called: the Response is ignored
  bool chunked_ = false;             // stream framed with chunked transfer encoding
  bool stream_writing_ = false;      // a stream write is in progress (it may time out)
  bool watching_peer_ = false;       // an async_wait for EOF from the client is pending
  bool peer_gone_ = false;           // the client closed (or reset) during the stream
  std::unique_ptr<Timer> stream_timer_;  // Wait's timer, created by Begin
  std::shared_ptr<std::atomic<bool>> wake_pending_;  // set by Wakers (any thread)
};

}  // namespace edgegate::http::internal
