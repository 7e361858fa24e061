// The actor of one activated service: it owns the service's connections (up to pool_size, one per
// worker thread), takes messages through a bounded inbox and answers each through the message's
// reply callback, which the caller uses to resume its coroutine on its own loop. Blocking client
// libraries therefore only ever run on the actor's threads.
//
// Backends whose calls never block (ServiceType::inline_calls, the memory cache) skip the inbox:
// CallInline runs them on the caller's thread, which is what makes them cost about 0.3–0.5 µs
// (the whole call from a handler, hot; bench 7a) instead of two thread hand-offs.
//
// Transactions: Submit with op "begin" pins one connection to a new transaction id (returned as
// {"tx": id}); messages carrying that id run on that connection; "commit"/"rollback" release it.
//
// Batches (ServiceType::max_batch > 1, backends that pipeline): a woken worker takes up to
// max_batch queued calls and runs them through Connection::CallBatch, and a message queued while
// a woken worker has yet to take its batch wakes no other worker. Under concurrency one wake-up
// and one round trip then serve several requests instead of one each; on these 2-core VMs the
// thread switches, not the backend, were most of a Redis call's cost. With
// ServiceType::batch_only_when_busy (PostgreSQL) every call wakes an idle worker if there is one,
// and a worker batches only the calls that no woken worker came for: calls share a connection
// only while every connection is busy.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "services/connection.h"
#include "telemetry/tick_clock.h"

namespace edgegate::services {

using Clock = std::chrono::steady_clock;

// One call. The reply runs exactly once, on an actor thread (or on the caller's thread for
// errors found at submission), unless the caller cancelled the message before it started.
struct Message {
  std::string op;
  boost::json::array args;
  int64_t tx = 0;  // 0 = any connection
  Clock::time_point deadline;
  Clock::time_point enqueued;  // set by Submit
  // Set by the caller when it gave up (timeout); the actor then skips the message.
  std::shared_ptr<std::atomic<bool>> cancelled;
  std::function<void(base::Result<boost::json::value>)> reply;
};

struct ActorOptions {
  int pool_size = 4;                                        // connections = worker threads
  size_t inbox_capacity = 1024;                             // queued messages beyond in-flight
  std::chrono::milliseconds call_timeout{5000};             // per call, enforced by the caller
  std::chrono::milliseconds reconnect_min{100};             // backoff after a failed connect...
  std::chrono::milliseconds reconnect_max{5000};            // ...doubling up to this
};

// Figures for metrics and the admin API. Latency in microseconds.
struct ActorStats {
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t timeouts = 0;  // counted by callers through CountTimeout
  uint64_t busy = 0;      // refused because the inbox was full
  uint64_t latency_us_sum = 0;
  std::vector<uint64_t> latency_buckets;  // counts per kLatencyBucketsUs bound, cumulative = no
  size_t inbox_depth = 0;
  int connections_open = 0;
  int connections_in_use = 0;
  int64_t open_transactions = 0;
  std::string last_error;  // the last connect/backend failure, "" if none
};
// Upper bounds (µs) of the latency histogram buckets; the last bucket is +Inf.
inline constexpr uint64_t kLatencyBucketsUs[] = {100,    250,    500,     1000,    2500,   5000,
                                                 10000,  25000,  50000,   100000,  250000, 500000,
                                                 1000000, 2500000, 5000000};

class Actor {
 public:
  Actor(const ServiceType& type, std::string service_name, boost::json::object config,
        ActorOptions options);
  ~Actor();  // Stop()s
  Actor(const Actor&) = delete;
  Actor& operator=(const Actor&) = delete;

  const ServiceType& type() const { return type_; }
  const std::string& name() const { return name_; }
  const ActorOptions& options() const { return options_; }
  bool inline_calls() const { return type_.inline_calls; }

  // Starts the worker threads (connections open lazily, on first use).
  void Start();
  // Queues `message` (kQueued), or refuses it because the inbox is full (kBusy: the caller may
  // retry after a short wait) or the actor is stopping (kStopping). The reply is not called when
  // the message is refused. Messages of an open transaction are always queued.
  enum class Admission { kQueued, kBusy, kStopping };
  Admission Submit(Message& message);
  // Runs `op` on the caller's thread (Connection::CallScalar). REQUIRES: inline_calls().
  base::Result<ScalarReply> CallInline(std::string_view op, std::span<const ArgView> args);
  void CountTimeout() { timeouts_.fetch_add(1, std::memory_order_relaxed); }

  // Stops taking messages, lets the queued and running ones finish (bounded by their deadlines:
  // a message whose deadline passed is answered DeadlineExceeded without running), rolls back
  // open transactions, closes connections and joins the threads. Idempotent.
  void Stop();
  ActorStats Stats() const;

 private:
  struct Worker;
  void Run(Worker& worker);
  // Picks the next runnable message for `worker` (caller holds mu_).
  bool TakeRunnable(Worker& worker, Message* out);
  // Adds queued batchable messages to `batch`, up to max_batch (caller holds mu_).
  void TakeBatch(std::vector<Message>& batch);
  // The worker to wake for `message` (caller holds mu_), or null if none needs waking.
  Worker* WorkerFor(const Message& message);
  // Wakes `worker` for the inbox's messages (caller holds mu_).
  void Wake(Worker& worker, const Message& message);
  // Runs one message and answers it (or drops it if cancelled). Called without mu_.
  void RunOne(Worker& worker, Message& message);
  // Runs a batch of batchable messages through CallBatch and answers each. Called without mu_.
  void RunBatch(Worker& worker, std::vector<Message>& batch);
  base::Result<boost::json::value> Execute(Worker& worker, Message& message);
  // Closes a connection found broken; the pool's other connections check theirs before use.
  void DropConnection(Worker& worker);
  // Transactions' own operations run one at a time (Execute checks them); the rest may batch.
  static bool Batchable(const Message& m) {
    return m.op != "begin" && m.op != "commit" && m.op != "rollback";
  }
  // Records `message`'s latency and outcome, and replies. Called without mu_.
  void Answer(Message& message, base::Result<boost::json::value> result);
  // Answers DeadlineExceeded if `message`'s deadline passed while it waited; true if it did.
  bool AnswerIfExpired(Message& message, Clock::time_point now);
  base::Status EnsureConnected(Worker& worker);
  void Record(Clock::duration latency, bool error, const base::Status& status);

  const ServiceType& type_;
  const std::string name_;
  const boost::json::object config_;
  const ActorOptions options_;
  // Times inline calls; TickClock::Shared(), so calibrated when the actor is made, not on the
  // first call (which runs on a loop).
  const telemetry::TickClock& clock_;

  mutable std::mutex mu_;
  std::deque<Message> inbox_;                     // guarded by mu_
  std::unordered_map<int64_t, Worker*> tx_owner_;  // tx id -> worker holding it; guarded by mu_
  int64_t next_tx_ = 1;                           // guarded by mu_
  bool stopping_ = false;                         // guarded by mu_
  bool started_ = false;                          // guarded by mu_
  int in_use_ = 0;                                // guarded by mu_
  int waking_ = 0;  // workers woken for a batch that have not taken it yet; guarded by mu_
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Connection> inline_connection_;  // inline_calls only; set once by Start
  std::atomic<bool> inline_stopped_{false};
  // Bumped whenever a call finds its connection broken; each worker then pings its own
  // connection once before its next call (EnsureConnected).
  std::atomic<uint64_t> broken_epoch_{0};

  // Figures.
  std::atomic<uint64_t> calls_{0}, errors_{0}, timeouts_{0}, busy_{0}, latency_sum_{0};
  std::atomic<uint64_t> buckets_[std::size(kLatencyBucketsUs) + 1] = {};
  std::atomic<int> open_{0};
  mutable std::mutex error_mu_;
  std::string last_error_;  // guarded by error_mu_
};

}  // namespace edgegate::services
