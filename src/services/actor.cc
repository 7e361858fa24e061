// Worker threads, inbox, transactions, reconnect backoff and figures of an actor.
#include "services/actor.h"

#include <algorithm>

#include "base/log.h"

namespace edgegate::services {

namespace json = boost::json;

struct Actor::Worker {
  std::thread thread;
  // Each worker sleeps on its own condition variable, so a message wakes one worker (the
  // transaction's owner, or one idle worker) instead of all of them. Guarded by mu_.
  std::condition_variable cv;
  bool idle = false;
  bool claimed = false;  // woken for the inbox, counted in waking_, not yet awake
  std::unique_ptr<Connection> connection;
  int64_t tx = 0;  // the transaction this worker's connection is in (guarded by mu_)
  uint64_t checked_epoch = 0;  // broken_epoch_ when this connection was last known good
  Clock::time_point next_attempt{};
  std::chrono::milliseconds backoff{0};
  std::string last_connect_error;
};

Actor::Actor(const ServiceType& type, std::string service_name, json::object config,
             ActorOptions options)
    : type_(type),
      name_(std::move(service_name)),
      config_(std::move(config)),
      options_(options),
      clock_(telemetry::TickClock::Shared()) {}

Actor::~Actor() { Stop(); }

void Actor::Start() {
  std::lock_guard lock(mu_);
  if (started_) {
    return;
  }
  started_ = true;
  if (type_.inline_calls) {
    // In-process backends connect at once; CallInline then reads the pointer without a lock.
    auto conn = type_.connect(config_);
    if (conn.ok()) {
      inline_connection_ = std::move(conn).value();
      open_.store(1);
    } else {
      std::lock_guard error_lock(error_mu_);
      last_error_ = conn.status().message();
    }
    return;
  }
  int n = std::max(1, options_.pool_size);
  for (int i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>());
  }
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread = std::thread([this, worker] { Run(*worker); });
  }
}

Actor::Admission Actor::Submit(Message& message) {
  message.enqueued = Clock::now();
  {
    std::lock_guard lock(mu_);
    bool continues_tx = message.tx != 0 && tx_owner_.contains(message.tx);
    if (stopping_ && !continues_tx) {
      return Admission::kStopping;
    }
    if (inbox_.size() >= options_.inbox_capacity && !continues_tx) {
      busy_.fetch_add(1, std::memory_order_relaxed);
      return Admission::kBusy;
    }
    inbox_.push_back(std::move(message));
    if (Worker* target = WorkerFor(inbox_.back())) {
      Wake(*target, inbox_.back());
    }
  }
  return Admission::kQueued;
}

void Actor::Wake(Worker& worker, const Message& message) {
  if (message.tx == 0 && worker.idle) {
    worker.claimed = true;  // takes a batch when it runs: counted until then
    ++waking_;
  }
  worker.idle = false;  // claimed: the next message goes to another idle worker
  worker.cv.notify_one();
}

base::Result<ScalarReply> Actor::CallInline(std::string_view op, std::span<const ArgView> args) {
  // The time-stamp counter: two steady_clock reads cost about 60 ns in these VMs, a tenth of
  // an inline call.
  const uint64_t start = telemetry::TickClock::Now();
  if (inline_stopped_.load(std::memory_order_acquire)) {
    return base::Unavailable("service " + name_ + " is stopping");
  }
  if (!inline_connection_) {
    std::lock_guard lock(error_mu_);
    return base::Unavailable("service " + name_ + " is unavailable: " + last_error_);
  }
  // Inline connections are thread-safe by contract (ServiceType::inline_calls).
  base::Result<ScalarReply> result = inline_connection_->CallScalar(op, args);
  Record(clock_.Between(start, telemetry::TickClock::Now()), !result.ok(), result.status());
  return result;
}

bool Actor::TakeRunnable(Worker& worker, Message* out) {
  for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
    bool runnable;
    if (worker.tx != 0) {
      runnable = it->tx == worker.tx;  // a connection inside a transaction serves only it
    } else if (it->tx == 0) {
      runnable = true;
    } else {
      runnable = !tx_owner_.contains(it->tx);  // unknown transaction: answered with an error
    }
    if (runnable) {
      *out = std::move(*it);
      inbox_.erase(it);
      return true;
    }
  }
  return false;
}

Actor::Worker* Actor::WorkerFor(const Message& message) {
  if (message.tx != 0) {
    auto owner = tx_owner_.find(message.tx);
    if (owner != tx_owner_.end()) {
      return owner->second;  // busy or not: it takes the message when it looks next
    }
  }
  if (type_.max_batch > 1 && !type_.batch_only_when_busy && message.tx == 0 &&
      inbox_.size() <= static_cast<size_t>(waking_) * static_cast<size_t>(type_.max_batch)) {
    return nullptr;  // a worker already woken takes this one with its batch
  }
  for (auto& w : workers_) {
    if (w->idle && w->tx == 0) {
      return w.get();
    }
  }
  return nullptr;  // every worker is busy; each looks at the inbox before sleeping again
}

void Actor::Run(Worker& worker) {
  std::unique_lock lock(mu_);
  std::vector<Message> batch;  // max_batch > 1: the messages taken together
  while (true) {
    Message message;
    while (!stopping_ && !TakeRunnable(worker, &message)) {
      worker.idle = true;
      worker.cv.wait(lock);
      worker.idle = false;
      if (worker.claimed) {
        worker.claimed = false;
        --waking_;
      }
    }
    if (!message.reply) {
      // Stopping with nothing to run. A worker inside a transaction waits for its commit or
      // rollback until the transaction's last call could have timed out.
      if (worker.tx != 0) {
        bool got = worker.cv.wait_for(lock, options_.call_timeout,
                                      [&] { return TakeRunnable(worker, &message); });
        if (!got) {
          tx_owner_.erase(worker.tx);
          worker.tx = 0;
          --in_use_;
          lock.unlock();
          if (worker.connection) {
            (void)worker.connection->Call("execute", json::array{"ROLLBACK"});
          }
          lock.lock();
          continue;
        }
      } else if (!TakeRunnable(worker, &message)) {
        break;
      }
    }
    if (message.cancelled && message.cancelled->load(std::memory_order_acquire)) {
      continue;
    }
    batch.clear();
    if (type_.max_batch > 1 && worker.tx == 0 && Batchable(message)) {
      batch.push_back(std::move(message));
      TakeBatch(batch);
      // More than one batch waiting: the next idle worker takes the rest.
      if (!inbox_.empty()) {
        if (Worker* next = WorkerFor(inbox_.front())) {
          Wake(*next, inbox_.front());
        }
      }
    }
    if (worker.tx == 0) {
      ++in_use_;
    }
    lock.unlock();
    if (batch.empty()) {
      RunOne(worker, message);
    } else {
      RunBatch(worker, batch);
    }
    lock.lock();
    if (worker.tx == 0) {
      --in_use_;
    }
  }
  lock.unlock();
  if (worker.connection) {
    worker.connection.reset();
    open_.fetch_sub(1);
  }
}

void Actor::TakeBatch(std::vector<Message>& batch) {
  auto max = static_cast<size_t>(type_.max_batch);
  if (type_.batch_only_when_busy) {
    // Each worker woken and not running yet came for one of the queued calls: leave it one.
    const auto reserved = static_cast<size_t>(waking_);
    max = std::min(max, batch.size() + (inbox_.size() > reserved ? inbox_.size() - reserved : 0));
  }
  for (auto it = inbox_.begin(); it != inbox_.end() && batch.size() < max;) {
    if (it->tx == 0 && Batchable(*it)) {
      batch.push_back(std::move(*it));
      it = inbox_.erase(it);
    } else {
      ++it;
    }
  }
}

void Actor::Answer(Message& message, base::Result<json::value> result) {
  Record(Clock::now() - message.enqueued, !result.ok(), result.status());
  message.reply(std::move(result));
}

bool Actor::AnswerIfExpired(Message& message, Clock::time_point now) {
  if (now <= message.deadline) {
    return false;
  }
  Answer(message, base::DeadlineExceeded("service " + name_ + ": call timed out in the inbox"));
  return true;
}

void Actor::RunOne(Worker& worker, Message& message) {
  if (!AnswerIfExpired(message, Clock::now())) {
    Answer(message, Execute(worker, message));
  }
}

void Actor::RunBatch(Worker& worker, std::vector<Message>& batch) {
  // What is still wanted: a call whose caller gave up is dropped, one past its deadline answered.
  std::vector<Message*> live;
  const Clock::time_point now = Clock::now();
  for (Message& m : batch) {
    if (m.cancelled && m.cancelled->load(std::memory_order_acquire)) {
      continue;
    }
    if (!AnswerIfExpired(m, now)) {
      live.push_back(&m);
    }
  }
  if (live.empty()) {
    return;
  }
  std::vector<base::Result<json::value>> results(live.size());
  if (base::Status connected = EnsureConnected(worker); !connected.ok()) {
    std::fill(results.begin(), results.end(), base::Result<json::value>(connected));
  } else {
    std::vector<Connection::BatchCall> calls;
    calls.reserve(live.size());
    for (Message* m : live) {
      calls.push_back({m->op, &m->args});
    }
    worker.connection->CallBatch(calls, results);
    if (std::any_of(results.begin(), results.end(), [](const auto& r) {
          return !r.ok() && r.status().code() == base::Code::kUnavailable;
        })) {
      DropConnection(worker);
    }
  }
  for (size_t i = 0; i < live.size(); ++i) {
    Answer(*live[i], std::move(results[i]));
  }
}

void Actor::DropConnection(Worker& worker) {
  worker.connection.reset();  // reconnect on the next call (immediately, then with backoff)
  open_.fetch_sub(1);
  broken_epoch_.fetch_add(1, std::memory_order_acq_rel);  // the others check theirs first
}

base::Status Actor::EnsureConnected(Worker& worker) {
  uint64_t epoch = broken_epoch_.load(std::memory_order_acquire);
  if (worker.connection && worker.checked_epoch != epoch) {
    // Another connection of this pool broke since this one was last used: the backend may have
    // restarted, so check this one with a round trip instead of failing a real call on it.
    worker.checked_epoch = epoch;
    if (!worker.connection->Ping().ok()) {
      worker.connection.reset();
      open_.fetch_sub(1);
    }
  }
  if (worker.connection) {
    return base::OkStatus();
  }
  Clock::time_point now = Clock::now();
  if (now < worker.next_attempt) {
    return base::Unavailable("service " + name_ + " is unavailable: " + worker.last_connect_error);
  }
  auto conn = type_.connect(config_);
  if (!conn.ok()) {
    worker.backoff = worker.backoff.count() == 0
                         ? options_.reconnect_min
                         : std::min(options_.reconnect_max, worker.backoff * 2);
    worker.next_attempt = Clock::now() + worker.backoff;
    worker.last_connect_error = conn.status().message();
    return base::Unavailable("service " + name_ + " is unavailable: " + conn.status().message());
  }
  worker.backoff = std::chrono::milliseconds{0};
  worker.checked_epoch = broken_epoch_.load(std::memory_order_acquire);
  worker.connection = std::move(conn).value();
  open_.fetch_add(1);
  return base::OkStatus();
}

base::Result<json::value> Actor::Execute(Worker& worker, Message& message) {
  bool is_begin = message.op == "begin";
  bool ends_tx = message.op == "commit" || message.op == "rollback";
  if (message.tx != 0 && worker.tx != message.tx) {
    return base::InvalidArgument("transaction " + std::to_string(message.tx) +
                                 " is not open on service " + name_);
  }
  if ((is_begin && message.tx != 0) || (ends_tx && message.tx == 0)) {
    return base::InvalidArgument(message.op + ": " +
                                 (is_begin ? "already in a transaction" : "no open transaction"));
  }
  if ((is_begin || ends_tx) && type_.kind != Kind::kDatabase) {
    return base::InvalidArgument("service " + name_ + " has no transactions");
  }
  RETURN_IF_ERROR(EnsureConnected(worker));
  base::Result<json::value> result =
      is_begin  ? worker.connection->Call("execute", json::array{"BEGIN"})
      : ends_tx ? worker.connection->Call("execute",
                                          json::array{message.op == "commit" ? "COMMIT" : "ROLLBACK"})
                : worker.connection->Call(message.op, message.args);
  bool broken = !result.ok() && result.status().code() == base::Code::kUnavailable;
  if (broken) {
    DropConnection(worker);
  }
  if (is_begin && result.ok()) {
    std::lock_guard lock(mu_);
    worker.tx = next_tx_++;
    tx_owner_[worker.tx] = &worker;
    return json::value(json::object{{"tx", worker.tx}});
  }
  if ((ends_tx || broken) && worker.tx != 0) {
    std::lock_guard lock(mu_);
    tx_owner_.erase(worker.tx);
    worker.tx = 0;
    // in_use_ is decremented by Run once the worker is out of the transaction
  }
  if (ends_tx && result.ok()) {
    return json::value(nullptr);
  }
  return result;
}

void Actor::Record(Clock::duration latency, bool error, const base::Status& status) {
  uint64_t us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  calls_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_.fetch_add(us, std::memory_order_relaxed);
  size_t b = 0;
  while (b < std::size(kLatencyBucketsUs) && us > kLatencyBucketsUs[b]) {
    ++b;
  }
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  if (error) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (status.code() != base::Code::kInvalidArgument) {
      std::lock_guard lock(error_mu_);
      last_error_ = status.message();
    }
  }
}

void Actor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;  // a second Stop joins nothing and finds the inbox empty
    for (auto& w : workers_) {
      w->cv.notify_one();
    }
  }
  inline_stopped_.store(true, std::memory_order_release);
  for (auto& w : workers_) {
    if (w->thread.joinable()) {
      w->thread.join();
    }
  }
  std::deque<Message> left;
  {
    std::lock_guard lock(mu_);
    left.swap(inbox_);
    tx_owner_.clear();
  }
  for (Message& m : left) {
    if (!(m.cancelled && m.cancelled->load())) {
      m.reply(base::Unavailable("service " + name_ + " stopped"));
    }
  }
  open_.store(0);  // the inline connection lives until the actor is destroyed: callers may hold it
}

ActorStats Actor::Stats() const {
  ActorStats s;
  s.calls = calls_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.timeouts = timeouts_.load(std::memory_order_relaxed);
  s.busy = busy_.load(std::memory_order_relaxed);
  s.latency_us_sum = latency_sum_.load(std::memory_order_relaxed);
  for (const auto& b : buckets_) {
    s.latency_buckets.push_back(b.load(std::memory_order_relaxed));
  }
  s.connections_open = open_.load();
  {
    std::lock_guard lock(mu_);
    s.inbox_depth = inbox_.size();
    s.connections_in_use = in_use_;
    s.open_transactions = static_cast<int64_t>(tx_owner_.size());
  }
  std::lock_guard lock(error_mu_);
  s.last_error = last_error_;
  return s;
}

}  // namespace edgegate::services
