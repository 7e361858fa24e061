// The SDK half of service calls: Json arguments → eg_value, the reply → Json (built by the
// gateway through an eg_json_sink), failures → ServiceError, and the typed wrappers per kind.
#include <string>
#include <vector>

#include "edgegate/sdk.hpp"
#include "sdk/json_builder.h"

namespace edgegate {
namespace {

int StatusFor(ServiceError::Code code) {
  switch (code) {
    case ServiceError::Code::kTimeout: return 504;
    case ServiceError::Code::kBackend: return 502;
    case ServiceError::Code::kInvalid: return 500;
    default: return 503;
  }
}

eg_str Str(std::string_view s) { return {s.data(), s.size()}; }

// Arguments of the typed methods, as views of the caller's data (no copy).
eg_value StringArg(std::string_view s) {
  eg_value v{};
  v.type = EG_VALUE_STRING;
  v.string = Str(s);
  return v;
}

eg_value IntArg(std::int64_t i) {
  eg_value v{};
  v.type = EG_VALUE_INT;
  v.integer = i;
  return v;
}

StoredObject ToObject(const Json& v, std::string_view key) {
  StoredObject o;
  const Json* k = v.find("key");
  o.key = k != nullptr && k->is_string() ? k->as_string() : std::string(key);
  if (const Json* body = v.find("body"); body != nullptr && body->is_string()) {
    o.body = body->as_string();
  }
  if (const Json* ct = v.find("content_type"); ct != nullptr && ct->is_string()) {
    o.content_type = ct->as_string();
  }
  if (const Json* size = v.find("size"); size != nullptr && size->is_int()) {
    o.size = size->as_int();
  }
  if (const Json* etag = v.find("etag"); etag != nullptr && etag->is_string()) {
    o.etag = etag->as_string();
  }
  if (const Json* lm = v.find("last_modified"); lm != nullptr && lm->is_string()) {
    o.last_modified = lm->as_string();
  }
  return o;
}

Json StringList(const std::vector<std::string>& items) {
  Json out = Json::array();
  for (const std::string& s : items) {
    out.push_back(s);
  }
  return out;
}

}  // namespace

ServiceError::ServiceError(Code code, std::string message)
    : HttpError(StatusFor(code), std::move(message)), code_(code) {}

namespace detail {

namespace {

// Makes the call with `sink` receiving the reply; throws ServiceError unless it succeeded.
void CallInto(const eg_host_api& host, eg_call* call, int kind, std::string_view name,
              std::string_view op, std::int64_t tx, const eg_value* args, std::size_t count,
              const eg_json_sink& sink) {
  if (host.struct_size < offsetof(eg_host_api, service_call) + sizeof(host.service_call) ||
      host.service_call == nullptr) {
    throw ServiceError(ServiceError::Code::kNotFound,
                       "service '" + std::string(name) + "': this gateway offers no services");
  }
  eg_str error{nullptr, 0};
  int status = host.service_call(call, kind, Str(name), Str(op), tx, args, count, &sink, &error);
  if (status != EG_SERVICE_OK) {
    std::string message(error.data != nullptr ? std::string_view(error.data, error.size)
                                              : std::string_view("service call failed"));
    int code = status >= 1 && status <= 7 ? status : EG_SERVICE_INVALID;
    throw ServiceError(static_cast<ServiceError::Code>(code), std::move(message));
  }
}

[[noreturn]] void ThrowMalformed(std::string_view name) {
  throw ServiceError(ServiceError::Code::kInvalid,
                     "service '" + std::string(name) + "': malformed reply");
}

// Receives a reply that must be one string or null, without building a Json: the reply of a
// cache or FTP get, on the request path of many handlers.
class StringReply {
 public:
  eg_json_sink Sink() noexcept {
    return eg_json_sink{this,
                        &OnNull,
                        &OnOther<int>,           // bool
                        &OnOther<std::int64_t>,  // int
                        &OnOther<double>,
                        &OnString,
                        &OnOther<eg_str>,  // key
                        &OnEvent,          // begin and end of arrays and objects
                        &OnEvent,
                        &OnEvent,
                        &OnEvent};
  }
  // The string, nullopt for null. Throws ServiceError unless exactly one of them arrived.
  std::optional<std::string> Take(std::string_view name) {
    if (out_of_memory_) {
      throw std::bad_alloc();
    }
    if (events_ != 1 || malformed_) {
      ThrowMalformed(name);
    }
    return std::move(value_);
  }

 private:
  static StringReply& Of(void* self) { return *static_cast<StringReply*>(self); }
  static void OnNull(void* self) { ++Of(self).events_; }
  static void OnString(void* self, eg_str value) {
    StringReply& r = Of(self);
    ++r.events_;
    try {
      r.value_.emplace(value.size == 0 ? std::string_view()
                                       : std::string_view(value.data, value.size));
    } catch (const std::bad_alloc&) {
      r.out_of_memory_ = true;  // nothing may be thrown across the ABI
    }
  }
  template <typename T>
  static void OnOther(void* self, T) { OnEvent(self); }
  static void OnEvent(void* self) {
    ++Of(self).events_;
    Of(self).malformed_ = true;
  }

  std::optional<std::string> value_;
  int events_ = 0;
  bool malformed_ = false;
  bool out_of_memory_ = false;
};

}  // namespace

Json CallServiceValues(const eg_host_api& host, eg_call* call, int kind, std::string_view name,
                       std::string_view op, std::int64_t tx, const eg_value* args,
                       std::size_t count) {
  JsonBuilder builder;
  CallInto(host, call, kind, name, op, tx, args, count, builder.Sink());
  if (builder.out_of_memory()) {
    throw std::bad_alloc();
  }
  Json result;
  if (!builder.Finish(&result)) {
    ThrowMalformed(name);
  }
  return result;
}

std::optional<std::string> CallServiceForString(const eg_host_api& host, eg_call* call, int kind,
                                                std::string_view name, std::string_view op,
                                                const eg_value* args, std::size_t count) {
  StringReply reply;
  CallInto(host, call, kind, name, op, 0, args, count, reply.Sink());
  return reply.Take(name);
}

Json CallService(const eg_host_api& host, eg_call* call, int kind, std::string_view name,
                 std::string_view op, std::int64_t tx, const std::vector<Json>& args) {
  std::vector<eg_value> values(args.size());
  std::vector<std::string> json_texts;  // the texts of EG_VALUE_JSON arguments
  for (const Json& a : args) {
    if (a.is_array() || a.is_object()) {
      json_texts.push_back(a.dump());  // before any view is taken: the vector may move them
    }
  }
  std::size_t next_text = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const Json& a = args[i];
    eg_value& v = values[i];
    switch (a.type()) {
      case Json::Type::kNull: v.type = EG_VALUE_NULL; break;
      case Json::Type::kBool: v.type = EG_VALUE_BOOL; v.boolean = a.as_bool() ? 1 : 0; break;
      case Json::Type::kInt: v.type = EG_VALUE_INT; v.integer = a.as_int(); break;
      case Json::Type::kDouble: v.type = EG_VALUE_DOUBLE; v.number = a.as_double(); break;
      case Json::Type::kString: v.type = EG_VALUE_STRING; v.string = Str(a.as_string()); break;
      case Json::Type::kArray:
      case Json::Type::kObject:
        v.type = EG_VALUE_JSON;
        v.string = Str(json_texts[next_text++]);
        break;
    }
  }
  return CallServiceValues(host, call, kind, name, op, tx, values.data(), values.size());
}

}  // namespace detail

// ---- Database ----

const Json& Rows::at(std::size_t row, std::string_view column) const {
  if (row >= rows.size()) {
    throw std::out_of_range("Rows: row " + std::to_string(row) + " of " +
                            std::to_string(rows.size()));
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == column) {
      return rows[row].at(c);
    }
  }
  throw std::out_of_range("Rows: no column '" + std::string(column) + "'");
}

Json Rows::to_json() const {
  Json out = Json::array();
  for (const auto& r : rows) {
    Json obj = Json::object();
    for (std::size_t c = 0; c < columns.size() && c < r.size(); ++c) {
      obj[columns[c]] = r[c];
    }
    out.push_back(std::move(obj));
  }
  return out;
}

Rows Database::Query(std::string_view sql, std::vector<Json> params, std::int64_t tx) const {
  params.insert(params.begin(), Json(sql));
  Json reply = Call("query", params, tx);
  Rows rows;
  for (const Json& c : reply["columns"].items()) {
    rows.columns.push_back(c.as_string());
  }
  for (Json& r : reply.at("rows").items()) {
    rows.rows.push_back(std::move(r.items()));
  }
  return rows;
}

ExecResult Database::Execute(std::string_view sql, std::vector<Json> params,
                             std::int64_t tx) const {
  params.insert(params.begin(), Json(sql));
  Json reply = Call("execute", params, tx);
  ExecResult r;
  r.affected_rows = reply["affected_rows"].is_int() ? reply["affected_rows"].as_int() : 0;
  if (reply["last_insert_id"].is_int()) {
    r.last_insert_id = reply["last_insert_id"].as_int();
  }
  return r;
}

Transaction Database::begin() const {
  Json reply = Call("begin", {});
  return Transaction(*this, reply.at("tx").as_int());
}

Transaction::~Transaction() {
  if (tx_ != 0) {
    try {
      rollback();
    } catch (...) {
      // The gateway rolls back transactions left open when the request ends.
    }
  }
}

void Transaction::commit() {
  std::int64_t tx = std::exchange(tx_, 0);
  db_.Call("commit", {}, tx);
}

void Transaction::rollback() {
  std::int64_t tx = std::exchange(tx_, 0);
  db_.Call("rollback", {}, tx);
}

// ---- Cache ----

std::optional<std::string> Cache::get(std::string_view key) const {
  return CallValuesForString("get", {StringArg(key)});
}
void Cache::set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) const {
  CallValues("set", {StringArg(key), StringArg(value), IntArg(ttl_seconds)});
}
bool Cache::del(std::string_view key) const {
  return CallValues("del", {StringArg(key)}).as_bool();
}
bool Cache::exists(std::string_view key) const {
  return CallValues("exists", {StringArg(key)}).as_bool();
}
std::int64_t Cache::incr(std::string_view key, std::int64_t by) const {
  return CallValues("incr", {StringArg(key), IntArg(by)}).as_int();
}
bool Cache::expire(std::string_view key, std::int64_t ttl_seconds) const {
  return CallValues("expire", {StringArg(key), IntArg(ttl_seconds)}).as_bool();
}

// ---- Storage ----

StoredObject Storage::put(std::string_view key, std::string_view bytes,
                          std::string_view content_type) const {
  return ToObject(CallValues("put", {StringArg(key), StringArg(bytes), StringArg(content_type)}),
                  key);
}
std::optional<StoredObject> Storage::get(std::string_view key) const {
  Json v = CallValues("get", {StringArg(key)});
  if (v.is_null()) {
    return std::nullopt;
  }
  return ToObject(v, key);
}
std::optional<StoredObject> Storage::head(std::string_view key) const {
  Json v = CallValues("head", {StringArg(key)});
  if (v.is_null()) {
    return std::nullopt;
  }
  return ToObject(v, key);
}
void Storage::del(std::string_view key) const { CallValues("del", {StringArg(key)}); }
std::vector<StoredObject> Storage::list(std::string_view prefix) const {
  std::vector<StoredObject> out;
  // Not a temporary: the range-for below would dangle.
  const Json reply = CallValues("list", {StringArg(prefix)});
  for (const Json& o : reply.items()) {
    out.push_back(ToObject(o, ""));
  }
  return out;
}
std::string Storage::presigned_url(std::string_view key, std::string_view method,
                                   std::int64_t ttl_seconds) const {
  return CallValues("presigned_url", {StringArg(key), StringArg(method), IntArg(ttl_seconds)})
      .as_string();
}

// ---- Email ----

std::string Email::send(const EmailMessage& m) const {
  Json msg = Json::object();
  msg["to"] = StringList(m.to);
  if (!m.cc.empty()) msg["cc"] = StringList(m.cc);
  if (!m.bcc.empty()) msg["bcc"] = StringList(m.bcc);
  msg["subject"] = m.subject;
  if (!m.text.empty()) msg["text"] = m.text;
  if (!m.html.empty()) msg["html"] = m.html;
  if (!m.reply_to.empty()) msg["reply_to"] = m.reply_to;
  Json reply = Call("send", {msg});
  const Json* id = reply.find("message_id");
  return id != nullptr && id->is_string() ? id->as_string() : std::string();
}

// ---- FTP ----

void Ftp::put(std::string_view path, std::string_view bytes) const {
  CallValues("put", {StringArg(path), StringArg(bytes)});
}
std::optional<std::string> Ftp::get(std::string_view path) const {
  return CallValuesForString("get", {StringArg(path)});
}
std::vector<FtpEntry> Ftp::list(std::string_view path) const {
  std::vector<FtpEntry> out;
  // Not a temporary: the range-for below would dangle.
  const Json reply = CallValues("list", {StringArg(path)});
  for (const Json& e : reply.items()) {
    FtpEntry entry;
    entry.name = e["name"].is_string() ? e["name"].as_string() : std::string();
    entry.size = e["size"].is_int() ? e["size"].as_int() : 0;
    entry.is_dir = e["type"].is_string() && e["type"].as_string() == "dir";
    out.push_back(std::move(entry));
  }
  return out;
}
void Ftp::del(std::string_view path) const { CallValues("del", {StringArg(path)}); }

}  // namespace edgegate
