// Tests of the per-endpoint log buffer: seq, bounds (entries and bytes) with the dropped count,
// since/limit paging, stale cursors, subscribers, the JSON form, and concurrent writers.
#include "telemetry/endpoint_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace edgegate::telemetry {
namespace {

LogLimits Limits(size_t entries, size_t bytes = 1 << 20) {
  LogLimits limits;
  limits.max_entries = entries;
  limits.max_bytes = bytes;
  return limits;
}

TEST(EndpointLogTest, SeqStartsAtOneAndIncreases) {
  EndpointLog log(Limits(10));
  log.Append(LogLevel::kInfo, LogSource::kHandler, "a", 1, "req-1");
  log.Append(LogLevel::kWarn, LogSource::kLifecycle, "b");
  LogPage page = log.Read(0, 100);
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.entries[0].seq, 1u);
  EXPECT_EQ(page.entries[1].seq, 2u);
  EXPECT_EQ(page.entries[0].request_id, "req-1");
  EXPECT_EQ(page.entries[0].version, 1);
  EXPECT_EQ(page.next_since, 2u);
  EXPECT_FALSE(page.reset);
}

TEST(EndpointLogTest, EntryBoundDropsOldestAndCountsThem) {
  EndpointLog log(Limits(3));
  for (int i = 1; i <= 5; ++i) {
    log.Append(LogLevel::kInfo, LogSource::kHandler, "line " + std::to_string(i));
  }
  LogPage page = log.Read(0, 100);
  ASSERT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(page.entries.front().message, "line 3");
  EXPECT_EQ(page.entries.front().seq, 3u);
  EXPECT_EQ(page.dropped, 2u);
}

TEST(EndpointLogTest, ByteBoundDropsOldest) {
  EndpointLog log(Limits(1000, sizeof(LogEntry) * 3 + 3000));
  std::string big(1000, 'x');
  for (int i = 0; i < 10; ++i) {
    log.Append(LogLevel::kInfo, LogSource::kHandler, big);
  }
  LogPage page = log.Read(0, 100);
  EXPECT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(page.dropped, 7u);
  EXPECT_EQ(page.entries.back().seq, 10u);
}

TEST(EndpointLogTest, LongMessagesAreCutOnACharacterBoundary) {
  LogLimits limits = Limits(10);
  limits.max_message_bytes = 4;
  EndpointLog log(limits);
  log.Append(LogLevel::kInfo, LogSource::kHandler, "ab\xC3\xA9\xC3\xA9");  // "abéé"
  EXPECT_EQ(log.Read(0, 1).entries[0].message, "ab\xC3\xA9\xE2\x80\xA6");
}

TEST(EndpointLogTest, SinceAndLimitPageThroughInOrder) {
  EndpointLog log(Limits(100));
  for (int i = 0; i < 10; ++i) log.Append(LogLevel::kInfo, LogSource::kHandler, "x");
  LogPage first = log.Read(0, 4);
  ASSERT_EQ(first.entries.size(), 4u);
  EXPECT_EQ(first.next_since, 4u);
  LogPage second = log.Read(first.next_since, 4);
  ASSERT_EQ(second.entries.size(), 4u);
  EXPECT_EQ(second.entries[0].seq, 5u);
  LogPage last = log.Read(8, 100);
  EXPECT_EQ(last.entries.size(), 2u);
  LogPage none = log.Read(10, 100);
  EXPECT_TRUE(none.entries.empty());
  EXPECT_EQ(none.next_since, 10u);
  EXPECT_FALSE(none.reset);
}

TEST(EndpointLogTest, SinceBeforeTheOldestKeptEntryStartsAtTheOldest) {
  EndpointLog log(Limits(2));
  for (int i = 0; i < 5; ++i) log.Append(LogLevel::kInfo, LogSource::kHandler, "x");
  LogPage page = log.Read(1, 100);
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.entries[0].seq, 4u);
}

TEST(EndpointLogTest, CursorBeyondTheNewestEntryIsAReset) {
  EndpointLog log(Limits(10));
  log.Append(LogLevel::kInfo, LogSource::kHandler, "after restart");
  LogPage page = log.Read(500, 100);
  EXPECT_TRUE(page.reset);
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.next_since, 1u);
}

TEST(EndpointLogTest, SubscribersAreWokenUntilUnsubscribed) {
  EndpointLog log(Limits(10));
  int woken = 0;
  uint64_t id = log.Subscribe([&woken] { ++woken; });
  log.Append(LogLevel::kInfo, LogSource::kHandler, "a");
  log.Append(LogLevel::kInfo, LogSource::kHandler, "b");
  log.Unsubscribe(id);
  log.Append(LogLevel::kInfo, LogSource::kHandler, "c");
  EXPECT_EQ(woken, 2);
}

TEST(EndpointLogTest, JsonFormHasEveryField) {
  LogEntry e;
  e.seq = 7;
  e.time_ms = 1'700'000'000'123;
  e.level = LogLevel::kWarn;
  e.source = LogSource::kHandler;
  e.request_id = "abc-1";
  e.version = 3;
  e.message = "say \"hi\"\n";
  EXPECT_EQ(LogEntryJson(e),
            "{\"seq\":7,\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"warn\","
            "\"source\":\"handler\",\"request_id\":\"abc-1\",\"version\":3,"
            "\"message\":\"say \\\"hi\\\"\\n\"}");
  e.request_id.clear();
  e.version = 0;
  EXPECT_NE(LogEntryJson(e).find("\"request_id\":null,\"version\":null"), std::string::npos);
}

TEST(EndpointLogTest, ConcurrentWritersGetUniqueContiguousSeqs) {
  EndpointLog log(Limits(100000, 1 << 30));
  constexpr int kThreads = 4, kEach = 2000;
  std::atomic<int> wakes{0};
  uint64_t id = log.Subscribe([&wakes] { wakes.fetch_add(1, std::memory_order_relaxed); });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kEach; ++i) {
        log.Append(LogLevel::kInfo, LogSource::kHandler, "t" + std::to_string(t));
      }
    });
  }
  for (auto& t : threads) t.join();
  log.Unsubscribe(id);
  LogPage page = log.Read(0, kThreads * kEach);
  ASSERT_EQ(page.entries.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < page.entries.size(); ++i) {
    ASSERT_EQ(page.entries[i].seq, i + 1);
  }
  EXPECT_EQ(wakes.load(), kThreads * kEach);
  EXPECT_EQ(log.last_seq(), static_cast<uint64_t>(kThreads * kEach));
}

TEST(LogHubTest, RemoveForgetsTheEndpointsLog) {
  LogHub hub(Limits(10));
  hub.Append("e1", LogLevel::kInfo, LogSource::kLifecycle, "created");
  ASSERT_NE(hub.Find("e1"), nullptr);
  EXPECT_EQ(hub.Find("e1")->last_seq(), 1u);
  hub.Remove("e1");
  EXPECT_EQ(hub.Find("e1"), nullptr);
  EXPECT_EQ(hub.ForEndpoint("e1")->last_seq(), 0u);
}

}  // namespace
}  // namespace edgegate::telemetry
