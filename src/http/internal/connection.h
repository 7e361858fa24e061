// One client connection: reads into its own buffer, parses with RequestParser, serves every
// complete (possibly pipelined) request in order and writes all their responses with one write.
// Timeouts use a single lazily re-armed timer per connection: moving a deadline is a store to a
// field, not a timer operation, so the per-request cost stays in user space.
// Loop-affine: created, run and destroyed on its loop.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/coroutine.h"
#include "http/internal/loop.h"
#include "http/request_parser.h"
#include "http/response.h"

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

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, Loop& loop);
  ~Connection();

  // The connection's coroutine body; returns when the connection is closed.
  void Run(boost::asio::yield_context yield);
  // Closes the connection if it is waiting for a new request (shutdown). Loop-affine.
  void CloseIfIdle();

 private:
  enum class Phase { kIdle, kHeader, kBody, kBusy };
  using Clock = std::chrono::steady_clock;

  bool ServeBuffered(Coroutine& co);
  void ServeOne(Coroutine& co);
  void AppendResponse(const Response& response, bool head, bool close);
  void AppendError(int status, std::string_view message);
  bool Flush(boost::asio::yield_context& yield);
  bool WaitAndRead(boost::asio::yield_context& yield);
  void EnterReadPhase();
  void SetDeadline(Clock::time_point deadline);
  void ArmTimer();
  void OnTimer();

  // Immutable after construction.
  Loop& loop_;
  std::unique_ptr<Session> session_;
  std::string client_ip_;
  // Loop-affine.
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  Phase phase_ = Phase::kIdle;
  Clock::time_point deadline_;     // when the current phase times out
  Clock::time_point armed_at_;     // when the timer will fire next (<= deadline_)
  bool timed_out_ = false;
  bool closing_ = false;           // no more requests: flush and close
  bool sent_continue_ = false;
  InputBuffer in_;
  std::string out_;
  ParsedRequest parsed_;
  std::optional<RequestParser> parser_;
  Response response_;
};

}  // namespace edgegate::http::internal
