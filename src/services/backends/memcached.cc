// The Memcached cache: one libmemcached handle (memcached_st over all configured servers) per
// actor worker, speaking the binary protocol, which `expire` (TOUCH) and the atomic
// increment-with-initial-value of `incr` need.
//
// Memcached itself constrains the contract: keys are 1..250 bytes without spaces or control
// characters (refused here with InvalidArgument, as the text protocol and most clients require),
// counters are unsigned 64-bit (a negative `by` is refused: memcached's decrement stops at 0
// instead of going negative), and TTLs above 30 days are sent as absolute times, because
// memcached reads such a relative value as a Unix timestamp.
//
// libmemcached connects lazily, so Connect and Ping do a real GET round trip on every server.
#include <libmemcached/memcached.h>

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

constexpr ConfigKey kKeys[] = {
    {.name = "servers", .type = KeyType::kStringList},
};

constexpr int64_t kDefaultTimeoutMs = 5000;
constexpr std::string_view kDefaultServer = "127.0.0.1:11211";
constexpr size_t kMaxKeyBytes = 250;
constexpr int64_t kMaxRelativeTtl = 60 * 60 * 24 * 30;  // memcached: larger means a timestamp
constexpr std::string_view kPingKey = "edgegate:ping";

struct MemcachedDeleter {
  void operator()(memcached_st* m) const { memcached_free(m); }
};
using MemcachedPtr = std::unique_ptr<memcached_st, MemcachedDeleter>;

// Failures that mean the server is unreachable or the stream is broken: the actor reconnects.
bool IsConnectionFailure(memcached_return_t rc) {
  switch (rc) {
    case MEMCACHED_HOST_LOOKUP_FAILURE:
    case MEMCACHED_CONNECTION_FAILURE:
    case MEMCACHED_CONNECTION_BIND_FAILURE:
    case MEMCACHED_WRITE_FAILURE:
    case MEMCACHED_READ_FAILURE:
    case MEMCACHED_UNKNOWN_READ_FAILURE:
    case MEMCACHED_PROTOCOL_ERROR:
    case MEMCACHED_PARTIAL_READ:
    case MEMCACHED_SOME_ERRORS:
    case MEMCACHED_NO_SERVERS:
    case MEMCACHED_ERRNO:
    case MEMCACHED_FAIL_UNIX_SOCKET:
    case MEMCACHED_TIMEOUT:
    case MEMCACHED_SERVER_MARKED_DEAD:
    case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
    case MEMCACHED_AUTH_PROBLEM:
    case MEMCACHED_AUTH_FAILURE:
    case MEMCACHED_IN_PROGRESS:
      return true;
    default:
      return false;
  }
}

// The memcached key rule: 1..250 bytes, none of them a space or a control character.
base::Status CheckKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return base::InvalidArgument("memcached: a key must be 1 to 250 bytes long (got " +
                                 std::to_string(key.size()) + ")");
  }
  for (char ch : key) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) {
      return base::InvalidArgument(
          "memcached: a key must not contain spaces or control characters");
    }
  }
  return base::OkStatus();
}

// A ttl in seconds as memcached's expiration: 0 = never; beyond 30 days an absolute time.
base::Result<time_t> Expiration(int64_t ttl, std::string_view op) {
  if (ttl < 0) {
    return base::InvalidArgument(std::string(op) + ": ttl_seconds must not be negative");
  }
  if (ttl > kMaxRelativeTtl) {
    return static_cast<time_t>(std::time(nullptr) + ttl);
  }
  return static_cast<time_t>(ttl);
}

// Thread-compatible: the actor hands it to one worker thread at a time.
class MemcachedConnection final : public Connection {
 public:
  // `ping_groups`: one group key per server, hashing to it (see PingGroups).
  MemcachedConnection(MemcachedPtr m, std::vector<std::string> ping_groups)
      : m_(std::move(m)), ping_groups_(std::move(ping_groups)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    ASSIGN_OR_RETURN(std::string_view key, StringArg(args, 0, op, "key"));
    RETURN_IF_ERROR(CheckKey(key));
    if (op == "get") {
      return Get(key);
    }
    if (op == "exists") {
      ASSIGN_OR_RETURN(json::value v, Get(key));
      return json::value(!v.is_null());
    }
    if (op == "set") {
      return Set(key, args);
    }
    if (op == "del") {
      memcached_return_t rc = memcached_delete(m_.get(), key.data(), key.size(), 0);
      return Found(rc, "del");
    }
    if (op == "incr") {
      return Incr(key, args);
    }
    if (op == "expire") {
      ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 1, op, "ttl_seconds"));
      ASSIGN_OR_RETURN(time_t expiration, Expiration(ttl, op));
      return Found(memcached_touch(m_.get(), key.data(), key.size(), expiration), "expire");
    }
    return base::InvalidArgument("unknown cache operation '" + std::string(op) + "'");
  }

  // A GET of one key on every server (found or not found both prove a round trip).
  base::Status Ping() override { return CheckServers("ping"); }

  // Ping, with `what` naming the step in the error ("connect", "ping").
  base::Status CheckServers(std::string_view what) {
    memcached_return_t rc = RoundTripAll();
    return rc == MEMCACHED_SUCCESS ? base::OkStatus() : Error(rc, what);
  }

 private:
  // MEMCACHED_SUCCESS if every server answers a GET (found or not), else the first failure.
  memcached_return_t RoundTripAll() {
    for (const std::string& group : ping_groups_) {
      size_t length = 0;
      uint32_t flags = 0;
      memcached_return_t rc = MEMCACHED_SUCCESS;
      free(memcached_get_by_key(m_.get(), group.data(), group.size(), kPingKey.data(),
                                kPingKey.size(), &length, &flags, &rc));
      if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND) {
        return rc;
      }
    }
    return MEMCACHED_SUCCESS;
  }

  // Unavailable for connection failures, else BackendError; the message is libmemcached's
  // detailed last error (it names the server) or, lacking one, its text for `rc`.
  //
  // libmemcached decodes few binary-protocol error statuses: the others (INCR of a value that is
  // not a number, EINVAL...) come back as UNKNOWN_READ_FAILURE with the server's text discarded,
  // the code of a broken stream too. A round trip tells them apart: if the servers still answer,
  // the server refused the request.
  base::Status Error(memcached_return_t rc, std::string_view op) {
    const char* detail = memcached_last_error_message(m_.get());
    std::string message =
        "memcached: " + std::string(op) + ": " +
        (detail != nullptr && *detail != '\0' ? detail : memcached_strerror(m_.get(), rc));
    if (rc == MEMCACHED_UNKNOWN_READ_FAILURE && op != "ping" && op != "connect" &&
        RoundTripAll() == MEMCACHED_SUCCESS) {
      return base::BackendError(
          "memcached: " + std::string(op) + ": the server refused the request" +
          (op == "incr" ? ": the value is not an unsigned 64-bit decimal number" : ""));
    }
    return IsConnectionFailure(rc) ? base::Unavailable(std::move(message))
                                   : base::BackendError(std::move(message));
  }

  // For del and expire: true on success, false when the key was absent.
  base::Result<json::value> Found(memcached_return_t rc, std::string_view op) {
    if (rc == MEMCACHED_NOTFOUND) {
      return json::value(false);
    }
    if (!memcached_success(rc)) {
      return Error(rc, op);
    }
    return json::value(true);
  }

  base::Result<json::value> Get(std::string_view key) {
    size_t length = 0;
    uint32_t flags = 0;
    memcached_return_t rc = MEMCACHED_SUCCESS;
    std::unique_ptr<char, decltype(&free)> value(
        memcached_get(m_.get(), key.data(), key.size(), &length, &flags, &rc), &free);
    if (rc == MEMCACHED_NOTFOUND) {
      return json::value(nullptr);
    }
    if (!memcached_success(rc)) {
      return Error(rc, "get");
    }
    return json::value(value ? json::string(value.get(), length) : json::string());
  }

  base::Result<json::value> Set(std::string_view key, const json::array& args) {
    ASSIGN_OR_RETURN(std::string_view value, StringArg(args, 1, "set", "value"));
    ASSIGN_OR_RETURN(int64_t ttl, IntArg(args, 2, "set", "ttl_seconds", 0));
    ASSIGN_OR_RETURN(time_t expiration, Expiration(ttl, "set"));
    memcached_return_t rc =
        memcached_set(m_.get(), key.data(), key.size(), value.data(), value.size(), expiration, 0);
    if (!memcached_success(rc)) {
      return Error(rc, "set");
    }
    return json::value(nullptr);
  }

  // One atomic INCR that creates a missing key with the value `by` (binary protocol only).
  base::Result<json::value> Incr(std::string_view key, const json::array& args) {
    ASSIGN_OR_RETURN(int64_t by, IntArg(args, 1, "incr", "by", 1));
    if (by < 0) {
      return base::InvalidArgument(
          "incr: memcached counters are unsigned: a negative 'by' is not supported");
    }
    uint64_t value = 0;
    auto offset = static_cast<uint64_t>(by);
    memcached_return_t rc = memcached_increment_with_initial(m_.get(), key.data(), key.size(),
                                                             offset, offset, 0, &value);
    if (!memcached_success(rc)) {
      return Error(rc, "incr");
    }
    if (value > static_cast<uint64_t>(INT64_MAX)) {
      return base::BackendError("memcached: incr: the counter " + std::to_string(value) +
                                " exceeds the int64 range");
    }
    return json::value(static_cast<int64_t>(value));
  }

  MemcachedPtr m_;
  const std::vector<std::string> ping_groups_;
};

// Parses "host", "host:port", "[v6]" or "[v6]:port" (port 11211 when absent).
base::Result<std::pair<std::string, in_port_t>> ParseServer(std::string_view s) {
  auto bad = [&] {
    return base::FieldError("config.servers",
                            "config.servers: '" + std::string(s) + "' is not host:port");
  };
  std::string_view host = s;
  std::string_view port_text;
  if (s.starts_with('[')) {
    size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return bad();
    }
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && (!rest.starts_with(':') || rest.size() == 1)) {
      return bad();
    }
    port_text = rest.empty() ? rest : rest.substr(1);
  } else if (size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port_text = s.substr(colon + 1);
    if (port_text.empty()) {
      return bad();
    }
  }
  int port = 11211;
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return bad();
    }
  }
  if (host.empty()) {
    return bad();
  }
  return std::pair{std::string(host), static_cast<in_port_t>(port)};
}

// For each server, a group key that libmemcached hashes to it, so Ping can reach every server.
std::vector<std::string> PingGroups(const memcached_st& m) {
  uint32_t count = memcached_server_count(&m);
  std::vector<std::string> groups(count);
  uint32_t found = 0;
  for (int i = 0; found < count && i < 10'000; ++i) {
    std::string candidate = "edgegate-ping-" + std::to_string(i);
    uint32_t server = memcached_generate_hash(&m, candidate.data(), candidate.size());
    if (server < count && groups[server].empty()) {
      groups[server] = std::move(candidate);
      ++found;
    }
  }
  std::erase_if(groups, [](const std::string& g) { return g.empty(); });
  return groups;
}

base::Status SetBehaviors(memcached_st& m, int64_t timeout_ms) {
  auto us = static_cast<uint64_t>(timeout_ms) * 1000;
  const std::pair<memcached_behavior_t, uint64_t> behaviors[] = {
      {MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1},
      {MEMCACHED_BEHAVIOR_TCP_NODELAY, 1},
      {MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, static_cast<uint64_t>(timeout_ms)},
      {MEMCACHED_BEHAVIOR_POLL_TIMEOUT, static_cast<uint64_t>(timeout_ms)},
      {MEMCACHED_BEHAVIOR_SND_TIMEOUT, us},
      {MEMCACHED_BEHAVIOR_RCV_TIMEOUT, us},
  };
  for (const auto& [behavior, value] : behaviors) {
    if (memcached_return_t rc = memcached_behavior_set(&m, behavior, value);
        !memcached_success(rc)) {
      return base::Unavailable(std::string("memcached: setting behavior: ") +
                               memcached_strerror(&m, rc));
    }
  }
  return base::OkStatus();
}

// Adds config.servers (default 127.0.0.1:11211) to `m`; InvalidArgument naming the key.
base::Status AddServers(memcached_st& m, const json::object& config) {
  std::vector<std::string> servers;
  if (auto it = config.find("servers"); it != config.end() && it->value().is_array()) {
    for (const json::value& v : it->value().get_array()) {
      servers.emplace_back(v.get_string());
    }
  } else {
    servers.emplace_back(kDefaultServer);
  }
  if (servers.empty()) {
    return base::FieldError("config.servers", "config.servers must list at least one server");
  }
  for (const std::string& s : servers) {
    ASSIGN_OR_RETURN(auto host_port, ParseServer(s));
    memcached_return_t rc = memcached_server_add(&m, host_port.first.c_str(), host_port.second);
    if (!memcached_success(rc)) {
      return base::FieldError("config.servers",
                              "config.servers: " + s + ": " + memcached_strerror(&m, rc));
    }
  }
  return base::OkStatus();
}

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  MemcachedPtr m(memcached_create(nullptr));
  if (m == nullptr) {
    return base::Unavailable("memcached: memcached_create failed");
  }
  RETURN_IF_ERROR(SetBehaviors(*m, ConfigInt(config, "timeout_ms", kDefaultTimeoutMs)));
  RETURN_IF_ERROR(AddServers(*m, config));
  std::vector<std::string> groups = PingGroups(*m);
  auto connection = std::make_unique<MemcachedConnection>(std::move(m), std::move(groups));
  // libmemcached connects on first use: a round trip to every server now, so that an unreachable
  // one fails the connect (always as Unavailable) rather than the first call.
  if (base::Status ping = connection->CheckServers("connect"); !ping.ok()) {
    return base::Unavailable(ping.message());
  }
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace

const ServiceType& MemcachedType() {
  static const ServiceType type{"memcached", Kind::kCache, kKeys, Connect};
  return type;
}

}  // namespace edgegate::services::backends
