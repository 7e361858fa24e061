// Per-endpoint logs: what handlers write with ctx.log, compile output and lifecycle events, kept
// in memory in a bounded buffer per endpoint (bounded by entries and by bytes; the oldest entries
// are dropped first and counted). Readers page through it by sequence number (`since`), and live
// tails subscribe to be woken when an entry arrives.
//
// Why a buffer per endpoint with its own mutex: ctx.log runs on the data-plane loops, and
// endpoints must not contend with each other; one endpoint's writers share one short critical
// section (an append to a deque). LogHub's map is touched only when a slot is created or an
// endpoint deleted, never per request.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/log.h"

namespace edgegate::telemetry {

using base::LogLevel;      // the process log's levels (base/log.h)
using base::LogLevelName;  // "debug" | "info" | "warn" | "error"

enum class LogSource { kHandler, kCompile, kLifecycle };

std::string_view LogSourceName(LogSource source);  // "handler" | "compile" | "lifecycle"

struct LogEntry {
  uint64_t seq = 0;      // per endpoint, from 1, strictly increasing
  int64_t time_ms = 0;   // unix ms (wall clock)
  LogLevel level = LogLevel::kInfo;
  LogSource source = LogSource::kLifecycle;
  std::string request_id;  // handler lines only
  int64_t version = 0;     // handler version the entry is about; 0 = none
  std::string message;
};

// `entry` as one JSON object: {seq, time (RFC 3339 UTC, ms), level, source, request_id (null
// unless set), version (null if 0), message}.
std::string LogEntryJson(const LogEntry& entry);
// "2026-11-26T11:34:51.123Z".
std::string FormatRfc3339(int64_t unix_ms);

struct LogLimits {
  size_t max_entries = 1000;         // per endpoint
  size_t max_bytes = 256 * 1024;     // per endpoint, messages + request ids + fixed overhead
  size_t max_message_bytes = 4096;   // longer messages are cut (and marked with "…")
};

// One page of an endpoint's log.
struct LogPage {
  std::vector<LogEntry> entries;  // seq > since, oldest first
  uint64_t next_since = 0;        // pass as `since` to continue (last entry's seq, or since)
  uint64_t dropped = 0;           // entries evicted by the bounds since the buffer was created
  bool reset = false;             // `since` was beyond the newest entry (a cursor from before a
                                  // restart): the page starts from the oldest entry instead
};

// The log of one endpoint. Thread-safe.
class EndpointLog {
 public:
  using Waker = std::function<void()>;

  explicit EndpointLog(const LogLimits& limits) : limits_(limits) {}

  // Appends an entry stamped with the next seq and the current time, evicting the oldest ones
  // beyond the bounds, then calls every subscriber's waker (under the lock: a waker must be
  // cheap and must not call back into this log).
  void Append(LogLevel level, LogSource source, std::string_view message, int64_t version = 0,
              std::string_view request_id = {});
  // Entries with seq > since, oldest first, at most `limit`.
  LogPage Read(uint64_t since, size_t limit) const;
  uint64_t last_seq() const;

  // `waker` is called after every Append until Unsubscribe(id) returns (after which it is never
  // running or called again).
  uint64_t Subscribe(Waker waker);
  void Unsubscribe(uint64_t id);

 private:
  static size_t CostOf(const LogEntry& entry);

  const LogLimits limits_;
  mutable std::mutex mu_;
  std::deque<LogEntry> entries_;  // guarded by mu_
  size_t bytes_ = 0;              // guarded by mu_
  uint64_t next_seq_ = 1;         // guarded by mu_
  uint64_t dropped_ = 0;          // guarded by mu_
  uint64_t next_subscriber_ = 1;  // guarded by mu_
  std::vector<std::pair<uint64_t, Waker>> subscribers_;  // guarded by mu_
};

// The logs of every endpoint. Thread-safe.
class LogHub {
 public:
  explicit LogHub(const LogLimits& limits = {}) : limits_(limits) {}

  // The log of `endpoint_id`, created on first use. Holders keep it alive after Remove.
  std::shared_ptr<EndpointLog> ForEndpoint(const std::string& endpoint_id);
  // The log of `endpoint_id` if it exists.
  std::shared_ptr<EndpointLog> Find(const std::string& endpoint_id) const;
  // Convenience: ForEndpoint(endpoint_id)->Append(...).
  void Append(const std::string& endpoint_id, LogLevel level, LogSource source,
              std::string_view message, int64_t version = 0);
  // Forgets `endpoint_id`'s log (a deleted endpoint).
  void Remove(const std::string& endpoint_id);

 private:
  const LogLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<EndpointLog>> logs_;  // guarded by mu_
};

}  // namespace edgegate::telemetry
