// What a connection holds only while it is serving: a coroutine stack and a Worker (the parser,
// the response, the output buffer and the dispatcher's Session). Between requests a keep-alive
// connection gives both back to its loop and waits without a coroutine, so ten thousand idle
// connections hold ten thousand sockets and timers, not ten thousand stacks.
// Both pools are loop-affine and bounded: memory beyond kMaxPooled is freed.
#pragma once

#include <boost/context/protected_fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/dispatcher.h"
#include "http/request_parser.h"
#include "http/response.h"

namespace edgegate::http::internal {

// The per-request state of a serving connection, reused by the connections of one loop.
struct Worker {
  std::unique_ptr<Session> session;
  std::string out;                       // responses not written yet
  ParsedRequest parsed;
  std::optional<RequestParser> parser;   // the message being parsed
  Response response;
};

class WorkerPool {
 public:
  static constexpr size_t kMaxPooled = 64;
  // A worker with a session of `dispatcher`, reused when one is free.
  std::unique_ptr<Worker> Take(Dispatcher& dispatcher) {
    if (free_.empty()) {
      auto worker = std::make_unique<Worker>();
      worker->session = dispatcher.NewSession();
      return worker;
    }
    std::unique_ptr<Worker> worker = std::move(free_.back());
    free_.pop_back();
    return worker;
  }
  // Takes back a worker, resetting its parser. Large buffers are dropped first, so a pooled
  // worker holds no more than a few KiB whatever it served last.
  void Give(std::unique_ptr<Worker> worker) {
    if (free_.size() >= kMaxPooled) {
      return;
    }
    worker->parser.reset();
    if (worker->out.capacity() > kMaxKeptBytes) worker->out = std::string();
    if (worker->parsed.body.capacity() > kMaxKeptBytes) worker->parsed.body = std::string();
    if (worker->parsed.arena.capacity() > kMaxKeptBytes) worker->parsed.arena = std::string();
    if (worker->response.body().capacity() > kMaxKeptBytes) worker->response = Response();
    free_.push_back(std::move(worker));
  }

 private:
  static constexpr size_t kMaxKeptBytes = 16 * 1024;
  std::vector<std::unique_ptr<Worker>> free_;
};

// Coroutine stacks (each with a guard page below it), reused instead of mapped and unmapped per
// burst of requests.
class StackPool {
 public:
  static constexpr size_t kMaxPooled = 64;
  explicit StackPool(size_t stack_bytes) : allocator_(stack_bytes) {}
  ~StackPool() {
    for (boost::context::stack_context& stack : free_) {
      allocator_.deallocate(stack);
    }
  }
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context Take() {
    if (free_.empty()) {
      return allocator_.allocate();
    }
    boost::context::stack_context stack = free_.back();
    free_.pop_back();
    return stack;
  }
  void Give(boost::context::stack_context& stack) {
    if (free_.size() < kMaxPooled) {
      free_.push_back(stack);
    } else {
      allocator_.deallocate(stack);
    }
  }

 private:
  boost::context::protected_fixedsize_stack allocator_;
  std::vector<boost::context::stack_context> free_;
};

// The StackAllocator (Boost.Context concept) that asio::spawn gets: draws from a StackPool, which
// must outlive every coroutine it served.
class PooledStack {
 public:
  explicit PooledStack(StackPool& pool) : pool_(&pool) {}
  boost::context::stack_context allocate() { return pool_->Take(); }
  void deallocate(boost::context::stack_context& stack) { pool_->Give(stack); }

 private:
  StackPool* pool_;
};

}  // namespace edgegate::http::internal
