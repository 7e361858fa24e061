// The embedded cache: an in-process LRU with TTL, sharded by key hash so that loops calling it
// at the same time rarely share a lock. Its calls never block, so the actor runs them on the
// caller's thread (ServiceType::inline_calls) instead of handing them to a worker thread.
#include <charconv>
#include <chrono>
#include <list>
#include <mutex>
#include <unordered_map>

#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr ConfigKey kKeys[] = {
    {.name = "max_entries", .type = KeyType::kInt, .min = 1, .max = 100'000'000},
    {.name = "max_memory_mb", .type = KeyType::kInt, .min = 1, .max = 1'000'000},
};

constexpr size_t kShards = 16;

class MemoryCache final : public Connection {
 public:
  MemoryCache(size_t max_entries, size_t max_bytes)
      : max_entries_(std::max<size_t>(1, max_entries / kShards)),
        max_bytes_(std::max<size_t>(1, max_bytes / kShards)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    std::vector<ArgView> views;
    std::vector<std::string> json_texts;
    ToArgViews(args, views, json_texts);
    ASSIGN_OR_RETURN(ScalarReply reply, CallScalar(op, views));
    return ToJson(reply);
  }

  // Every reply is a scalar: handlers' calls take this path (inline, no Boost.JSON).
  base::Result<ScalarReply> CallScalar(std::string_view op,
                                       std::span<const ArgView> args) override {
    ASSIGN_OR_RETURN(std::string_view raw_key, StringArg(args, 0, op, "key"));
    const Key key{raw_key, KeyHash{}(raw_key)};  // hashed once: for the shard and for its map
    Shard& shard = shards_[key.hash % kShards];
    std::lock_guard lock(shard.mu);
    Clock::time_point now = Clock::now();
    Entry* e = Find(shard, key, now);
    if (op == "get") {
      return e ? ScalarReply::String(e->value) : ScalarReply::Null();
    }
    if (op == "exists") {
      return ScalarReply::Bool(e != nullptr);
    }
    if (op == "del") {
      if (e) {
        Erase(shard, key);
      }
      return ScalarReply::Bool(e != nullptr);
    }
    if (op == "set") {
      ASSIGN_OR_RETURN(std::string_view value, StringArg(args, 1, op, "value"));
      ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 2, op, "ttl_seconds", 0));
      if (ttl < 0) {
        return base::InvalidArgument("set: ttl_seconds must not be negative");
      }
      Put(shard, key, std::string(value), ttl, now);
      return ScalarReply::Null();
    }
    if (op == "incr") {
      ASSIGN_OR_RETURN(int64_t by, IntArg(args, 1, op, "by", 1));
      int64_t current = 0;
      if (e) {
        auto [ptr, ec] = std::from_chars(e->value.data(), e->value.data() + e->value.size(), current);
        if (ec != std::errc() || ptr != e->value.data() + e->value.size()) {
          return base::BackendError("incr: the value of '" + std::string(key.text) +
                                    "' is not an integer");
        }
      }
      if ((by > 0 && current > INT64_MAX - by) || (by < 0 && current < INT64_MIN - by)) {
        return base::BackendError("incr: overflow");
      }
      current += by;
      if (e) {
        shard.bytes += std::to_string(current).size() - e->value.size();
        e->value = std::to_string(current);
        Touch(shard, *e);
      } else {
        Put(shard, key, std::to_string(current), 0, now);
      }
      return ScalarReply::Int(current);
    }
    if (op == "expire") {
      ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 1, op, "ttl_seconds"));
      if (e) {
        e->expires = ttl > 0 ? now + std::chrono::seconds(ttl) : Clock::time_point::max();
      }
      return ScalarReply::Bool(e != nullptr);
    }
    return base::InvalidArgument("unknown cache operation '" + std::string(op) + "'");
  }

  base::Status Ping() override { return base::OkStatus(); }

 private:
  // A key with its hash, computed once per call: lookups in a shard's map hash nothing.
  struct Key {
    std::string_view text;
    size_t hash;
  };
  // Hashes stored keys (on insert) and takes a Key's hash as it is; equal keys hash alike.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    size_t operator()(const Key& k) const { return k.hash; }
  };
  struct KeyEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
    bool operator()(const Key& a, std::string_view b) const { return a.text == b; }
    bool operator()(std::string_view a, const Key& b) const { return a == b.text; }
  };
  struct Entry {
    std::string value;
    Clock::time_point expires;
    std::list<std::string>::iterator lru;  // position in the shard's LRU list (front = newest)
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry, KeyHash, KeyEqual> map;
    std::list<std::string> lru;
    size_t bytes = 0;
  };

  Entry* Find(Shard& shard, const Key& key, Clock::time_point now) {
    auto it = shard.map.find(key);
    if (it == shard.map.end()) {
      return nullptr;
    }
    if (it->second.expires <= now) {
      Erase(shard, key);
      return nullptr;
    }
    Touch(shard, it->second);
    return &it->second;
  }

  void Touch(Shard& shard, Entry& e) { shard.lru.splice(shard.lru.begin(), shard.lru, e.lru); }

  void Erase(Shard& shard, const Key& key) {
    auto it = shard.map.find(key);
    shard.bytes -= it->first.size() + it->second.value.size();
    shard.lru.erase(it->second.lru);
    shard.map.erase(it);
  }

  void Put(Shard& shard, const Key& key, std::string value, int64_t ttl,
           Clock::time_point now) {
    if (shard.map.contains(key)) {
      Erase(shard, key);
    }
    shard.lru.emplace_front(key.text);
    shard.bytes += key.text.size() + value.size();
    Entry e{std::move(value),
            ttl > 0 ? now + std::chrono::seconds(ttl) : Clock::time_point::max(),
            shard.lru.begin()};
    shard.map.emplace(std::string(key.text), std::move(e));
    while ((shard.map.size() > max_entries_ || shard.bytes > max_bytes_) && shard.map.size() > 1) {
      const std::string& oldest = shard.lru.back();  // least recently used
      Erase(shard, Key{oldest, KeyHash{}(oldest)});
    }
  }

  const size_t max_entries_;
  const size_t max_bytes_;
  Shard shards_[kShards];
};

}  // namespace

const ServiceType& MemoryType() {
  static const ServiceType type{
      "memory", Kind::kCache, kKeys,
      [](const json::object& config) -> base::Result<std::unique_ptr<Connection>> {
        return std::unique_ptr<Connection>(std::make_unique<MemoryCache>(
            ConfigInt(config, "max_entries", 100'000),
            ConfigInt(config, "max_memory_mb", 64) * 1024 * 1024));
      },
      /*inline_calls=*/true, /*default_pool_size=*/1};
  return type;
}

}  // namespace edgegate::services::backends
