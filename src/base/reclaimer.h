// Reclaimer: drops references on a background thread, so that the last owner of something
// large (a route table of 10,000 routes takes about 0.8 ms to free, 100,000 about 8 ms) is never
// an I/O loop in the middle of serving.
//
// Retire never blocks: it pushes onto a lock-free list and wakes the thread with an atomic flag,
// without the thread's mutex (which a background thread may hold while it is not running). A
// wake-up lost in the moment before the thread waits delays the reclaim to its next period.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace edgegate::base {

// Thread-safe.
class Reclaimer {
 public:
  // `period`: how often the thread looks for work without being woken.
  explicit Reclaimer(std::chrono::milliseconds period = std::chrono::seconds(1));
  // Drops everything still retired, then stops the thread.
  ~Reclaimer();
  Reclaimer(const Reclaimer&) = delete;
  Reclaimer& operator=(const Reclaimer&) = delete;

  // Hands over one reference; the thread drops it soon (freeing the object if it was the last).
  // Lock-free apart from one small allocation.
  void Retire(std::shared_ptr<const void> reference);

 private:
  struct Node {
    std::shared_ptr<const void> reference;
    Node* next = nullptr;
  };

  void Run();
  // Drops every reference retired so far; returns how many.
  size_t DropAll();

  const std::chrono::milliseconds period_;
  std::atomic<Node*> retired_{nullptr};  // a stack: Retire pushes, DropAll takes it all
  std::atomic<bool> wake_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;  // last: runs on the fields above
};

}  // namespace edgegate::base
