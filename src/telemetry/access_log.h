// The access log: one JSON line per data-plane request, written to stdout or a file.
//
// Why sharded buffers and a writer thread: the request path must never wait for the disk. A
// request formats its line into the buffer of its thread's shard (a mutex only the writer thread
// ever contends for); the writer thread swaps the shard buffers out every flush interval and
// writes them with one write(2) each. A shard whose buffer is full (the disk or the pipe cannot
// keep up) drops lines and counts them, so memory stays bounded.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/sharded_counter.h"
#include "base/status.h"

namespace edgegate::telemetry {

// One request as the access log records it. Views are only read during Write.
struct AccessRecord {
  int64_t time_ms = 0;  // unix ms when the request was served
  std::string_view request_id;
  std::string_view client_ip;
  std::string_view method;
  std::string_view host;
  std::string_view path;  // without the query string, unless the log is configured to keep it
  int status = 0;
  uint64_t bytes = 0;       // response body bytes
  int64_t duration_us = 0;  // from dispatch to the response being ready
  std::string_view endpoint_id;  // empty when no route matched
  int64_t version = 0;           // 0 when no handler version ran
};

// Appends `record` as one JSON line ending in '\n':
// {"time","request_id","client_ip","method","host","path","status","bytes","duration_us",
//  "endpoint_id","version"}; endpoint_id and version are null when absent. `time_prefix` is the
// cached "YYYY-MM-DDTHH:MM:SS" of the record's second (see AccessLog); empty = format it.
void AppendAccessLine(std::string& out, const AccessRecord& record,
                      std::string_view time_prefix = {});

struct AccessLogOptions {
  std::string path;                                // "-" = stdout, else a file (appended to)
  bool include_query = false;                      // log the target's query string too
  size_t max_buffered_bytes = 8 << 20;             // across all shards; beyond, lines drop
  std::chrono::milliseconds flush_interval{100};   // how often the writer thread writes
};

// Thread-safe. Owns the writer thread (last member).
class AccessLog {
 public:
  // Opens (creates, appends to) the file. InvalidArgument naming "access-log" if it cannot.
  static base::Result<std::unique_ptr<AccessLog>> Open(const AccessLogOptions& options);
  ~AccessLog();  // writes what is buffered, closes the file
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool include_query() const { return options_.include_query; }
  // Formats `record` into shard `shard`'s buffer (base::ShardedCounter::ShardOfThisThread()),
  // or drops it if that buffer is full. Never does I/O.
  void Write(base::ThreadShard shard, const AccessRecord& record);
  // Writes every buffered line now (tests, shutdown).
  void Flush();
  uint64_t dropped() const { return dropped_.Sum(); }
  uint64_t written() const { return written_.load(); }

 private:
  AccessLog(const AccessLogOptions& options, int fd, bool owns_fd);
  void WriterLoop();

  struct alignas(64) Shard {
    std::mutex mu;
    std::string buffer;        // guarded by mu
    int64_t cached_second = -1;  // guarded by mu: the second `time_prefix` is for
    char time_prefix[24] = {};   // guarded by mu
  };

  const AccessLogOptions options_;
  const int fd_;
  const bool owns_fd_;
  const size_t shard_limit_;
  std::array<Shard, base::ShardedCounter::kShards> shards_;
  base::ShardedCounter dropped_;
  std::atomic<uint64_t> written_{0};  // lines handed to write(2)
  std::mutex flush_mu_;  // one flush at a time (writer thread or Flush)
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;    // guarded by stop_mu_
  std::thread writer_;   // last: runs WriterLoop over the members above
};

}  // namespace edgegate::telemetry
