// What a service backend implements: a ServiceType (name, kind, config schema, connect) and the
// Connection it opens. The actor framework (actor.h) owns connections and calls them from its own
// threads, so a Connection may block (libpq, libmariadb, hiredis, libcurl), and is used by one
// thread at a time.
//
// Operations cross as (op name, arguments) with Boost.JSON values, so one message format serves
// every backend and the handler ABI stays small. Inline backends (the memory cache), called on
// the request's own thread, also take the arguments as views and answer a scalar (CallScalar),
// so that a handler's call to them converts nothing. Strings are byte strings: binary values
// travel in boost::json::string unchanged (they are never serialised as JSON text on this path).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "base/status.h"

namespace edgegate::services {

// An argument of an inline call (Connection::CallScalar): a view of the caller's data, valid
// during the call only.
struct ArgView {
  enum class Type { kNull, kBool, kInt, kDouble, kString, kJson };
  Type type = Type::kNull;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string_view text;  // kString: the bytes; kJson: the value as JSON text

  static ArgView String(std::string_view s) { return {Type::kString, false, 0, 0, s}; }
  static ArgView Int(int64_t i) { return {Type::kInt, false, i, 0, {}}; }
};

// The reply of an inline call: null, a bool, an integer or a string (bytes).
struct ScalarReply {
  enum class Type { kNull, kBool, kInt, kString };
  Type type = Type::kNull;
  bool boolean = false;
  int64_t integer = 0;
  std::string text;

  static ScalarReply Null() { return {}; }
  static ScalarReply Bool(bool b) { return {Type::kBool, b, 0, {}}; }
  static ScalarReply Int(int64_t i) { return {Type::kInt, false, i, {}}; }
  static ScalarReply String(std::string s) { return {Type::kString, false, 0, std::move(s)}; }
};

// How handlers reach a service: ctx.db / ctx.cache / ctx.storage / ctx.email / ctx.ftp.
enum class Kind { kDatabase, kCache, kStorage, kEmail, kFtp };
std::string_view KindName(Kind kind);  // "database", "cache", ...

// One open connection (or client handle) to a backend. Thread-compatible: the actor gives it to
// one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;

  // Runs operation `op` (see docs/services.md for the operations of each kind) and returns its
  // result. Blocking is fine. Errors:
  //  - InvalidArgument: the call itself is wrong (unknown op, wrong argument types, a storage
  //    key that leaves the root): the handler's fault, nothing was sent.
  //  - Unavailable: the connection is broken or the backend is unreachable; the actor drops the
  //    connection and reconnects with backoff. The message carries the backend's reason.
  //  - BackendError: the backend answered with an error on a healthy connection (SQL syntax
  //    error, constraint violation, S3 AccessDenied...); the message is the backend's own.
  //  - NotFound only where an operation documents it (none do today: "not found" is a result).
  virtual base::Result<boost::json::value> Call(std::string_view op,
                                                const boost::json::array& args) = 0;

  // The call path of inline backends (ServiceType::inline_calls): the same operation with the
  // caller's arguments as views and a scalar reply, so that a call from a handler builds no
  // Boost.JSON values (about a fifth of a memory-cache get's instructions when it did). This
  // default converts and runs Call (Internal for a reply other than null, a bool, an int64 or
  // a string); a backend with such replies overrides it and runs Call through it instead.
  virtual base::Result<ScalarReply> CallScalar(std::string_view op, std::span<const ArgView> args);

  // Runs several calls in order, as Call would one after the other, and puts their results in
  // `results` (one per call). Backends that can pipeline (ServiceType::max_batch > 1) send them
  // together and read the replies together: one round trip and one wake-up of the actor's thread
  // for several requests. Calls after one that found the connection broken (Unavailable) fail
  // Unavailable too. This default runs Call for each. REQUIRES: results.size() == calls.size().
  struct BatchCall {
    std::string_view op;
    const boost::json::array* args;
  };
  virtual void CallBatch(std::span<const BatchCall> calls,
                         std::span<base::Result<boost::json::value>> results);

  // A real round trip (SELECT 1, PING, NOOP...) for health checks and POST /api/services/{id}/test.
  virtual base::Status Ping() = 0;
};

// The JSON type of a config key.
enum class KeyType { kString, kInt, kBool, kStringList };

// One config key of a service type; declare tables with designated initializers
// ({.name = "port", .type = KeyType::kInt, .min = 1, .max = 65535}). Unknown keys and keys of the wrong type are refused (400
// naming the key); secret keys are never returned by the admin API.
struct ConfigKey {
  std::string_view name = {};
  KeyType type = KeyType::kString;
  bool required = false;
  bool secret = false;
  // For kInt: inclusive bounds. For kString: "a|b|c" restricts the value to those choices.
  int64_t min = 0;
  int64_t max = 0;
  std::string_view choices = {};
};

// A backend type ("postgres", "redis", ...). Static storage; thread-safe.
struct ServiceType {
  std::string_view name;
  Kind kind;
  std::span<const ConfigKey> keys;  // type-specific keys (pool_size, timeout_ms... are common)
  // Opens one connection with a validated config (defaults applied). Blocking; runs on an actor
  // thread. Unavailable with the backend's reason when it refuses (wrong password, no server).
  std::function<base::Result<std::unique_ptr<Connection>>(const boost::json::object& config)>
      connect;
  // True for in-process backends whose calls never block (the memory cache): the actor runs
  // their calls on the caller's thread instead of handing them to its own threads, through
  // Connection::CallScalar (views of the handler's arguments, a scalar reply).
  bool inline_calls = false;
  int64_t default_pool_size = 4;
  // How many queued calls one actor worker may take at once and hand to Connection::CallBatch.
  // Above 1 only for backends that pipeline (Redis, PostgreSQL): for the others a batch would run
  // calls one after another on one connection that the pool could have run side by side.
  int max_batch = 1;
  // Checks what the keys' types and bounds cannot (formats, keys that depend on each other), so
  // that a bad config is refused when it is stored, naming its field, not when it first
  // connects. Called by ValidateConfig on a config whose keys passed. Null: nothing more.
  base::Status (*validate)(const boost::json::object& config) = nullptr;
  // How batches form when max_batch > 1. False: a call queued while a woken worker has yet to
  // take its batch joins that batch instead of waking another worker, right for a server that
  // runs one command at a time (Redis), which loses nothing by it. True: an idle connection always
  // gets a call, and calls are batched only while every connection is busy, so that a slow
  // statement never holds up a call that a free connection could run beside it (PostgreSQL runs
  // the statements of one connection one after another).
  bool batch_only_when_busy = false;
};

// A real round trip on a fresh connection (not a pool's): connect, then Ping. Blocking.
base::Status TestConnection(const ServiceType& type, const boost::json::object& config);

// ---- Helpers for Connection implementations: typed access to call arguments ----

// The same for the arguments of CallScalar.
base::Result<std::string_view> StringArg(std::span<const ArgView> args, size_t i,
                                         std::string_view op, std::string_view what);
base::Result<int64_t> IntArg(std::span<const ArgView> args, size_t i, std::string_view op,
                             std::string_view what, std::optional<int64_t> fallback = {});
// Conversions between the two forms of a call. ToArgViews: views into `args` (which must
// outlive them); an array or object argument becomes kJson with `json_texts` holding its text.
void ToArgViews(const boost::json::array& args, std::vector<ArgView>& out,
                std::vector<std::string>& json_texts);
// ToJsonArgs: the values Call takes, a kJson argument parsed (InvalidArgument "argument <i> is
// not valid JSON: <why>" if it does not parse).
base::Result<boost::json::array> ToJsonArgs(std::span<const ArgView> args);
boost::json::value ToJson(const ScalarReply& reply);

// Argument `i` as a string (bytes), or InvalidArgument "<op>: argument <i> (<what>) must be a
// string".
base::Result<std::string_view> StringArg(const boost::json::array& args, size_t i,
                                         std::string_view op, std::string_view what);
// Argument `i` as an integer; `fallback` when absent or null.
base::Result<int64_t> IntArg(const boost::json::array& args, size_t i, std::string_view op,
                             std::string_view what, std::optional<int64_t> fallback = {});
// Storage keys and FTP paths: InvalidArgument "<what> <key>: ..." for an empty key, a leading
// '/', a '..' segment, a backslash, a NUL or control byte, or more than 1024 bytes.
base::Status CheckRelativeKey(std::string_view key, std::string_view what = "key");
// Config accessors; REQUIRE: the config was validated (the key has the right type or is absent).
std::string ConfigString(const boost::json::object& config, std::string_view key,
                         std::string_view fallback = "");
int64_t ConfigInt(const boost::json::object& config, std::string_view key, int64_t fallback);
bool ConfigBool(const boost::json::object& config, std::string_view key, bool fallback);

}  // namespace edgegate::services
