// Tests of the Prometheus exposition writer, the collector registry and the counters.
#include "telemetry/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace edgegate::telemetry {
namespace {

TEST(MetricsWriterTest, WritesHelpTypeAndSamplesWithEscapedLabels) {
  MetricsWriter w;
  w.Family("edgegate_x_total", "counter", "Things\\counted\nhere");
  Label labels[] = {{"route", "GET /a/{id}"}, {"odd", "q\"b\\s\nn"}};
  w.Sample("edgegate_x_total", labels, 3);
  w.Sample("edgegate_x_total", {}, 0.25);
  EXPECT_EQ(w.text(),
            "# HELP edgegate_x_total Things\\\\counted\\nhere\n"
            "# TYPE edgegate_x_total counter\n"
            "edgegate_x_total{route=\"GET /a/{id}\",odd=\"q\\\"b\\\\s\\nn\"} 3\n"
            "edgegate_x_total 0.25\n");
}

TEST(MetricsWriterTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsWriter w;
  const double bounds[] = {0.1, 1};
  const uint64_t counts[] = {2, 3, 1};
  Label label{"endpoint", "e"};
  w.Histogram("h", {&label, 1}, bounds, counts, 4.5);
  EXPECT_EQ(w.text(),
            "h_bucket{endpoint=\"e\",le=\"0.10000000000000001\"} 2\n"
            "h_bucket{endpoint=\"e\",le=\"1\"} 5\n"
            "h_bucket{endpoint=\"e\",le=\"+Inf\"} 6\n"
            "h_sum{endpoint=\"e\"} 4.5\n"
            "h_count{endpoint=\"e\"} 6\n");
}

TEST(MetricsRegistryTest, RendersCollectorsInOrder) {
  MetricsRegistry registry;
  registry.Add([](MetricsWriter& w) { w.Sample("a", {}, 1); });
  registry.Add([](MetricsWriter& w) { w.Sample("b", {}, 2); });
  EXPECT_EQ(registry.Render(), "a 1\nb 2\n");
}

TEST(RequestStatsTest, CountsByClassAndBucket) {
  RequestStats stats;
  stats.Record({0, false}, 200, std::chrono::microseconds(100));   // ≤ 0.5 ms
  stats.Record({1, false}, 204, std::chrono::milliseconds(3));     // ≤ 5 ms
  stats.Record({2, false}, 404, std::chrono::seconds(20));         // above every bound
  stats.Record({2, false}, 503, std::chrono::milliseconds(1));     // ≤ 1 ms (bounds are inclusive)
  stats.Record({3, false}, 999, std::chrono::nanoseconds(0));      // nonsense status counts as 5xx
  RequestStats::Snapshot s = stats.Read();
  EXPECT_EQ(s.by_class[1], 2u);
  EXPECT_EQ(s.by_class[3], 1u);
  EXPECT_EQ(s.by_class[4], 2u);
  EXPECT_EQ(s.count(), 5u);
  EXPECT_EQ(s.buckets[0], 2u);
  EXPECT_EQ(s.buckets[1], 1u);
  EXPECT_EQ(s.buckets[3], 1u);
  EXPECT_EQ(s.buckets[RequestStats::kBuckets - 1], 1u);
  EXPECT_NEAR(s.sum_seconds, 20.0041, 1e-9);
}

TEST(RequestStatsTest, ConcurrentRecordsAreAllCounted) {
  RequestStats stats;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&stats] {
      base::ThreadShard shard = base::ShardedCounter::ShardOfThisThread();
      for (int i = 0; i < 10000; ++i) stats.Record(shard, 200, std::chrono::microseconds(1));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stats.Read().by_class[1], 40000u);
}

TEST(CompileStatsTest, CountsResultsAndTimesOnlyRealBuilds) {
  CompileStats stats;
  stats.Record(true, false, std::chrono::milliseconds(300));
  stats.Record(false, false, std::chrono::milliseconds(50));
  stats.Record(true, true, std::chrono::milliseconds(0));
  MetricsWriter w;
  stats.Collect(w);
  const std::string& text = w.text();
  EXPECT_NE(text.find("edgegate_compiles_total{result=\"success\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("edgegate_compiles_total{result=\"failure\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("edgegate_compiles_total{result=\"cached\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("edgegate_compile_duration_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(text.find("edgegate_compile_duration_seconds_bucket{le=\"0.10000000000000001\"} 1\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace edgegate::telemetry
