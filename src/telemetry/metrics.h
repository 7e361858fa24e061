// Prometheus metrics: a writer for the text exposition format 0.0.4, a registry of collectors
// that modules add to (the data plane, the registry, the compiler, later the service actors), and
// the two counter types the gateway records into: RequestStats (per handler version, on the
// request path) and Histogram (off the request path).
//
// Collection is pull-based: nothing is formatted until /metrics is scraped; each collector then
// reads its sources (sums of sharded counters, a registry snapshot) and writes its families.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/sharded_counter.h"

namespace edgegate::telemetry {

struct Label {
  std::string_view name;
  std::string_view value;
};

// Writes the text exposition format 0.0.4. Every family is opened with Family (its # HELP and
// # TYPE lines) and its samples follow before the next family. Label values are escaped.
// Thread-compatible.
class MetricsWriter {
 public:
  // `type`: "counter" | "gauge" | "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample line: `name{labels} value`. Integral values print without a fraction.
  void Sample(std::string_view name, std::span<const Label> labels, double value);
  // A histogram's samples: cumulative `name_bucket{..., le}` for each bound and +Inf, then
  // `name_sum` and `name_count`. `counts` are per bucket (not cumulative), bounds.size() + 1 of
  // them (the last is above every bound).
  void Histogram(std::string_view name, std::span<const Label> labels,
                 std::span<const double> bounds, std::span<const uint64_t> counts, double sum);
  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void AppendLabels(std::span<const Label> labels, const Label* extra);
  std::string out_;
};

// The collectors behind GET /metrics. Thread-safe.
class MetricsRegistry {
 public:
  using Collector = std::function<void(MetricsWriter&)>;
  // Adds a collector; it is called on every scrape (from the admin loop) and must be
  // thread-safe with respect to its sources. Collectors must not write the same family.
  void Add(Collector collector);
  // Every collector's output, in the order they were added.
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::vector<Collector> collectors_;  // guarded by mu_
};

// Request latency buckets in seconds (upper bounds), fixed so that series are comparable.
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// Requests served by one handler version: counts by status class and a latency histogram.
// Record is lock-free and touches only the calling thread's shard: cache lines no other loop
// writes, with plain stores when the thread owns its shard (see base/sharded_counter.h).
// Thread-safe.
class RequestStats {
 public:
  static constexpr size_t kBuckets = kLatencyBuckets.size() + 1;

  struct Snapshot {
    std::array<uint64_t, 5> by_class{};   // 1xx .. 5xx
    std::array<uint64_t, kBuckets> buckets{};  // per bucket, not cumulative
    double sum_seconds = 0;
    uint64_t count() const;
  };

  // `shard` is the calling thread's base::ShardedCounter::ShardOfThisThread(); `status`
  // 100..599 (others count as 5xx).
  void Record(base::ThreadShard shard, int status, std::chrono::nanoseconds duration);
  Snapshot Read() const;

 private:
  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, 5> by_class{};
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};
    std::atomic<uint64_t> sum_ns{0};
  };
  std::array<Shard, base::ShardedCounter::kShards> shards_;
};

// A histogram for events off the request path (compiles). Thread-safe (one mutex).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)),
                                                   counts_(bounds_.size() + 1) {}
  void Observe(double value);
  // Writes the samples (not the family header) under `name` with `labels`.
  void Write(MetricsWriter& writer, std::string_view name, std::span<const Label> labels) const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // guarded by mu_
  double sum_ = 0;                // guarded by mu_
};

// Handler builds: count by result and duration of the builds that ran. Thread-safe.
class CompileStats {
 public:
  CompileStats();
  // `cached`: no compiler ran (build cache or an identical existing version); not timed.
  void Record(bool success, bool cached, std::chrono::milliseconds duration);
  // Writes edgegate_compiles_total{result} and edgegate_compile_duration_seconds.
  void Collect(MetricsWriter& writer) const;

 private:
  std::atomic<uint64_t> success_{0}, failure_{0}, cached_{0};
  Histogram duration_;
};

}  // namespace edgegate::telemetry
