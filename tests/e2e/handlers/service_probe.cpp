// A test handler that exposes the SDK's service API over HTTP, so the e2e tests can drive every
// backend through a deployed handler:
//   POST /probe/{kind}/{name}/{op}   JSON array of arguments → {"result": ...} through the typed
//                                    SDK call for that op (db query/execute/tx, cache, storage,
//                                    email, ftp); a ServiceError → its status and
//                                    {"error", "code"}; with ?uncaught=1 the error is not caught.
//   PUT  /blob/{kind}/{name}/{*key}  raw body stored as is (cache set / storage put / ftp put /
//                                    db: a row of table eg_blobs, created with ?type=<SQL type of
//                                    the bytes column>; ?ph=dollar for PostgreSQL's $1 placeholders)
//   GET  /blob/{kind}/{name}/{*key}  the raw bytes back (404 when absent)
#include <edgegate/sdk.hpp>
using namespace edgegate;

namespace {

Json ObjectJson(const StoredObject& o, bool with_body) {
  Json j = Json::object({{"key", o.key}, {"content_type", o.content_type}, {"size", o.size},
                         {"etag", o.etag}, {"last_modified", o.last_modified}});
  if (with_body) j["body"] = o.body;
  return j;
}

std::vector<Json> Rest(const Json& args, size_t from) {
  std::vector<Json> out;
  for (size_t i = from; i < args.size(); ++i) out.push_back(args[i]);
  return out;
}

Json RowsJson(const Rows& rows) {
  return Json::object({{"rows", rows.to_json()}, {"count", static_cast<int64_t>(rows.size())}});
}

Json Database(const edgegate::Database& db, std::string_view op, const Json& args) {
  if (op == "query") return RowsJson(db.query(args[0].as_string(), Rest(args, 1)));
  if (op == "execute") {
    ExecResult r = db.execute(args[0].as_string(), Rest(args, 1));
    return Json::object({{"affected_rows", r.affected_rows},
                         {"last_insert_id", r.last_insert_id ? Json(*r.last_insert_id) : Json()}});
  }
  if (op == "tx") {  // args: [commit?, [sql, params...]...]; returns the last query's rows
    Transaction tx = db.begin();
    Json last;
    for (size_t i = 1; i < args.size(); ++i) {
      const Json& stmt = args[i];
      if (stmt[0].as_string().rfind("SELECT", 0) == 0) {
        last = RowsJson(tx.query(stmt[0].as_string(), Rest(stmt, 1)));
      } else {
        tx.execute(stmt[0].as_string(), Rest(stmt, 1));
      }
    }
    if (args[0].as_bool()) tx.commit();  // else the destructor rolls back
    return last;
  }
  if (op == "tx_abandon") {  // begins, writes, and returns without ending the transaction
    Transaction* leaked = new Transaction(db.begin());  // never destroyed: the gateway rolls back
    leaked->execute(args[0].as_string(), Rest(args, 1));
    return Json("left open");
  }
  throw HttpError(400, "unknown database op");
}

Json Cache(const edgegate::Cache& c, std::string_view op, const Json& args) {
  std::string key = args[0].as_string();
  if (op == "get") {
    auto v = c.get(key);
    return v ? Json(*v) : Json();
  }
  if (op == "set") {
    c.set(key, args[1].as_string(), args.size() > 2 ? args[2].as_int() : 0);
    return Json();
  }
  if (op == "del") return Json(c.del(key));
  if (op == "exists") return Json(c.exists(key));
  if (op == "incr") return Json(c.incr(key, args.size() > 1 ? args[1].as_int() : 1));
  if (op == "expire") return Json(c.expire(key, args[1].as_int()));
  throw HttpError(400, "unknown cache op");
}

Json Storage(const edgegate::Storage& s, std::string_view op, const Json& args) {
  if (op == "put") {
    return ObjectJson(s.put(args[0].as_string(), args[1].as_string(),
                            args.size() > 2 ? args[2].as_string() : "application/octet-stream"),
                      false);
  }
  if (op == "get" || op == "head") {
    auto o = op == "get" ? s.get(args[0].as_string()) : s.head(args[0].as_string());
    return o ? ObjectJson(*o, op == "get") : Json();
  }
  if (op == "del") {
    s.del(args[0].as_string());
    return Json();
  }
  if (op == "list") {
    Json out = Json::array();
    for (const StoredObject& o : s.list(args.size() > 0 ? args[0].as_string() : "")) {
      out.push_back(ObjectJson(o, false));
    }
    return out;
  }
  if (op == "presigned_url") {
    return Json(s.presigned_url(args[0].as_string(),
                                args.size() > 1 ? args[1].as_string() : "GET",
                                args.size() > 2 ? args[2].as_int() : 3600));
  }
  throw HttpError(400, "unknown storage op");
}

std::vector<std::string> Strings(const Json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.as_string());
  if (v.is_array()) {
    for (const Json& s : v.items()) out.push_back(s.as_string());
  }
  return out;
}

Json Email(const edgegate::Email& e, std::string_view op, const Json& args) {
  if (op != "send") throw HttpError(400, "unknown email op");
  const Json& m = args[0];
  EmailMessage msg;
  msg.to = Strings(m["to"]);
  msg.cc = Strings(m["cc"]);
  msg.bcc = Strings(m["bcc"]);
  if (m["subject"].is_string()) msg.subject = m["subject"].as_string();
  if (m["text"].is_string()) msg.text = m["text"].as_string();
  if (m["html"].is_string()) msg.html = m["html"].as_string();
  if (m["reply_to"].is_string()) msg.reply_to = m["reply_to"].as_string();
  return Json(e.send(msg));
}

Json Ftp(const edgegate::Ftp& f, std::string_view op, const Json& args) {
  if (op == "put") {
    f.put(args[0].as_string(), args[1].as_string());
    return Json();
  }
  if (op == "get") {
    auto v = f.get(args[0].as_string());
    return v ? Json(*v) : Json();
  }
  if (op == "list") {
    Json out = Json::array();
    for (const FtpEntry& e : f.list(args.size() > 0 ? args[0].as_string() : "")) {
      out.push_back(Json::object({{"name", e.name}, {"size", e.size}, {"is_dir", e.is_dir}}));
    }
    return out;
  }
  if (op == "del") {
    f.del(args[0].as_string());
    return Json();
  }
  throw HttpError(400, "unknown ftp op");
}

Json Probe(Context& ctx, std::string_view kind, std::string_view name, std::string_view op,
           const Json& args) {
  if (kind == "db") return Database(ctx.db(name), op, args);
  if (kind == "cache") return Cache(ctx.cache(name), op, args);
  if (kind == "storage") return Storage(ctx.storage(name), op, args);
  if (kind == "email") return Email(ctx.email(name), op, args);
  if (kind == "ftp") return Ftp(ctx.ftp(name), op, args);
  throw HttpError(400, "unknown kind");
}

// The bytes of `key` in table eg_blobs of database `name`.
std::optional<std::string> DbBlob(Context& ctx, const Request& req, const std::string& name,
                                  const std::string& key) {
  const bool dollar = req.query_param("ph").value_or("") == "dollar";
  const edgegate::Database db = ctx.db(name);
  if (req.method() == "PUT") {
    db.execute("CREATE TABLE IF NOT EXISTS eg_blobs (k VARCHAR(200) PRIMARY KEY, v " +
               std::string(req.query_param("type").value_or("BLOB")) + ")");
    db.execute(dollar ? "INSERT INTO eg_blobs (k, v) VALUES ($1, $2)"
                      : "INSERT INTO eg_blobs (k, v) VALUES (?, ?)",
               key, req.body());
    return std::nullopt;
  }
  Rows rows = db.query(dollar ? "SELECT v FROM eg_blobs WHERE k = $1"
                              : "SELECT v FROM eg_blobs WHERE k = ?",
                       key);
  if (rows.empty()) return std::nullopt;
  return rows.at(0, "v").as_string();
}

Response Blob(Context& ctx, const Request& req) {
  std::string kind(req.require_path_param("kind"));
  std::string name(req.require_path_param("name"));
  std::string key(req.require_path_param("key"));
  if (kind == "db") {
    std::optional<std::string> bytes = DbBlob(ctx, req, name, key);
    if (req.method() == "PUT") return Response::no_content();
    if (!bytes) return Response::not_found("no such key");
    return Response::binary(200, std::move(*bytes), "application/octet-stream");
  }
  if (req.method() == "PUT") {
    if (kind == "cache") ctx.cache(name).set(key, req.body());
    else if (kind == "storage") ctx.storage(name).put(key, req.body(), "application/x-test");
    else if (kind == "ftp") ctx.ftp(name).put(key, req.body());
    else throw HttpError(400, "unknown kind");
    return Response::no_content();
  }
  std::optional<std::string> bytes;
  if (kind == "cache") bytes = ctx.cache(name).get(key);
  else if (kind == "storage") {
    if (auto o = ctx.storage(name).get(key)) bytes = o->body;
  } else if (kind == "ftp") bytes = ctx.ftp(name).get(key);
  if (!bytes) return Response::not_found("no such key");
  return Response::binary(200, std::move(*bytes), "application/octet-stream");
}

}  // namespace

Response handle(Context& ctx, const Request& req) {
  if (req.path().rfind("/blob/", 0) == 0) return Blob(ctx, req);
  std::string kind(req.require_path_param("kind"));
  std::string name(req.require_path_param("name"));
  std::string op(req.require_path_param("op"));
  const Json& args = req.json();
  if (req.query_param("uncaught")) {
    return Response::ok(Json::object({{"result", Probe(ctx, kind, name, op, args)}}));
  }
  try {
    return Response::ok(Json::object({{"result", Probe(ctx, kind, name, op, args)}}));
  } catch (const ServiceError& e) {
    return Response::json(e.status(), Json::object({{"error", e.what()},
                                                     {"code", static_cast<int>(e.code())}}));
  }
}
EDGEGATE_HANDLER(handle)
