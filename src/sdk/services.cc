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

std::optional<std::string> OptionalString(const Json& v) {
  if (v.is_null()) {
    return std::nullopt;
  }
  return v.as_string();
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

Json CallService(const eg_host_api& host, eg_call* call, int kind, std::string_view name,
                 std::string_view op, std::int64_t tx, const std::vector<Json>& args) {
  if (host.struct_size < offsetof(eg_host_api, service_call) + sizeof(host.service_call) ||
      host.service_call == nullptr) {
    throw ServiceError(ServiceError::Code::kNotFound,
                       "service '" + std::string(name) + "': this gateway offers no services");
  }
  std::vector<eg_value> values(args.size());
  std::vector<std::string> json_texts;  // keeps EG_VALUE_JSON texts alive
  json_texts.reserve(args.size());
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
        json_texts.push_back(a.dump());
        v.type = EG_VALUE_JSON;
        v.string = Str(json_texts.back());
        break;
    }
  }
  JsonBuilder builder;
  eg_json_sink sink = builder.Sink();
  eg_str error{nullptr, 0};
  int status = host.service_call(call, kind, Str(name), Str(op), tx, values.data(), values.size(),
                                 &sink, &error);
  if (status != EG_SERVICE_OK) {
    std::string message(error.data != nullptr ? std::string_view(error.data, error.size)
                                              : std::string_view("service call failed"));
    int code = status >= 1 && status <= 7 ? status : EG_SERVICE_INVALID;
    throw ServiceError(static_cast<ServiceError::Code>(code), std::move(message));
  }
  if (builder.out_of_memory()) {
    throw std::bad_alloc();
  }
  Json result;
  if (!builder.Finish(&result)) {
    throw ServiceError(ServiceError::Code::kInvalid,
                       "service '" + std::string(name) + "': malformed reply");
  }
  return result;
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
  return OptionalString(Call("get", {Json(key)}));
}
void Cache::set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) const {
  Call("set", {Json(key), Json(value), Json(ttl_seconds)});
}
bool Cache::del(std::string_view key) const { return Call("del", {Json(key)}).as_bool(); }
bool Cache::exists(std::string_view key) const { return Call("exists", {Json(key)}).as_bool(); }
std::int64_t Cache::incr(std::string_view key, std::int64_t by) const {
  return Call("incr", {Json(key), Json(by)}).as_int();
}
bool Cache::expire(std::string_view key, std::int64_t ttl_seconds) const {
  return Call("expire", {Json(key), Json(ttl_seconds)}).as_bool();
}

// ---- Storage ----

StoredObject Storage::put(std::string_view key, std::string_view bytes,
                          std::string_view content_type) const {
  return ToObject(Call("put", {Json(key), Json(bytes), Json(content_type)}), key);
}
std::optional<StoredObject> Storage::get(std::string_view key) const {
  Json v = Call("get", {Json(key)});
  if (v.is_null()) {
    return std::nullopt;
  }
  return ToObject(v, key);
}
std::optional<StoredObject> Storage::head(std::string_view key) const {
  Json v = Call("head", {Json(key)});
  if (v.is_null()) {
    return std::nullopt;
  }
  return ToObject(v, key);
}
void Storage::del(std::string_view key) const { Call("del", {Json(key)}); }
std::vector<StoredObject> Storage::list(std::string_view prefix) const {
  std::vector<StoredObject> out;
  const Json reply = Call("list", {Json(prefix)});  // not a temporary: range-for would dangle
  for (const Json& o : reply.items()) {
    out.push_back(ToObject(o, ""));
  }
  return out;
}
std::string Storage::presigned_url(std::string_view key, std::string_view method,
                                   std::int64_t ttl_seconds) const {
  return Call("presigned_url", {Json(key), Json(method), Json(ttl_seconds)}).as_string();
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
  Call("put", {Json(path), Json(bytes)});
}
std::optional<std::string> Ftp::get(std::string_view path) const {
  return OptionalString(Call("get", {Json(path)}));
}
std::vector<FtpEntry> Ftp::list(std::string_view path) const {
  std::vector<FtpEntry> out;
  const Json reply = Call("list", {Json(path)});  // not a temporary: range-for would dangle
  for (const Json& e : reply.items()) {
    FtpEntry entry;
    entry.name = e["name"].is_string() ? e["name"].as_string() : std::string();
    entry.size = e["size"].is_int() ? e["size"].as_int() : 0;
    entry.is_dir = e["type"].is_string() && e["type"].as_string() == "dir";
    out.push_back(std::move(entry));
  }
  return out;
}
void Ftp::del(std::string_view path) const { Call("del", {Json(path)}); }

}  // namespace edgegate
