// Exposition format writing, the collector registry and the counters.
#include "telemetry/metrics.h"

#include <cmath>
#include <cstdio>

namespace edgegate::telemetry {
namespace {

constexpr std::array<uint64_t, kLatencyBuckets.size()> MakeBucketNanos() {
  std::array<uint64_t, kLatencyBuckets.size()> out{};
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    out[i] = static_cast<uint64_t>(kLatencyBuckets[i] * 1e9);
  }
  return out;
}
constexpr auto kBucketNanos = MakeBucketNanos();

void AppendValue(std::string& out, double value) {
  if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (std::isnan(value)) {
    out.append("NaN");
    return;
  }
  char buf[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", value);
  }
  out.append(buf);
}

// Label values escape backslash, double quote and line feed (format 0.0.4).
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

// HELP text escapes backslash and line feed.
void AppendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

void MetricsWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).push_back(' ');
  AppendHelp(out_, help);
  out_.append("\n# TYPE ").append(name).append(" ").append(type).push_back('\n');
}

void MetricsWriter::AppendLabels(std::span<const Label> labels, const Label* extra) {
  if (labels.empty() && extra == nullptr) {
    return;
  }
  out_.push_back('{');
  bool first = true;
  auto one = [&](const Label& l) {
    if (!first) out_.push_back(',');
    first = false;
    out_.append(l.name).append("=\"");
    AppendLabelValue(out_, l.value);
    out_.push_back('"');
  };
  for (const Label& l : labels) one(l);
  if (extra != nullptr) one(*extra);
  out_.push_back('}');
}

void MetricsWriter::Sample(std::string_view name, std::span<const Label> labels, double value) {
  out_.append(name);
  AppendLabels(labels, nullptr);
  out_.push_back(' ');
  AppendValue(out_, value);
  out_.push_back('\n');
}

void MetricsWriter::Histogram(std::string_view name, std::span<const Label> labels,
                              std::span<const double> bounds, std::span<const uint64_t> counts,
                              double sum) {
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    std::string le;
    if (i < bounds.size()) {
      AppendValue(le, bounds[i]);
    } else {
      le = "+Inf";
    }
    Label extra{"le", le};
    out_.append(bucket);
    AppendLabels(labels, &extra);
    out_.push_back(' ');
    AppendValue(out_, static_cast<double>(cumulative));
    out_.push_back('\n');
  }
  Sample(std::string(name) + "_sum", labels, sum);
  Sample(std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

void MetricsRegistry::Add(Collector collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() const {
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  MetricsWriter writer;
  for (const Collector& c : collectors) {
    c(writer);
  }
  return writer.Take();
}

uint64_t RequestStats::Snapshot::count() const {
  uint64_t n = 0;
  for (uint64_t b : buckets) n += b;
  return n;
}

void RequestStats::Record(base::ThreadShard shard, int status,
                          std::chrono::nanoseconds duration) {
  Shard& s = shards_[shard.index];
  size_t cls = status >= 100 && status < 600 ? static_cast<size_t>(status / 100 - 1) : 4;
  base::AddToShard(s.by_class[cls], shard);
  uint64_t ns = duration.count() > 0 ? static_cast<uint64_t>(duration.count()) : 0;
  size_t bucket = 0;
  while (bucket < kBucketNanos.size() && ns > kBucketNanos[bucket]) {
    ++bucket;
  }
  base::AddToShard(s.buckets[bucket], shard);
  base::AddToShard(s.sum_ns, shard, ns);
}

RequestStats::Snapshot RequestStats::Read() const {
  Snapshot out;
  uint64_t sum_ns = 0;
  for (const Shard& s : shards_) {
    for (size_t i = 0; i < out.by_class.size(); ++i) {
      out.by_class[i] += s.by_class[i].load(std::memory_order_relaxed);
    }
    for (size_t i = 0; i < out.buckets.size(); ++i) {
      out.buckets[i] += s.buckets[i].load(std::memory_order_relaxed);
    }
    sum_ns += s.sum_ns.load(std::memory_order_relaxed);
  }
  out.sum_seconds = static_cast<double>(sum_ns) / 1e9;
  return out;
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) {
    ++i;
  }
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += value;
}

void Histogram::Write(MetricsWriter& writer, std::string_view name,
                      std::span<const Label> labels) const {
  std::vector<uint64_t> counts;
  double sum = 0;
  {
    std::lock_guard lock(mu_);
    counts = counts_;
    sum = sum_;
  }
  writer.Histogram(name, labels, bounds_, counts, sum);
}

CompileStats::CompileStats() : duration_({0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120}) {}

void CompileStats::Record(bool success, bool cached, std::chrono::milliseconds duration) {
  if (cached) {
    cached_.fetch_add(1);
    return;
  }
  (success ? success_ : failure_).fetch_add(1);
  duration_.Observe(static_cast<double>(duration.count()) / 1000.0);
}

void CompileStats::Collect(MetricsWriter& writer) const {
  writer.Family("edgegate_compiles_total", "counter",
                "Handler builds by result (cached: no compiler ran)");
  const std::pair<const char*, const std::atomic<uint64_t>*> results[] = {
      {"success", &success_}, {"failure", &failure_}, {"cached", &cached_}};
  for (const auto& [name, counter] : results) {
    Label label{"result", name};
    writer.Sample("edgegate_compiles_total", {&label, 1}, static_cast<double>(counter->load()));
  }
  writer.Family("edgegate_compile_duration_seconds", "histogram",
                "Duration of the handler builds that ran the compiler");
  duration_.Write(writer, "edgegate_compile_duration_seconds", {});
}

}  // namespace edgegate::telemetry
