// The logs route: validation, paging, and the SSE tail loop.
#include "admin/logs_api.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <memory>

#include "http/stream.h"

namespace edgegate::admin {
namespace json = boost::json;

namespace {

constexpr size_t kDefaultLimit = 100;
constexpr size_t kMaxLimit = 1000;

// Parses a whole unsigned decimal; false on anything else.
bool ParseUint(std::string_view text, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

json::object EntryJson(const telemetry::LogEntry& e) {
  return json::object{
      {"seq", e.seq},
      {"time", telemetry::FormatRfc3339(e.time_ms)},
      {"level", telemetry::LogLevelName(e.level)},
      {"source", telemetry::LogSourceName(e.source)},
      {"request_id", e.request_id.empty() ? json::value(nullptr) : json::value(e.request_id)},
      {"version", e.version == 0 ? json::value(nullptr) : json::value(e.version)},
      {"message", e.message}};
}

// The validated query of one logs request.
struct LogQuery {
  std::optional<uint64_t> since;  // absent: the newest `limit` entries
  size_t limit = kDefaultLimit;
  bool follow = false;
};

base::Result<LogQuery> ParseQuery(const AdminCall& call) {
  LogQuery q;
  if (auto since = call.query("since")) {
    uint64_t value = 0;
    if (!ParseUint(*since, &value)) {
      return base::FieldError("since", "since must be a non-negative integer (a seq)");
    }
    q.since = value;
  }
  if (auto limit = call.query("limit")) {
    uint64_t value = 0;
    if (!ParseUint(*limit, &value) || value < 1 || value > kMaxLimit) {
      return base::FieldError("limit", "limit must be an integer from 1 to 1000");
    }
    q.limit = static_cast<size_t>(value);
  }
  if (auto follow = call.query("follow")) {
    if (*follow != "1" && *follow != "true" && *follow != "0" && *follow != "false") {
      return base::FieldError("follow", "follow must be 1, true, 0 or false");
    }
    q.follow = *follow == "1" || *follow == "true";
  }
  return q;
}

// Unsubscribes when the tail ends, however it ends.
class Subscription {
 public:
  Subscription(telemetry::EndpointLog& log, std::function<void()> waker)
      : log_(log), id_(log.Subscribe(std::move(waker))) {}
  ~Subscription() { log_.Unsubscribe(id_); }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  telemetry::EndpointLog& log_;
  const uint64_t id_;
};

class LogRoutes {
 public:
  LogRoutes(store::Store& store, telemetry::LogHub& logs, LogRoutesOptions options)
      : store_(store), logs_(logs), options_(options) {}

  Reply Get(AdminCall& call) {
    std::string id = call.param("id");
    if (base::Status found = store_.GetEndpoint(id).status(); !found.ok()) {
      return Error(found);
    }
    auto query = ParseQuery(call);
    if (!query.ok()) return Error(query.status());
    std::shared_ptr<telemetry::EndpointLog> log = logs_.ForEndpoint(id);
    uint64_t since = StartSeq(*log, *query, call);
    if (query->follow && call.request.stream != nullptr) {
      return Follow(call, id, log, since);
    }
    telemetry::LogPage page = log->Read(since, query->limit);
    json::array entries;
    for (const auto& e : page.entries) entries.push_back(EntryJson(e));
    return Ok(json::object{{"entries", std::move(entries)},
                           {"next_since", page.next_since},
                           {"dropped", page.dropped},
                           {"reset", page.reset}});
  }

 private:
  // `since`, else the Last-Event-ID of a reconnecting EventSource (follow), else just before the
  // newest `limit` entries.
  static uint64_t StartSeq(const telemetry::EndpointLog& log, const LogQuery& q,
                           const AdminCall& call) {
    uint64_t last_event = 0;
    if (q.follow && ParseUint(call.header("last-event-id"), &last_event)) {
      return last_event;
    }
    if (q.since) {
      return *q.since;
    }
    uint64_t last = log.last_seq();
    return last > q.limit ? last - q.limit : 0;
  }

  Reply Follow(AdminCall& call, const std::string& id,
               const std::shared_ptr<telemetry::EndpointLog>& log, uint64_t since) {
    if (open_tails_ >= options_.max_tails) {
      return Error(503, "too many open log tails (" + std::to_string(options_.max_tails) + ")");
    }
    ++open_tails_;
    Tail(*call.request.stream, id, *log, since);
    --open_tails_;
    return Ok(nullptr);  // not sent: the stream was the answer
  }

  // Sends the entries after `since`, then every new one as it arrives, until the client leaves,
  // the gateway shuts down or the endpoint is deleted.
  void Tail(http::ResponseStream& stream, const std::string& id, telemetry::EndpointLog& log,
            uint64_t since) {
    const http::Header headers[] = {{"Content-Type", "text/event-stream"},
                                    {"Cache-Control", "no-cache"},
                                    {"X-Accel-Buffering", "no"}};
    if (!stream.Begin(200, headers)) return;
    Subscription subscription(log, stream.Waker());  // before the first read: no entry missed
    std::string events = "retry: 2000\n\n";
    for (;;) {
      telemetry::LogPage page = log.Read(since, kMaxLimit);
      for (const auto& e : page.entries) {
        events.append("id: ").append(std::to_string(e.seq)).append("\ndata: ");
        events.append(telemetry::LogEntryJson(e)).append("\n\n");
      }
      since = page.next_since;
      if (!events.empty() && !stream.Write(events)) return;
      events.clear();
      if (page.entries.size() == kMaxLimit) continue;  // more backlog
      if (logs_.Find(id).get() != &log) {
        stream.Write("event: deleted\ndata: {}\n\n");
        return;
      }
      switch (stream.Wait(options_.heartbeat)) {
        case http::ResponseStream::WaitResult::kClosed:
          return;
        case http::ResponseStream::WaitResult::kTimeout:
          events = ": heartbeat\n\n";
          break;
        case http::ResponseStream::WaitResult::kWoken:
          break;
      }
    }
  }

  store::Store& store_;
  telemetry::LogHub& logs_;
  const LogRoutesOptions options_;
  int open_tails_ = 0;  // loop-affine (the admin loop)
};

}  // namespace

void AddLogRoutes(AdminRoutes& routes, store::Store& store, telemetry::LogHub& logs,
                  LogRoutesOptions options) {
  auto r = std::make_shared<LogRoutes>(store, logs, options);
  routes.Add("GET", "/api/endpoints/{id}/logs", "endpoints:read",
             [r](AdminCall& call) { return r->Get(call); });
}

}  // namespace edgegate::admin
