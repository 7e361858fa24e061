// The Redis cache: one blocking hiredis context per actor worker. Every command goes through
// redisCommandArgv with explicit lengths, so keys and values are binary-safe and user data is
// never spliced into a format string. hiredis 0.14 speaks RESP2 over plain TCP only (no TLS).
//
// Errors: a context error (refused, reset, EOF, socket timeout) leaves the context unusable and is
// Unavailable, so the actor drops it and reconnects; an error reply on a healthy connection
// ("WRONGTYPE...", "ERR value is not an integer...") is BackendError with Redis's text.
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <initializer_list>
#include <vector>

#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

constexpr ConfigKey kKeys[] = {
    {.name = "host", .type = KeyType::kString},
    {.name = "port", .type = KeyType::kInt, .min = 1, .max = 65535},
    {.name = "password", .type = KeyType::kString, .secret = true},
    {.name = "database", .type = KeyType::kInt, .min = 0, .max = 1'000'000},
    {.name = "use_tls", .type = KeyType::kBool},
};

constexpr int64_t kDefaultTimeoutMs = 5000;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(int64_t ms) {
  return timeval{.tv_sec = static_cast<time_t>(ms / 1000),
                 .tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000)};
}

std::string_view ReplyText(const redisReply& r) { return {r.str, r.len}; }

// Unavailable "redis: <what>: <hiredis reason>" for a context that failed (it stays unusable).
base::Status ContextError(const redisContext& c, std::string_view what) {
  return base::Unavailable("redis: " + std::string(what) + ": " + c.errstr);
}

// Sends one command (binary-safe argv) and returns its reply. Unavailable on a context error,
// BackendError "redis: <Redis's message>" on an error reply.
base::Result<ReplyPtr> Command(redisContext& c, std::initializer_list<std::string_view> argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (std::string_view a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(&c, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
  if (reply == nullptr) {
    return ContextError(c, std::string(*argv.begin()) + " failed");
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return base::BackendError("redis: " + std::string(ReplyText(*reply)));
  }
  return reply;
}

// The integer of an integer reply; BackendError for any other reply type.
base::Result<int64_t> Integer(const redisReply& r, std::string_view op) {
  if (r.type != REDIS_REPLY_INTEGER) {
    return base::BackendError("redis: " + std::string(op) + ": unexpected reply type " +
                              std::to_string(r.type));
  }
  return static_cast<int64_t>(r.integer);
}

// Thread-compatible: the actor hands it to one worker thread at a time.
class RedisConnection final : public Connection {
 public:
  explicit RedisConnection(ContextPtr c) : c_(std::move(c)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    ASSIGN_OR_RETURN(std::string_view key, StringArg(args, 0, op, "key"));
    if (op == "get") {
      return Get(key);
    }
    if (op == "set") {
      return Set(key, args);
    }
    if (op == "del" || op == "exists") {
      ASSIGN_OR_RETURN(ReplyPtr r, Command(*c_, {op == "del" ? "DEL" : "EXISTS", key}));
      ASSIGN_OR_RETURN(int64_t n, Integer(*r, op));
      return json::value(n > 0);
    }
    if (op == "incr") {
      ASSIGN_OR_RETURN(int64_t by, IntArg(args, 1, op, "by", 1));
      std::string by_text = std::to_string(by);
      ASSIGN_OR_RETURN(ReplyPtr r, Command(*c_, {"INCRBY", key, by_text}));
      ASSIGN_OR_RETURN(int64_t n, Integer(*r, op));
      return json::value(n);
    }
    if (op == "expire") {
      return Expire(key, args);
    }
    return base::InvalidArgument("unknown cache operation '" + std::string(op) + "'");
  }

  base::Status Ping() override {
    ASSIGN_OR_RETURN(ReplyPtr r, Command(*c_, {"PING"}));
    if (r->type != REDIS_REPLY_STATUS || ReplyText(*r) != "PONG") {
      return base::BackendError("redis: PING: unexpected reply");
    }
    return base::OkStatus();
  }

 private:
  base::Result<json::value> Get(std::string_view key) {
    ASSIGN_OR_RETURN(ReplyPtr r, Command(*c_, {"GET", key}));
    if (r->type == REDIS_REPLY_NIL) {
      return json::value(nullptr);
    }
    if (r->type != REDIS_REPLY_STRING) {
      return base::BackendError("redis: get: unexpected reply type " + std::to_string(r->type));
    }
    return json::value(json::string(ReplyText(*r)));
  }

  // SET key value [EX ttl]: a ttl of 0 stores without expiry (and clears an earlier one).
  base::Result<json::value> Set(std::string_view key, const json::array& args) {
    ASSIGN_OR_RETURN(std::string_view value, StringArg(args, 1, "set", "value"));
    ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 2, "set", "ttl_seconds", 0));
    if (ttl < 0) {
      return base::InvalidArgument("set: ttl_seconds must not be negative");
    }
    std::string ttl_text = std::to_string(ttl);
    base::Result<ReplyPtr> r = ttl > 0 ? Command(*c_, {"SET", key, value, "EX", ttl_text})
                                       : Command(*c_, {"SET", key, value});
    RETURN_IF_ERROR(r.status());
    return json::value(nullptr);
  }

  // EXPIRE key ttl; a ttl of 0 removes the expiry (as `set` with ttl 0 and the memory cache do,
  // where Redis's own EXPIRE 0 would delete the key). True if the key existed.
  base::Result<json::value> Expire(std::string_view key, const json::array& args) {
    ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 1, "expire", "ttl_seconds"));
    if (ttl < 0) {
      return base::InvalidArgument("expire: ttl_seconds must not be negative");
    }
    if (ttl > 0) {
      std::string ttl_text = std::to_string(ttl);
      ASSIGN_OR_RETURN(ReplyPtr r, Command(*c_, {"EXPIRE", key, ttl_text}));
      ASSIGN_OR_RETURN(int64_t n, Integer(*r, "expire"));
      return json::value(n == 1);
    }
    return Persist(key);
  }

  // MULTI / EXISTS / PERSIST / EXEC: atomically "did it exist" and "drop its expiry".
  base::Result<json::value> Persist(std::string_view key) {
    RETURN_IF_ERROR(Command(*c_, {"MULTI"}).status());
    RETURN_IF_ERROR(Command(*c_, {"EXISTS", key}).status());
    RETURN_IF_ERROR(Command(*c_, {"PERSIST", key}).status());
    ASSIGN_OR_RETURN(ReplyPtr r, Command(*c_, {"EXEC"}));
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      return base::BackendError("redis: expire: unexpected EXEC reply");
    }
    ASSIGN_OR_RETURN(int64_t existed, Integer(*r->element[0], "expire"));
    return json::value(existed > 0);
  }

  ContextPtr c_;
};

// Runs a connect-time command; any failure (context error or error reply such as WRONGPASS or
// "DB index is out of range") means this connection cannot be used: Unavailable with the reason.
base::Status Setup(redisContext& c, std::initializer_list<std::string_view> argv,
                   std::string_view what) {
  base::Result<ReplyPtr> r = Command(c, argv);
  if (r.ok()) {
    return base::OkStatus();
  }
  base::Status failed = r.status();
  std::string_view reason = failed.message();
  reason.remove_prefix(reason.starts_with("redis: ") ? 7 : 0);
  return base::Unavailable("redis: " + std::string(what) + ": " + std::string(reason));
}

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  if (ConfigBool(config, "use_tls", false)) {
    return base::FieldError("config.use_tls",
                            "config.use_tls: TLS is not supported (hiredis 0.14 has no TLS); "
                            "use a TLS tunnel and set use_tls to false");
  }
  std::string host = ConfigString(config, "host", "127.0.0.1");
  int port = static_cast<int>(ConfigInt(config, "port", 6379));
  timeval tv = ToTimeval(ConfigInt(config, "timeout_ms", kDefaultTimeoutMs));
  ContextPtr c(redisConnectWithTimeout(host.c_str(), port, tv));
  std::string where = host + ":" + std::to_string(port);
  if (c == nullptr) {
    return base::Unavailable("redis: cannot connect to " + where + ": out of memory");
  }
  if (c->err != 0 || redisSetTimeout(c.get(), tv) != REDIS_OK) {
    return ContextError(*c, "cannot connect to " + where);
  }
  std::string password = ConfigString(config, "password");
  if (!password.empty()) {
    RETURN_IF_ERROR(Setup(*c, {"AUTH", password}, "AUTH at " + where));
  }
  // Always SELECT (even database 0): a round trip that proves a Redis answers before we report
  // the connection as open.
  std::string database = std::to_string(ConfigInt(config, "database", 0));
  RETURN_IF_ERROR(Setup(*c, {"SELECT", database}, "SELECT " + database + " at " + where));
  return std::unique_ptr<Connection>(std::make_unique<RedisConnection>(std::move(c)));
}

}  // namespace

const ServiceType& RedisType() {
  static const ServiceType type{"redis", Kind::kCache, kKeys, Connect};
  return type;
}

}  // namespace edgegate::services::backends
