// eg_host_api.service_call: resolves the service an endpoint reaches by name, converts the ABI
// arguments to the actor protocol (Boost.JSON), and waits for the reply by suspending only the
// request's coroutine: the actor's reply is posted back to this loop, and a timer on this loop
// enforces the service's timeout. In-process backends (the memory cache) are called inline.
#include <array>
#include <span>
#include <variant>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "host/call.h"
#include "http/coroutine.h"
#include "services/manager.h"

namespace edgegate::host {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using services::Actor;
using services::Clock;
using ServiceResult = base::Result<json::value>;

// How long a call waits for room in a full inbox before answering "busy".
constexpr auto kBusyWait = std::chrono::milliseconds(20);
constexpr auto kBusyRetryEvery = std::chrono::milliseconds(2);
// Arguments of an inline call kept on the stack; more go to the heap.
constexpr size_t kInlineArgs = 8;

std::string_view View(eg_str s) { return {s.data, s.size}; }
eg_str Str(std::string_view s) { return {s.data(), s.size()}; }

// The loop-side state of one call waiting for an actor. Loop-affine except `cancelled`.
struct PendingCall {
  explicit PendingCall(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool done = false;
  std::function<void(ServiceResult)> resume;
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);

  void Complete(ServiceResult result) {
    if (done) {
      return;
    }
    done = true;
    timer.cancel();
    std::function<void(ServiceResult)> r = std::move(resume);
    r(std::move(result));
  }
};

// Sends `op` without waiting for the reply (rollbacks of abandoned transactions).
void FireAndForget(Actor& actor, std::string op, int64_t tx) {
  services::Message m;
  m.op = std::move(op);
  m.tx = tx;
  m.deadline = Clock::now() + actor.options().call_timeout;
  m.reply = [](ServiceResult) {};
  (void)actor.Submit(m);
}

ServiceResult AwaitActor(const std::shared_ptr<Actor>& actor, std::string op, json::array args,
                         int64_t tx, asio::yield_context& yield) {
  asio::any_io_executor ex = yield.get_executor();
  auto pending = std::make_shared<PendingCall>(ex);
  services::Message message;
  message.op = op;
  message.args = std::move(args);
  message.tx = tx;
  message.deadline = Clock::now() + actor->options().call_timeout;
  message.cancelled = pending->cancelled;
  message.reply = [pending, ex, actor, op](ServiceResult result) mutable {
    asio::post(ex, [pending, actor, op, result = std::move(result)]() mutable {
      if (pending->done && op == "begin" && result.ok()) {
        // The caller timed out while the transaction began: nobody will end it.
        FireAndForget(*actor, "rollback", result->at("tx").as_int64());
        return;
      }
      pending->Complete(std::move(result));
    });
  };
  Clock::time_point busy_until = Clock::now() + kBusyWait;
  while (true) {
    Actor::Admission admission = actor->Submit(message);
    if (admission == Actor::Admission::kQueued) {
      break;
    }
    if (admission == Actor::Admission::kStopping) {
      return base::Unavailable("service '" + actor->name() + "' is stopping");
    }
    if (Clock::now() >= busy_until) {
      return base::Status(base::Code::kTooLarge,  // mapped to EG_SERVICE_BUSY below
                          "service '" + actor->name() + "' is busy: its inbox (" +
                              std::to_string(actor->options().inbox_capacity) +
                              " calls) stayed full");
    }
    asio::steady_timer wait(ex, kBusyRetryEvery);
    boost::system::error_code ec;
    wait.async_wait(yield[ec]);
  }
  Clock::time_point deadline = Clock::now() + actor->options().call_timeout;
  std::string timeout_message = "service '" + actor->name() + "' did not answer " + op +
                                " within " + std::to_string(actor->options().call_timeout.count()) +
                                " ms";
  // Nothing below suspends before async_initiate, so the reply (posted to this loop) cannot run
  // before `resume` is set.
  return asio::async_initiate<asio::yield_context, void(ServiceResult)>(
      [&](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        pending->resume = [h](ServiceResult r) { (*h)(std::move(r)); };
        pending->timer.expires_at(deadline);
        pending->timer.async_wait([pending, actor, timeout_message](boost::system::error_code ec) {
          if (ec || pending->done) {
            return;
          }
          pending->cancelled->store(true, std::memory_order_release);
          actor->CountTimeout();
          pending->Complete(base::DeadlineExceeded(timeout_message));
        });
      },
      yield);
}

// Replays a Boost.JSON value as eg_json_sink events.
void Walk(const json::value& v, const eg_json_sink& sink) {
  switch (v.kind()) {
    case json::kind::null: sink.on_null(sink.self); return;
    case json::kind::bool_: sink.on_bool(sink.self, v.get_bool() ? 1 : 0); return;
    case json::kind::int64: sink.on_int(sink.self, v.get_int64()); return;
    case json::kind::uint64:
      if (v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
        sink.on_int(sink.self, static_cast<int64_t>(v.get_uint64()));
      } else {
        sink.on_double(sink.self, static_cast<double>(v.get_uint64()));
      }
      return;
    case json::kind::double_: sink.on_double(sink.self, v.get_double()); return;
    case json::kind::string: {
      const json::string& s = v.get_string();
      sink.on_string(sink.self, {s.data(), s.size()});
      return;
    }
    case json::kind::array:
      sink.begin_array(sink.self);
      for (const json::value& e : v.get_array()) {
        Walk(e, sink);
      }
      sink.end_array(sink.self);
      return;
    case json::kind::object:
      sink.begin_object(sink.self);
      for (const auto& [key, value] : v.get_object()) {
        sink.on_key(sink.self, {key.data(), key.size()});
        Walk(value, sink);
      }
      sink.end_object(sink.self);
      return;
  }
}

int StatusCodeOf(const base::Status& s) {
  switch (s.code()) {
    case base::Code::kOk: return EG_SERVICE_OK;
    case base::Code::kNotFound: return EG_SERVICE_NOT_FOUND;
    case base::Code::kFailedPrecondition: return EG_SERVICE_NOT_ACTIVE;
    case base::Code::kTooLarge: return EG_SERVICE_BUSY;
    case base::Code::kUnavailable: return EG_SERVICE_UNAVAILABLE;
    case base::Code::kDeadlineExceeded: return EG_SERVICE_TIMEOUT;
    case base::Code::kBackendError: return EG_SERVICE_BACKEND;
    default: return EG_SERVICE_INVALID;
  }
}

// A call's arguments as views of the handler's values (no copy; an EG_VALUE_JSON argument stays
// text), on the stack up to kInlineArgs.
struct ArgViews {
  std::array<services::ArgView, kInlineArgs> on_stack;
  std::vector<services::ArgView> on_heap;
  std::span<const services::ArgView> views;
};

base::Status ViewArgs(const eg_value* args, size_t count, ArgViews& out) {
  using Type = services::ArgView::Type;
  std::span<services::ArgView> views(out.on_stack.data(), count);
  if (count > kInlineArgs) {
    out.on_heap.resize(count);
    views = out.on_heap;
  }
  out.views = views;
  for (size_t i = 0; i < count; ++i) {
    const eg_value& a = args[i];
    services::ArgView& v = views[i];
    switch (a.type) {
      case EG_VALUE_NULL: v.type = Type::kNull; break;
      case EG_VALUE_BOOL: v.type = Type::kBool; v.boolean = a.boolean != 0; break;
      case EG_VALUE_INT: v.type = Type::kInt; v.integer = a.integer; break;
      case EG_VALUE_DOUBLE: v.type = Type::kDouble; v.number = a.number; break;
      case EG_VALUE_STRING: v.type = Type::kString; v.text = View(a.string); break;
      case EG_VALUE_JSON: v.type = Type::kJson; v.text = View(a.string); break;
      default:
        return base::InvalidArgument("argument " + std::to_string(i + 1) + " has an unknown type " +
                                     std::to_string(a.type));
    }
  }
  return base::OkStatus();
}

// What a call answers: an actor's Boost.JSON value, or an inline backend's scalar.
using Reply = std::variant<json::value, services::ScalarReply>;

base::Result<Reply> Dispatch(CallState& call, int kind, std::string_view name,
                             std::string_view op, int64_t tx, const eg_value* args,
                             size_t arg_count) {
  if (call.services == nullptr) {
    return base::NotFound("service '" + std::string(name) + "': this gateway runs no services");
  }
  if (kind < EG_SERVICE_DATABASE || kind > EG_SERVICE_FTP) {
    return base::InvalidArgument("unknown service kind " + std::to_string(kind));
  }
  ASSIGN_OR_RETURN(const std::shared_ptr<Actor>* resolved,
                   call.services->Resolve(call.endpoint_id, static_cast<services::Kind>(kind), name));
  ArgViews views;
  RETURN_IF_ERROR(ViewArgs(args, arg_count, views));
  if ((*resolved)->inline_calls()) {
    // On this thread, with views in and a scalar out: no Boost.JSON value on either side.
    ASSIGN_OR_RETURN(services::ScalarReply reply, (*resolved)->CallInline(op, views.views));
    return Reply(std::move(reply));
  }
  // The request yields below, and another request of this loop may resolve meanwhile, which can
  // free what `resolved` points into: hold the actor itself.
  std::shared_ptr<Actor> actor = *resolved;
  ASSIGN_OR_RETURN(json::array converted, services::ToJsonArgs(views.views));
  if (call.request == nullptr || call.request->coroutine == nullptr) {
    // Served without a coroutine: the endpoint had no such binding when the request began (a
    // binding added while it ran). As if it had arrived a moment earlier.
    return base::NotFound("service '" + std::string(name) +
                          "' was bound to this endpoint after the request began; retry");
  }
  ServiceResult result =
      AwaitActor(actor, std::string(op), std::move(converted), tx, call.request->coroutine->yield);
  // Track transactions so that a request ending with one open rolls it back.
  if (op == "begin" && result.ok()) {
    call.open_transactions.push_back({actor, result->at("tx").as_int64()});
  } else if (tx != 0 && (op == "commit" || op == "rollback" ||
                         (!result.ok() && result.status().code() == base::Code::kUnavailable))) {
    std::erase_if(call.open_transactions, [&](const OpenTransaction& t) { return t.tx == tx; });
  }
  if (!result.ok()) {
    return result.status();
  }
  return Reply(std::move(*result));
}

// Replays a scalar reply as an eg_json_sink event.
void Emit(const services::ScalarReply& reply, const eg_json_sink& sink) {
  using Type = services::ScalarReply::Type;
  switch (reply.type) {
    case Type::kNull: sink.on_null(sink.self); return;
    case Type::kBool: sink.on_bool(sink.self, reply.boolean ? 1 : 0); return;
    case Type::kInt: sink.on_int(sink.self, reply.integer); return;
    case Type::kString: sink.on_string(sink.self, Str(reply.text)); return;
  }
}

}  // namespace

int ServiceCall(eg_call* call, int kind, eg_str name, eg_str op, int64_t tx, const eg_value* args,
                size_t arg_count, const eg_json_sink* result, eg_str* error) {
  base::Result<Reply> r = Dispatch(*call, kind, View(name), View(op), tx, args, arg_count);
  if (r.ok()) {
    if (result != nullptr) {
      if (const json::value* value = std::get_if<json::value>(&*r)) {
        Walk(*value, *result);
      } else {
        Emit(std::get<services::ScalarReply>(*r), *result);
      }
    }
    return EG_SERVICE_OK;
  }
  call->error = r.status().message();
  if (error != nullptr) {
    *error = Str(call->error);
  }
  return StatusCodeOf(r.status());
}

void RollbackOpenTransactions(CallState& call) {
  for (OpenTransaction& t : call.open_transactions) {
    FireAndForget(*t.actor, "rollback", t.tx);
  }
  call.open_transactions.clear();
}

}  // namespace edgegate::host
