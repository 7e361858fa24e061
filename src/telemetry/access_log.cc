// Access log formatting and the background writer.
#include "telemetry/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "telemetry/json_text.h"

namespace edgegate::telemetry {
namespace {

// "YYYY-MM-DDTHH:MM:SS" of `second` into `out` (at least 20 bytes).
void FormatSecond(int64_t second, char* out, size_t size) {
  std::time_t t = static_cast<std::time_t>(second);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
}

void WriteAll(int fd, const std::string& data) {
  size_t at = 0;
  while (at < data.size()) {
    ssize_t n = ::write(fd, data.data() + at, data.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk or a closed pipe: the lines are lost, nothing to retry
    at += static_cast<size_t>(n);
  }
}

}  // namespace

void AppendAccessLine(std::string& out, const AccessRecord& r, std::string_view time_prefix) {
  char second[24];
  if (time_prefix.empty()) {
    FormatSecond(r.time_ms / 1000, second, sizeof second);
    time_prefix = second;
  }
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(r.time_ms % 1000));
  out.append("{\"time\":\"").append(time_prefix).append(millis).append("\",\"request_id\":");
  AppendJsonString(out, r.request_id);
  out.append(",\"client_ip\":");
  AppendJsonString(out, r.client_ip);
  out.append(",\"method\":");
  AppendJsonString(out, r.method);
  out.append(",\"host\":");
  AppendJsonString(out, r.host);
  out.append(",\"path\":");
  AppendJsonString(out, r.path);
  out.append(",\"status\":");
  AppendInt(out, r.status);
  out.append(",\"bytes\":");
  AppendInt(out, static_cast<int64_t>(r.bytes));
  out.append(",\"duration_us\":");
  AppendInt(out, r.duration_us);
  out.append(",\"endpoint_id\":");
  if (r.endpoint_id.empty()) {
    out.append("null");
  } else {
    AppendJsonString(out, r.endpoint_id);
  }
  out.append(",\"version\":");
  if (r.version == 0) {
    out.append("null");
  } else {
    AppendInt(out, r.version);
  }
  out.append("}\n");
}

base::Result<std::unique_ptr<AccessLog>> AccessLog::Open(const AccessLogOptions& options) {
  if (options.path.empty()) {
    return base::FieldError("access-log", "--access-log needs '-' (stdout) or a file path");
  }
  if (options.path == "-") {
    return std::unique_ptr<AccessLog>(new AccessLog(options, STDOUT_FILENO, false));
  }
  int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return base::FieldError("access-log", "cannot open access log " + options.path + ": " +
                                              std::strerror(errno));
  }
  return std::unique_ptr<AccessLog>(new AccessLog(options, fd, true));
}

AccessLog::AccessLog(const AccessLogOptions& options, int fd, bool owns_fd)
    : options_(options),
      fd_(fd),
      owns_fd_(owns_fd),
      shard_limit_(std::max<size_t>(options.max_buffered_bytes / base::ShardedCounter::kShards,
                                    4096)),
      writer_([this] { WriterLoop(); }) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  writer_.join();
  Flush();
  if (owns_fd_) {
    ::close(fd_);
  }
}

void AccessLog::Write(base::ThreadShard shard, const AccessRecord& record) {
  Shard& s = shards_[shard.index];
  std::lock_guard lock(s.mu);
  if (s.buffer.size() >= shard_limit_) {
    dropped_.Add(shard);
    return;
  }
  int64_t second = record.time_ms / 1000;
  if (second != s.cached_second) {
    s.cached_second = second;
    FormatSecond(second, s.time_prefix, sizeof s.time_prefix);
  }
  AppendAccessLine(s.buffer, record, s.time_prefix);
}

void AccessLog::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  std::string batch;
  for (Shard& s : shards_) {
    {
      std::lock_guard lock(s.mu);
      if (s.buffer.empty()) continue;
      batch.swap(s.buffer);  // the shard keeps the capacity of the previous batch
    }
    uint64_t lines = static_cast<uint64_t>(std::count(batch.begin(), batch.end(), '\n'));
    WriteAll(fd_, batch);
    written_.fetch_add(lines);
    batch.clear();
  }
}

void AccessLog::WriterLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, options_.flush_interval, [this] { return stop_; });
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace edgegate::telemetry
