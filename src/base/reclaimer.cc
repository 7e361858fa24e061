// The reclaimer's thread: woken by Retire or by its period, it drops what was retired.
#include "base/reclaimer.h"

#include "base/thread_priority.h"

namespace edgegate::base {

Reclaimer::Reclaimer(std::chrono::milliseconds period)
    : period_(period), thread_([this] { Run(); }) {}

Reclaimer::~Reclaimer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  DropAll();  // anything retired after the thread's last round
}

void Reclaimer::Retire(std::shared_ptr<const void> reference) {
  Node* node = new Node{std::move(reference), retired_.load(std::memory_order_relaxed)};
  while (!retired_.compare_exchange_weak(node->next, node, std::memory_order_release,
                                         std::memory_order_relaxed)) {
  }
  if (!wake_.exchange(true)) {
    cv_.notify_one();
  }
}

size_t Reclaimer::DropAll() {
  Node* node = retired_.exchange(nullptr, std::memory_order_acquire);
  size_t dropped = 0;
  while (node != nullptr) {
    Node* next = node->next;
    delete node;  // drops the reference
    node = next;
    ++dropped;
  }
  return dropped;
}

void Reclaimer::Run() {
  MakeThisThreadBackground();  // freeing can wait for the loops
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period_, [this] { return stop_ || wake_.load(); });
    wake_.store(false);
    lock.unlock();
    DropAll();
    lock.lock();
  }
}

}  // namespace edgegate::base
