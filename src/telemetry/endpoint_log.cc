// The bounded per-endpoint log buffer and its hub.
#include "telemetry/endpoint_log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "telemetry/json_text.h"

namespace edgegate::telemetry {
namespace {

constexpr size_t kEntryOverhead = sizeof(LogEntry);  // counted per entry against max_bytes

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `message` cut to at most `max` bytes, on a UTF-8 boundary, with "…" appended when cut.
std::string Truncate(std::string_view message, size_t max) {
  if (message.size() <= max) {
    return std::string(message);
  }
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(message.substr(0, end)) + "\xE2\x80\xA6";
}

}  // namespace

std::string_view LogSourceName(LogSource source) {
  switch (source) {
    case LogSource::kHandler: return "handler";
    case LogSource::kCompile: return "compile";
    case LogSource::kLifecycle: return "lifecycle";
  }
  return "lifecycle";
}

std::string FormatRfc3339(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return buf;
}

std::string LogEntryJson(const LogEntry& e) {
  std::string out = "{\"seq\":";
  AppendInt(out, static_cast<int64_t>(e.seq));
  out.append(",\"time\":\"").append(FormatRfc3339(e.time_ms));
  out.append("\",\"level\":\"").append(LogLevelName(e.level));
  out.append("\",\"source\":\"").append(LogSourceName(e.source)).append("\",\"request_id\":");
  if (e.request_id.empty()) {
    out.append("null");
  } else {
    AppendJsonString(out, e.request_id);
  }
  out.append(",\"version\":");
  if (e.version == 0) {
    out.append("null");
  } else {
    AppendInt(out, e.version);
  }
  out.append(",\"message\":");
  AppendJsonString(out, e.message);
  out.push_back('}');
  return out;
}

size_t EndpointLog::CostOf(const LogEntry& entry) {
  return kEntryOverhead + entry.message.size() + entry.request_id.size();
}

void EndpointLog::Append(LogLevel level, LogSource source, std::string_view message,
                         int64_t version, std::string_view request_id) {
  LogEntry entry;
  entry.time_ms = NowUnixMs();
  entry.level = level;
  entry.source = source;
  entry.request_id = std::string(request_id);
  entry.version = version;
  entry.message = Truncate(message, limits_.max_message_bytes);
  size_t cost = CostOf(entry);
  std::lock_guard lock(mu_);
  entry.seq = next_seq_++;
  entries_.push_back(std::move(entry));
  bytes_ += cost;
  while (entries_.size() > 1 &&
         (entries_.size() > limits_.max_entries || bytes_ > limits_.max_bytes)) {
    bytes_ -= CostOf(entries_.front());
    entries_.pop_front();
    ++dropped_;
  }
  for (auto& [id, waker] : subscribers_) {
    waker();
  }
}

LogPage EndpointLog::Read(uint64_t since, size_t limit) const {
  LogPage page;
  std::lock_guard lock(mu_);
  page.dropped = dropped_;
  if (since >= next_seq_) {
    page.reset = true;
    since = 0;
  }
  page.next_since = since;
  // Entries are contiguous in seq: the first one with seq > since is at a computable index.
  size_t start = 0;
  if (!entries_.empty() && since >= entries_.front().seq) {
    start = static_cast<size_t>(since - entries_.front().seq + 1);
  }
  for (size_t i = start; i < entries_.size() && page.entries.size() < limit; ++i) {
    page.entries.push_back(entries_[i]);
    page.next_since = entries_[i].seq;
  }
  return page;
}

uint64_t EndpointLog::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

uint64_t EndpointLog::Subscribe(Waker waker) {
  std::lock_guard lock(mu_);
  uint64_t id = next_subscriber_++;
  subscribers_.emplace_back(id, std::move(waker));
  return id;
}

void EndpointLog::Unsubscribe(uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(subscribers_, [id](const auto& s) { return s.first == id; });
}

std::shared_ptr<EndpointLog> LogHub::ForEndpoint(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  auto& log = logs_[endpoint_id];
  if (!log) {
    log = std::make_shared<EndpointLog>(limits_);
  }
  return log;
}

std::shared_ptr<EndpointLog> LogHub::Find(const std::string& endpoint_id) const {
  std::lock_guard lock(mu_);
  auto it = logs_.find(endpoint_id);
  return it == logs_.end() ? nullptr : it->second;
}

void LogHub::Append(const std::string& endpoint_id, LogLevel level, LogSource source,
                    std::string_view message, int64_t version) {
  ForEndpoint(endpoint_id)->Append(level, source, message, version);
}

void LogHub::Remove(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  logs_.erase(endpoint_id);
}

}  // namespace edgegate::telemetry
