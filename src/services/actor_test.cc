// Tests for Actor with a scripted in-test backend: inbox bounds, worker pool, transactions pinned
// to one connection, reconnect with backoff, deadlines and Stop.
#include "services/actor.h"

#include <gtest/gtest.h>

#include <future>
#include <set>

namespace edgegate::services {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// A scripted backend. Ops: "echo" (returns args[0]), "id" (the connection's number), "block"
// (waits until released), "break" (Unavailable: the connection is lost), "fail" (BackendError).
struct Script {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int connects = 0;
  bool refuse_connect = false;
  std::vector<std::string> executed;  // SQL given to "execute", per call
  std::vector<size_t> batches;         // the size of each CallBatch (batching type only)

  void Release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
};

Script* g_script = nullptr;

class ScriptedConnection final : public Connection {
 public:
  explicit ScriptedConnection(int id) : id_(id) {}
  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op == "echo") return args.at(0);
    if (op == "id") return json::value(id_);
    if (op == "execute") {
      std::lock_guard lock(g_script->mu);
      g_script->executed.push_back(std::string(args.at(0).as_string()) + "@" + std::to_string(id_));
      return json::value(nullptr);
    }
    if (op == "block") {
      std::unique_lock lock(g_script->mu);
      g_script->cv.wait(lock, [] { return g_script->released; });
      return json::value(id_);
    }
    if (op == "break") return base::Unavailable("connection reset by peer");
    if (op == "fail") return base::BackendError("syntax error near 'x'");
    return base::InvalidArgument("unknown op");
  }
  base::Status Ping() override { return base::OkStatus(); }

 private:
  int id_;
};

const ServiceType kScripted{
    "scripted", Kind::kDatabase, {},
    [](const json::object&) -> base::Result<std::unique_ptr<Connection>> {
      std::lock_guard lock(g_script->mu);
      if (g_script->refuse_connect) {
        return base::Unavailable("connection refused");
      }
      return std::unique_ptr<Connection>(std::make_unique<ScriptedConnection>(++g_script->connects));
    }};

// The scripted backend as a pipelining one (max_batch 4): its connections record the size of
// every batch and run it with the default CallBatch.
class BatchingConnection final : public Connection {
 public:
  explicit BatchingConnection(int id) : inner_(id) {}
  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    return inner_.Call(op, args);
  }
  void CallBatch(std::span<const BatchCall> calls,
                 std::span<base::Result<json::value>> results) override {
    {
      std::lock_guard lock(g_script->mu);
      g_script->batches.push_back(calls.size());
    }
    Connection::CallBatch(calls, results);
  }
  base::Status Ping() override { return base::OkStatus(); }

 private:
  ScriptedConnection inner_;
};

const ServiceType kBatching{
    .name = "batching",
    .kind = Kind::kCache,
    .keys = {},
    .connect = [](const json::object&) -> base::Result<std::unique_ptr<Connection>> {
      std::lock_guard lock(g_script->mu);
      return std::unique_ptr<Connection>(
          std::make_unique<BatchingConnection>(++g_script->connects));
    },
    .max_batch = 4};

// The same, batching only while every connection is busy (as PostgreSQL does).
ServiceType BatchingWhenBusy() {
  ServiceType type = kBatching;
  type.name = "batching-when-busy";
  type.batch_only_when_busy = true;
  return type;
}
const ServiceType kBatchingWhenBusy = BatchingWhenBusy();

// Submits and waits for the reply on this thread.
class Caller {
 public:
  std::future<base::Result<json::value>> Send(Actor& actor, std::string op, json::array args = {},
                                              int64_t tx = 0, std::chrono::milliseconds timeout = 5s,
                                              Actor::Admission* admission = nullptr) {
    auto promise = std::make_shared<std::promise<base::Result<json::value>>>();
    Message m;
    m.op = std::move(op);
    m.args = std::move(args);
    m.tx = tx;
    m.deadline = Clock::now() + timeout;
    m.reply = [promise](base::Result<json::value> r) { promise->set_value(std::move(r)); };
    Actor::Admission a = actor.Submit(m);
    if (admission) *admission = a;
    if (a != Actor::Admission::kQueued) {
      promise->set_value(base::Unavailable("refused"));
    }
    return promise->get_future();
  }
  base::Result<json::value> Call(Actor& actor, std::string op, json::array args = {},
                                 int64_t tx = 0) {
    auto f = Send(actor, std::move(op), std::move(args), tx);
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
};

class ActorTest : public ::testing::Test {
 protected:
  void SetUp() override { g_script = &script_; }
  void TearDown() override { g_script = nullptr; }

  std::unique_ptr<Actor> Make(int pool, size_t inbox = 16, const ServiceType& type = kScripted) {
    ActorOptions o;
    o.pool_size = pool;
    o.inbox_capacity = inbox;
    o.reconnect_min = 50ms;
    o.reconnect_max = 200ms;
    auto actor = std::make_unique<Actor>(type, "db1", json::object{}, o);
    actor->Start();
    return actor;
  }

  void ExpectQueuedCallsRunInBatches(const ServiceType& type);

  Script script_;
  Caller caller_;
};

TEST_F(ActorTest, AnswersCallsAndCountsThem) {
  auto actor = Make(1);
  auto r = caller_.Call(*actor, "echo", {"hello"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->as_string(), "hello");
  auto bad = caller_.Call(*actor, "fail");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), base::Code::kBackendError);
  ActorStats s = actor->Stats();
  EXPECT_EQ(s.calls, 2u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.last_error, "syntax error near 'x'");
  EXPECT_EQ(s.connections_open, 1);
}

TEST_F(ActorTest, AFullInboxRefusesAndFreesUpAgain) {
  auto actor = Make(1, /*inbox=*/2);
  auto running = caller_.Send(*actor, "block");
  // Wait until the worker took the blocking call, so the inbox holds only what we add next.
  for (int i = 0; i < 500 && actor->Stats().connections_in_use == 0; ++i) {
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_EQ(actor->Stats().connections_in_use, 1);
  auto q1 = caller_.Send(*actor, "echo", {1});
  auto q2 = caller_.Send(*actor, "echo", {2});
  Actor::Admission third;
  caller_.Send(*actor, "echo", {3}, 0, 5s, &third);
  EXPECT_EQ(third, Actor::Admission::kBusy);
  EXPECT_EQ(actor->Stats().inbox_depth, 2u);
  EXPECT_EQ(actor->Stats().busy, 1u);
  script_.Release();
  EXPECT_TRUE(running.get().ok());
  EXPECT_EQ(q1.get()->as_int64(), 1);
  EXPECT_EQ(q2.get()->as_int64(), 2);
}

TEST_F(ActorTest, ATransactionStaysOnOneConnection) {
  auto actor = Make(3);
  auto begin = caller_.Call(*actor, "begin");
  ASSERT_TRUE(begin.ok()) << begin.status().message();
  int64_t tx = begin->at("tx").as_int64();
  EXPECT_EQ(actor->Stats().open_transactions, 1);
  int64_t conn = caller_.Call(*actor, "id", {}, tx)->as_int64();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(caller_.Call(*actor, "id", {}, tx)->as_int64(), conn);
  }
  // Other calls keep flowing on the other connections meanwhile.
  EXPECT_TRUE(caller_.Call(*actor, "echo", {"x"}).ok());
  ASSERT_TRUE(caller_.Call(*actor, "commit", {}, tx).ok());
  EXPECT_EQ(actor->Stats().open_transactions, 0);
  std::string c = std::to_string(conn);
  std::vector<std::string> want = {"BEGIN@" + c, "COMMIT@" + c};
  EXPECT_EQ(script_.executed, want);
  auto stale = caller_.Call(*actor, "id", {}, tx);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.status().message().find("not open"), std::string::npos);
}

TEST_F(ActorTest, EveryMessageIsAnsweredWhenWorkersAreWokenOneAtATime) {
  // Each message wakes one idle worker (or none, when all are busy): no message may be left
  // waiting while a worker sleeps, with transactions in between.
  auto actor = Make(4, /*inbox=*/10'000);
  std::vector<std::thread> senders;
  std::atomic<int> answered{0};
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&] {
      Caller caller;
      for (int i = 0; i < 100; ++i) {
        if (i % 10 == 0) {
          int64_t tx = caller.Call(*actor, "begin")->at("tx").as_int64();
          EXPECT_TRUE(caller.Call(*actor, "id", {}, tx).ok());
          EXPECT_TRUE(caller.Call(*actor, "commit", {}, tx).ok());
        }
        auto f = caller.Send(*actor, "echo", {i});
        ASSERT_EQ(f.wait_for(10s), std::future_status::ready) << "a message was left waiting";
        EXPECT_EQ(f.get()->as_int64(), i);
        answered.fetch_add(1);
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(answered.load(), 400);
  EXPECT_EQ(actor->Stats().open_transactions, 0);
}

// Waits until `actor` has a call running (the worker took it), so later ones queue behind it.
void WaitUntilRunning(Actor& actor) {
  for (int i = 0; i < 500 && actor.Stats().connections_in_use == 0; ++i) {
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_EQ(actor.Stats().connections_in_use, 1);
}

// Ten calls queued behind a blocking one on a pool of one connection of `type` (max_batch 4)
// run as the blocking call alone, then four at a time, in order.
void ActorTest::ExpectQueuedCallsRunInBatches(const ServiceType& type) {
  auto actor = Make(1, /*inbox=*/64, type);
  auto running = caller_.Send(*actor, "block");
  WaitUntilRunning(*actor);
  std::vector<std::future<base::Result<json::value>>> queued;
  for (int i = 1; i <= 10; ++i) {
    queued.push_back(caller_.Send(*actor, "echo", {i}));
  }
  script_.Release();
  EXPECT_TRUE(running.get().ok());
  for (int i = 1; i <= 10; ++i) {
    auto r = queued[i - 1].get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->as_int64(), i);
  }
  std::vector<size_t> want = {1, 4, 4, 2};
  EXPECT_EQ(script_.batches, want);
  EXPECT_EQ(actor->Stats().calls, 11u);
}

TEST_F(ActorTest, QueuedCallsOfAPipeliningBackendRunInBatches) {
  ExpectQueuedCallsRunInBatches(kBatching);
}

TEST_F(ActorTest, ABatchAnswersEachCallAndABreakFailsTheRestOfIt) {
  auto actor = Make(1, /*inbox=*/64, kBatching);
  auto running = caller_.Send(*actor, "block");
  WaitUntilRunning(*actor);
  auto ok = caller_.Send(*actor, "echo", {"a"});
  auto failed = caller_.Send(*actor, "fail");
  auto broken = caller_.Send(*actor, "break");
  auto after_break = caller_.Send(*actor, "echo", {"b"});
  auto late = caller_.Send(*actor, "echo", {"late"}, 0, /*timeout=*/1ms);  // the next batch
  std::this_thread::sleep_for(20ms);  // `late` is past its deadline when it is taken
  script_.Release();
  EXPECT_EQ(running.get()->as_int64(), 1);
  EXPECT_EQ(ok.get()->as_string(), "a");
  EXPECT_EQ(failed.get().status().code(), base::Code::kBackendError);
  EXPECT_EQ(late.get().status().code(), base::Code::kDeadlineExceeded);
  EXPECT_EQ(broken.get().status().code(), base::Code::kUnavailable);
  auto r = after_break.get();
  EXPECT_EQ(r.status().code(), base::Code::kUnavailable) << "sent after the break: not run";
  std::vector<size_t> want = {1, 4};  // `late` never reached the connection
  EXPECT_EQ(script_.batches, want);
  EXPECT_EQ(caller_.Call(*actor, "id")->as_int64(), 2);  // the broken connection was replaced
}

TEST_F(ActorTest, EveryMessageIsAnsweredWhenWokenWorkersTakeBatches) {
  // A message queued while a woken worker has yet to take its batch wakes no other worker: no
  // message may be left waiting while workers sleep.
  auto actor = Make(4, /*inbox=*/10'000, kBatching);
  std::vector<std::thread> senders;
  std::atomic<int> answered{0};
  for (int t = 0; t < 6; ++t) {
    senders.emplace_back([&, t] {
      Caller caller;
      for (int i = 0; i < 200; ++i) {
        std::vector<std::future<base::Result<json::value>>> burst;
        for (int k = 0; k < 1 + (i + t) % 5; ++k) {
          burst.push_back(caller.Send(*actor, "echo", {i * 10 + k}));
        }
        for (int k = 0; k < static_cast<int>(burst.size()); ++k) {
          ASSERT_EQ(burst[k].wait_for(10s), std::future_status::ready) << "left waiting";
          EXPECT_EQ(burst[k].get()->as_int64(), i * 10 + k);
          answered.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  int sent = 0;
  for (int t = 0; t < 6; ++t) {
    for (int i = 0; i < 200; ++i) sent += 1 + (i + t) % 5;
  }
  EXPECT_EQ(answered.load(), sent);
  EXPECT_EQ(actor->Stats().calls, static_cast<uint64_t>(sent));
}

// Calls sent together each get an idle connection of their own: none waits behind another on a
// shared connection while one sits idle.
TEST_F(ActorTest, ABackendBatchingWhenBusyGivesEveryIdleConnectionACall) {
  auto actor = Make(3, /*inbox=*/64, kBatchingWhenBusy);
  // Time for the new workers to reach their wait: a worker still starting is not idle, and a
  // call that finds none idle waits for one to be batched with (as behind a busy pool).
  std::this_thread::sleep_for(50ms);
  std::vector<std::future<base::Result<json::value>>> blocked;
  for (int i = 0; i < 3; ++i) {
    blocked.push_back(caller_.Send(*actor, "block"));
  }
  for (int i = 0; i < 1000 && actor->Stats().connections_in_use < 3; ++i) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(actor->Stats().connections_in_use, 3) << "the three calls run side by side";
  script_.Release();
  std::set<int64_t> connections;
  for (auto& f : blocked) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    connections.insert(r->as_int64());
  }
  EXPECT_EQ(connections.size(), 3u);
  std::vector<size_t> want = {1, 1, 1};
  EXPECT_EQ(script_.batches, want);
}

// What queues while every connection is busy is batched, as for Redis.
TEST_F(ActorTest, ABackendBatchingWhenBusyBatchesWhatQueuesBehindABusyPool) {
  ExpectQueuedCallsRunInBatches(kBatchingWhenBusy);
}

TEST_F(ActorTest, CommitWithoutATransactionIsRefused) {
  auto actor = Make(1);
  auto r = caller_.Call(*actor, "commit");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kInvalidArgument);
}

TEST_F(ActorTest, ALostConnectionIsReopenedAndRefusalsBackOff) {
  auto actor = Make(1);
  EXPECT_EQ(caller_.Call(*actor, "id")->as_int64(), 1);
  auto broken = caller_.Call(*actor, "break");
  EXPECT_EQ(broken.status().code(), base::Code::kUnavailable);
  EXPECT_EQ(caller_.Call(*actor, "id")->as_int64(), 2);  // a fresh connection
  (void)caller_.Call(*actor, "break");
  {
    std::lock_guard lock(script_.mu);
    script_.refuse_connect = true;
  }
  auto refused = caller_.Call(*actor, "id");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("connection refused"), std::string::npos);
  int connects_after_refusal = script_.connects;
  // Within the backoff, calls fail fast without another connect attempt.
  auto fast = caller_.Call(*actor, "id");
  EXPECT_EQ(fast.status().code(), base::Code::kUnavailable);
  EXPECT_EQ(script_.connects, connects_after_refusal);
  {
    std::lock_guard lock(script_.mu);
    script_.refuse_connect = false;
  }
  // Recovers by itself once the backoff passed.
  base::Result<json::value> recovered = base::Unavailable("not yet");
  for (int i = 0; i < 100 && !recovered.ok(); ++i) {
    std::this_thread::sleep_for(10ms);
    recovered = caller_.Call(*actor, "id");
  }
  ASSERT_TRUE(recovered.ok()) << recovered.status().message();
}

TEST_F(ActorTest, AMessagePastItsDeadlineIsNotRun) {
  auto actor = Make(1);
  auto running = caller_.Send(*actor, "block");
  auto late = caller_.Send(*actor, "echo", {1}, 0, /*timeout=*/1ms);
  std::this_thread::sleep_for(20ms);
  script_.Release();
  EXPECT_TRUE(running.get().ok());
  auto r = late.get();
  EXPECT_EQ(r.status().code(), base::Code::kDeadlineExceeded);
}

TEST_F(ActorTest, StopFinishesQueuedCallsAndRefusesNewOnes) {
  auto actor = Make(1);
  auto running = caller_.Send(*actor, "block");
  auto queued = caller_.Send(*actor, "echo", {"queued"});
  std::thread stopper([&] { actor->Stop(); });
  std::this_thread::sleep_for(20ms);
  Actor::Admission admission;
  caller_.Send(*actor, "echo", {"late"}, 0, 5s, &admission);
  EXPECT_EQ(admission, Actor::Admission::kStopping);
  script_.Release();
  stopper.join();
  EXPECT_TRUE(running.get().ok());
  auto q = queued.get();
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->as_string(), "queued");
  EXPECT_EQ(actor->Stats().connections_open, 0);
}

}  // namespace
}  // namespace edgegate::services
