// The Redis cache: one blocking hiredis context per actor worker. Every command goes through
// redisCommandArgv with explicit lengths, so keys and values are binary-safe and user data is
// never spliced into a format string. hiredis 0.14 speaks RESP2 over plain TCP only (no TLS).
//
// Errors: a context error (refused, reset, EOF, socket timeout) leaves the context unusable and is
// Unavailable, so the actor drops it and reconnects; an error reply on a healthy connection
// ("WRONGTYPE...", "ERR value is not an integer...") is BackendError with Redis's text.
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <array>
#include <initializer_list>
#include <span>
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

// One call as a single Redis command, and how its reply reads: what a batch pipelines.
struct Planned {
  enum class Reads { kValue, kNothing, kExisted, kCount, kSetTtl };
  Reads reads = Reads::kNothing;
  std::string_view op;
  // The command as hiredis takes it (redisCommandArgv, redisAppendCommandArgv).
  std::array<const char*, 5> argv{};
  std::array<size_t, 5> lengths{};
  int argc = 0;
  std::string number;  // SET's, INCRBY's or EXPIRE's number, which argv points into

  std::string Name() const { return std::string(argv[0], lengths[0]); }  // "GET", for errors
};

// The Planned command of `op`, in `out` (which must not move afterwards: argv may point into
// it). False if `op` is not a single command (expire with ttl 0, see Persist); InvalidArgument
// for a call that is wrong.
base::Result<bool> Plan(std::string_view op, const json::array& args, Planned& out) {
  using Reads = Planned::Reads;
  ASSIGN_OR_RETURN(std::string_view key, StringArg(args, 0, op, "key"));
  out.op = op;
  auto command = [&out](Reads reads, std::initializer_list<std::string_view> argv) {
    out.reads = reads;
    out.argc = 0;
    for (std::string_view a : argv) {
      out.argv[out.argc] = a.data();
      out.lengths[out.argc++] = a.size();
    }
    return true;
  };
  if (op == "get") {
    return command(Reads::kValue, {"GET", key});
  }
  if (op == "set") {  // SET key value [EX ttl]: a ttl of 0 stores without expiry
    ASSIGN_OR_RETURN(std::string_view value, StringArg(args, 1, "set", "value"));
    ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 2, "set", "ttl_seconds", 0));
    if (ttl < 0) {
      return base::InvalidArgument("set: ttl_seconds must not be negative");
    }
    out.number = std::to_string(ttl);
    return ttl > 0 ? command(Reads::kNothing, {"SET", key, value, "EX", out.number})
                   : command(Reads::kNothing, {"SET", key, value});
  }
  if (op == "del" || op == "exists") {
    return command(Reads::kExisted, {op == "del" ? "DEL" : "EXISTS", key});
  }
  if (op == "incr") {
    ASSIGN_OR_RETURN(int64_t by, IntArg(args, 1, op, "by", 1));
    out.number = std::to_string(by);
    return command(Reads::kCount, {"INCRBY", key, out.number});
  }
  if (op == "expire") {
    ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 1, "expire", "ttl_seconds"));
    if (ttl < 0) {
      return base::InvalidArgument("expire: ttl_seconds must not be negative");
    }
    if (ttl == 0) {
      return false;  // Persist: four commands in MULTI
    }
    out.number = std::to_string(ttl);
    return command(Reads::kSetTtl, {"EXPIRE", key, out.number});
  }
  return base::InvalidArgument("unknown cache operation '" + std::string(op) + "'");
}

// The result of a Planned command from its reply (an error reply is BackendError).
base::Result<json::value> Interpret(const Planned& p, const redisReply& r) {
  using Reads = Planned::Reads;
  if (r.type == REDIS_REPLY_ERROR) {
    return base::BackendError("redis: " + std::string(ReplyText(r)));
  }
  switch (p.reads) {
    case Reads::kValue:
      if (r.type == REDIS_REPLY_NIL) {
        return json::value(nullptr);
      }
      if (r.type != REDIS_REPLY_STRING) {
        return base::BackendError("redis: get: unexpected reply type " + std::to_string(r.type));
      }
      return json::value(json::string(ReplyText(r)));
    case Reads::kNothing:
      return json::value(nullptr);
    case Reads::kExisted: {
      ASSIGN_OR_RETURN(int64_t n, Integer(r, p.op));
      return json::value(n > 0);
    }
    case Reads::kCount: {
      ASSIGN_OR_RETURN(int64_t n, Integer(r, p.op));
      return json::value(n);
    }
    case Reads::kSetTtl: {
      ASSIGN_OR_RETURN(int64_t n, Integer(r, p.op));
      return json::value(n == 1);  // true if the key existed
    }
  }
  return base::Internal("redis: unreachable");
}

// Thread-compatible: the actor hands it to one worker thread at a time.
class RedisConnection final : public Connection {
 public:
  explicit RedisConnection(ContextPtr c) : c_(std::move(c)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    Planned p;
    ASSIGN_OR_RETURN(bool single, Plan(op, args, p));
    if (!single) {
      return Persist(args.at(0).as_string());  // Plan checked that the key is a string
    }
    ReplyPtr r(static_cast<redisReply*>(
        redisCommandArgv(c_.get(), p.argc, p.argv.data(), p.lengths.data())));
    if (r == nullptr) {
      return ContextError(*c_, p.Name() + " failed");
    }
    return Interpret(p, *r);
  }

  // Pipelined: the commands of a run of single-command calls are written together and their
  // replies read together. A call that is wrong answers its error and sends nothing; expire with
  // ttl 0 (MULTI...EXEC) runs on its own after the replies before it are read.
  void CallBatch(std::span<const BatchCall> calls,
                 std::span<base::Result<json::value>> results) override {
    std::vector<Planned> plans(calls.size());  // never resized: argv points into its elements
    std::vector<size_t> pending;               // indexes whose commands are written, unread
    auto read_pending = [&]() -> bool {
      for (size_t k = 0; k < pending.size(); ++k) {
        void* raw = nullptr;
        if (redisGetReply(c_.get(), &raw) != REDIS_OK) {
          base::Status broken =
              ContextError(*c_, "pipelined " + plans[pending[k]].Name() + " failed");
          for (size_t j = k; j < pending.size(); ++j) {
            results[pending[j]] = broken;
          }
          pending.clear();
          return false;
        }
        ReplyPtr r(static_cast<redisReply*>(raw));
        results[pending[k]] = Interpret(plans[pending[k]], *r);
      }
      pending.clear();
      return true;
    };
    auto fail_from = [&](size_t i) {  // the context is broken: nothing from `i` on is sent
      for (size_t j = i; j < calls.size(); ++j) {
        results[j] = ContextError(*c_, "not sent");
      }
    };
    for (size_t i = 0; i < calls.size(); ++i) {
      base::Result<bool> single = Plan(calls[i].op, *calls[i].args, plans[i]);
      if (!single.ok()) {
        results[i] = single.status();
        continue;
      }
      if (!*single) {
        if (!read_pending()) {
          return fail_from(i);
        }
        results[i] = Persist(calls[i].args->at(0).as_string());  // Plan checked the key
        if (!results[i].ok() && results[i].status().code() == base::Code::kUnavailable) {
          return fail_from(i + 1);
        }
        continue;
      }
      if (redisAppendCommandArgv(c_.get(), plans[i].argc, plans[i].argv.data(),
                                 plans[i].lengths.data()) != REDIS_OK) {
        results[i] = ContextError(*c_, plans[i].Name() + " failed");
        read_pending();
        return fail_from(i + 1);
      }
      pending.push_back(i);
    }
    read_pending();
  }

  base::Status Ping() override {
    ASSIGN_OR_RETURN(ReplyPtr r, Command(*c_, {"PING"}));
    if (r->type != REDIS_REPLY_STATUS || ReplyText(*r) != "PONG") {
      return base::BackendError("redis: PING: unexpected reply");
    }
    return base::OkStatus();
  }

 private:
  // MULTI / EXISTS / PERSIST / EXEC: atomically "did it exist" and "drop its expiry". This is
  // expire with ttl 0, as `set` with ttl 0 and the memory cache do, where Redis's own EXPIRE 0
  // would delete the key. True if the key existed.
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
  // max_batch: a worker pipelines up to 16 queued calls on its connection.
  static const ServiceType type{.name = "redis", .kind = Kind::kCache, .keys = kKeys,
                                .connect = Connect, .max_batch = 16};
  return type;
}

}  // namespace edgegate::services::backends
