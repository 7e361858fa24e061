// PostgreSQL through libpq: one PGconn per actor worker.
//
// Every call is bounded in time twice: the server's statement_timeout (= timeout_ms) normally
// ends a slow statement first, as a BackendError on a healthy connection; and the client waits
// with the asynchronous libpq API (nonblocking socket + poll with a deadline of timeout_ms plus a
// grace period), so a server that stops answering fails the call Unavailable and the actor
// reconnects, instead of an actor thread hanging in recv().
//
// Parameters go through PQsendQueryParams ($1, $2...), never into the SQL text. Integers, doubles
// and bools are typed (int8, float8, bool) so `SELECT $1` answers with the same type; strings are
// text-format and untyped (the server infers the type from the context), except bytes that cannot
// be text (invalid UTF-8 or NUL), which go binary-format so they land unchanged in a bytea column.
// A UTF-8 string holding a backslash is ambiguous (bytea's text input would unescape it): for
// those the statement is described first and the ones bound to bytea go binary-format too.
// Results come in text format and are typed by column OID (docs/services.md).
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/strings.h"
#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Type OIDs (the server's catalog/pg_type.dat; fixed across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// How long the client waits past the server-side statement_timeout before it gives the
// connection up (the server's own cancellation normally answers well before).
constexpr std::chrono::milliseconds kGrace{2000};

constexpr ConfigKey kKeys[] = {
    {.name = "host", .type = KeyType::kString, .required = true},
    {.name = "port", .type = KeyType::kInt, .min = 1, .max = 65535},
    {.name = "database", .type = KeyType::kString, .required = true},
    {.name = "username", .type = KeyType::kString, .required = true},
    {.name = "password", .type = KeyType::kString, .secret = true},
    {.name = "ssl_mode",
     .type = KeyType::kString,
     .choices = "disable|allow|prefer|require|verify-ca|verify-full"},
    // The CA certificates (PEM) that verify-ca and verify-full check the server's against; unset:
    // libpq's default, ~/.postgresql/root.crt of the gateway's user.
    {.name = "ssl_root_cert", .type = KeyType::kString},
    {.name = "connect_timeout_ms", .type = KeyType::kInt, .min = 1, .max = 600000},
};

// libpq's message without its trailing newline.
std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

// "<primary>: <detail> (SQLSTATE xxxxx)" of a failed result.
std::string ErrorText(const PGresult* res) {
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  if (primary == nullptr) {
    return Trimmed(PQresultErrorMessage(res));
  }
  std::string text = primary;
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) {
    text += std::string(": ") + detail;
  }
  if (const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
    text += std::string(" (SQLSTATE ") + state + ")";
  }
  return text;
}

// The parameters of one call in libpq's parallel-array form. `values` point into `text` (reserved
// up front, so it never reallocates) or into the call's arguments, which outlive the call.
struct Params {
  std::vector<std::string> text;
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;    // 0 text, 1 binary
  std::vector<int> ambiguous;  // UTF-8 strings with a backslash: binary iff bound to bytea
};

void AddText(Params& p, Oid type, std::string text) {
  p.text.push_back(std::move(text));
  p.types.push_back(type);
  p.values.push_back(p.text.back().c_str());
  p.lengths.push_back(0);
  p.formats.push_back(0);
}

void AddString(Params& p, const json::string& s) {
  std::string_view bytes(s.data(), s.size());
  bool text = base::IsValidUtf8(bytes) && bytes.find('\0') == std::string_view::npos;
  if (text && bytes.find('\\') != std::string_view::npos) {
    p.ambiguous.push_back(static_cast<int>(p.values.size()));
  }
  p.types.push_back(0);  // unknown: the server infers the type from the context
  p.values.push_back(s.c_str());
  p.lengths.push_back(static_cast<int>(s.size()));
  p.formats.push_back(text ? 0 : 1);
}

std::string DoubleText(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest exact form
  return std::string(buf, end);
}

// Fills `p` from args[1...]; InvalidArgument for a parameter of no SQL type (array, object).
base::Status BuildParams(const json::array& args, std::string_view op, Params& p) {
  p.text.reserve(args.size());
  for (size_t i = 1; i < args.size(); ++i) {
    const json::value& v = args[i];
    switch (v.kind()) {
      case json::kind::null:
        p.types.push_back(0);
        p.values.push_back(nullptr);
        p.lengths.push_back(0);
        p.formats.push_back(0);
        break;
      case json::kind::bool_:
        AddText(p, kBoolOid, v.get_bool() ? "true" : "false");
        break;
      case json::kind::int64:
        AddText(p, kInt8Oid, std::to_string(v.get_int64()));
        break;
      case json::kind::uint64:
        AddText(p, kNumericOid, std::to_string(v.get_uint64()));
        break;
      case json::kind::double_:
        AddText(p, kFloat8Oid, DoubleText(v.get_double()));
        break;
      case json::kind::string:
        AddString(p, v.get_string());
        break;
      default:
        return base::InvalidArgument(std::string(op) + ": parameter $" + std::to_string(i) +
                                     " must be null, a bool, a number or a string");
    }
  }
  if (p.values.size() > 65535) {
    return base::InvalidArgument(std::string(op) + ": more than 65535 parameters");
  }
  return base::OkStatus();
}

// One cell of a text-format result, typed by its column's OID.
json::value Cell(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) {
    return nullptr;
  }
  const char* v = PQgetvalue(res, row, col);
  const char* end = v + PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      int64_t n = 0;
      if (std::from_chars(v, end, n).ptr == end) {
        return n;
      }
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      double d = 0;
      if (std::from_chars(v, end, d).ptr == end) {  // also reads NaN and (-)Infinity
        return d;
      }
      break;
    }
    case kBoolOid:
      return *v == 't';
    case kByteaOid: {
      size_t n = 0;
      unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &n);
      if (raw == nullptr) {
        break;
      }
      json::string bytes(reinterpret_cast<const char*>(raw), n);
      PQfreemem(raw);
      return bytes;
    }
    default:
      break;
  }
  return json::string(v, end - v);
}

json::value Rows(const PGresult* res) {
  int columns = PQnfields(res);
  json::array names;
  for (int c = 0; c < columns; ++c) {
    names.emplace_back(PQfname(res, c));
  }
  json::array rows;
  rows.reserve(PQntuples(res));
  for (int r = 0; r < PQntuples(res); ++r) {
    json::array row;
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      row.push_back(Cell(res, r, c));
    }
    rows.push_back(std::move(row));
  }
  return json::object{{"columns", std::move(names)}, {"rows", std::move(rows)}};
}

// `execute`'s result. last_insert_id is always null: PostgreSQL has no session-wide "last id";
// `INSERT ... RETURNING id` through `query` gives it instead.
json::value Summary(PGresult* res) {
  const char* tuples = PQcmdTuples(res);  // "" for commands that affect no rows
  int64_t affected = 0;
  std::from_chars(tuples, tuples + std::strlen(tuples), affected);
  return json::object{{"affected_rows", affected}, {"last_insert_id", nullptr}};
}

// Thread-compatible (the actor gives it to one thread at a time).
class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* conn, std::chrono::milliseconds reply_timeout)
      : conn_(conn), reply_timeout_(reply_timeout) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    Params params;
    RETURN_IF_ERROR(Prepare(op, args, params));
    return Execute(op, args, params);
  }

  // Pipelines the calls (libpq's pipeline mode): every statement is sent, each followed by its
  // own Sync, before the first reply is read. A Sync ends the implicit transaction of the
  // statement before it, so each call commits or fails alone, exactly as when run one by one;
  // the server reads the statements from one stream and the actor's thread waits once for
  // several. A call whose parameters need the statement described first (see Run) cannot be
  // pipelined and runs alone, in its place in the order.
  void CallBatch(std::span<const BatchCall> calls,
                 std::span<base::Result<json::value>> results) override {
    std::vector<Pipelined> pipeline;
    base::Status broken;  // once a pipeline broke the connection, the rest fail the same way
    auto flush = [&] {
      RunPipeline(calls, pipeline, results, broken);
      pipeline.clear();
    };
    for (size_t i = 0; i < calls.size(); ++i) {
      Params params;
      if (base::Status prepared = Prepare(calls[i].op, *calls[i].args, params); !prepared.ok()) {
        results[i] = prepared;  // refused before anything was sent: no place in the order
      } else if (!params.ambiguous.empty()) {
        flush();
        results[i] = broken.ok() ? Execute(calls[i].op, *calls[i].args, params) : broken;
        if (!results[i].ok() && results[i].status().code() == base::Code::kUnavailable) {
          broken = results[i].status();
        }
      } else {
        pipeline.push_back({i, std::move(params)});
      }
    }
    flush();
  }

  base::Status Ping() override { return Call("query", json::array{"SELECT 1"}).status(); }

 private:
  // A call of a batch waiting to be pipelined: its index and parameters.
  struct Pipelined {
    size_t index;
    Params params;
  };

  // Checks a call and builds its parameters; nothing is sent.
  static base::Status Prepare(std::string_view op, const json::array& args, Params& params) {
    if (op != "query" && op != "execute") {
      return base::InvalidArgument("unknown database operation '" + std::string(op) + "'");
    }
    ASSIGN_OR_RETURN(std::string_view sql, StringArg(args, 0, op, "sql"));
    if (sql.find('\0') != std::string_view::npos) {
      return base::InvalidArgument(std::string(op) + ": the SQL text holds a NUL byte");
    }
    return BuildParams(args, op, params);
  }

  // Runs a prepared call on its own (not pipelined).
  base::Result<json::value> Execute(std::string_view op, const json::array& args, Params& params) {
    if (!Usable()) {
      return Broken();
    }
    ASSIGN_OR_RETURN(ResultPtr res, Run(args[0].get_string().c_str(), params));
    return Reply(op, res.get());
  }

  static json::value Reply(std::string_view op, PGresult* res) {
    return op == "query" ? Rows(res) : Summary(res);
  }

  // Sends `pipeline` in pipeline mode and collects each call's result into `results`. Any
  // failure of the connection itself fails the calls without a result, sets `broken`, and
  // leaves the connection to the actor to drop (Unavailable).
  void RunPipeline(std::span<const BatchCall> calls, std::span<const Pipelined> pipeline,
                   std::span<base::Result<json::value>> results, base::Status& broken) {
    if (pipeline.empty()) {
      return;
    }
    size_t answered = 0;
    auto fail_rest = [&](base::Status status) {
      broken = std::move(status);
      for (size_t k = answered; k < pipeline.size(); ++k) {
        results[pipeline[k].index] = broken;
      }
    };
    if (!broken.ok()) {
      return fail_rest(broken);
    }
    if (!Usable() || PQenterPipelineMode(conn_) != 1) {
      return fail_rest(Broken());
    }
    for (const Pipelined& call : pipeline) {
      const Params& p = call.params;
      const char* sql = (*calls[call.index].args)[0].get_string().c_str();
      if (!PQsendQueryParams(conn_, sql, static_cast<int>(p.values.size()), p.types.data(),
                             p.values.data(), p.lengths.data(), p.formats.data(), 0) ||
          PQpipelineSync(conn_) != 1) {
        return fail_rest(Broken());
      }
    }
    for (; answered < pipeline.size(); ++answered) {
      // Each statement has the whole reply timeout: the server's statement_timeout bounds each.
      base::Result<ResultPtr> res = Finish(Clock::now() + reply_timeout_);
      if (!res.ok() && res.status().code() == base::Code::kUnavailable) {
        return fail_rest(res.status());
      }
      // Its Sync: the statement's implicit transaction is over.
      if (base::Status synced = AwaitSync(Clock::now() + reply_timeout_); !synced.ok()) {
        return fail_rest(synced);
      }
      const size_t i = pipeline[answered].index;
      results[i] = res.ok() ? base::Result<json::value>(Reply(calls[i].op, res->get()))
                            : base::Result<json::value>(res.status());
    }
    // Every result was read, so this succeeds; if it did not, Usable() would refuse the
    // connection and the next call would have it replaced.
    PQexitPipelineMode(conn_);
  }

  // Reads the PGRES_PIPELINE_SYNC that follows a pipelined statement's results.
  base::Status AwaitSync(Clock::time_point deadline) {
    RETURN_IF_ERROR(AwaitResult(deadline));
    ResultPtr sync(PQgetResult(conn_), &PQclear);
    if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
      return base::Unavailable("postgres: the pipeline lost its place (the connection is reset)");
    }
    return base::OkStatus();
  }
  // Open, and out of pipeline mode (a pipeline left behind would swallow the next call).
  bool Usable() const {
    return PQstatus(conn_) == CONNECTION_OK && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
  }

  base::Status Broken() const {
    if (PQstatus(conn_) == CONNECTION_OK && PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
      return base::Unavailable("postgres: the connection did not leave pipeline mode (reset)");
    }
    std::string why = Trimmed(PQerrorMessage(conn_));
    return base::Unavailable("postgres: " + (why.empty() ? "connection lost" : why));
  }

  // Sends the statement (described first if a parameter's format depends on its type) and
  // returns its successful result.
  base::Result<ResultPtr> Run(const char* sql, Params& p) {
    Clock::time_point deadline = Clock::now() + reply_timeout_;
    int n = static_cast<int>(p.values.size());
    if (p.ambiguous.empty()) {
      if (!PQsendQueryParams(conn_, sql, n, p.types.data(), p.values.data(), p.lengths.data(),
                             p.formats.data(), 0)) {
        return Broken();
      }
      return Finish(deadline);
    }
    if (!PQsendPrepare(conn_, "", sql, n, p.types.data())) {
      return Broken();
    }
    RETURN_IF_ERROR(Finish(deadline).status());
    if (!PQsendDescribePrepared(conn_, "")) {
      return Broken();
    }
    ASSIGN_OR_RETURN(ResultPtr described, Finish(deadline));
    for (int i : p.ambiguous) {
      if (PQparamtype(described.get(), i) == kByteaOid) {
        p.formats[i] = 1;
      }
    }
    if (!PQsendQueryPrepared(conn_, "", n, p.values.data(), p.lengths.data(), p.formats.data(),
                             0)) {
      return Broken();
    }
    return Finish(deadline);
  }

  // Flushes what was sent and collects the results of one command: the first error, else the
  // last result.
  base::Result<ResultPtr> Finish(Clock::time_point deadline) {
    RETURN_IF_ERROR(Flush(deadline));
    ResultPtr kept(nullptr, &PQclear);
    for (;;) {
      RETURN_IF_ERROR(AwaitResult(deadline));
      ResultPtr next(PQgetResult(conn_), &PQclear);
      if (next == nullptr) {
        break;
      }
      ExecStatusType status = PQresultStatus(next.get());
      if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
        // The protocol now expects COPY data: the connection is unusable for anything else.
        return base::Unavailable(
            "postgres: COPY FROM STDIN/TO STDOUT is not supported "
            "(the connection is reset)");
      }
      if (kept == nullptr || PQresultStatus(kept.get()) != PGRES_FATAL_ERROR) {
        kept = std::move(next);
      }
    }
    if (kept == nullptr) {
      return Broken();
    }
    return Checked(std::move(kept));
  }

  base::Result<ResultPtr> Checked(ResultPtr res) const {
    switch (PQresultStatus(res.get())) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
        return res;
      case PGRES_EMPTY_QUERY:
        return base::InvalidArgument("postgres: the SQL text holds no statement");
      default:
        if (PQstatus(conn_) == CONNECTION_BAD) {
          return Broken();
        }
        return base::BackendError("postgres: " + ErrorText(res.get()));
    }
  }

  base::Status Flush(Clock::time_point deadline) {
    for (;;) {
      int rc = PQflush(conn_);
      if (rc == 0) {
        return base::OkStatus();
      }
      if (rc < 0) {
        return Broken();
      }
      RETURN_IF_ERROR(WaitSocket(POLLIN | POLLOUT, deadline));
      if (!PQconsumeInput(conn_)) {
        return Broken();
      }
    }
  }

  base::Status AwaitResult(Clock::time_point deadline) {
    while (PQisBusy(conn_)) {
      RETURN_IF_ERROR(WaitSocket(POLLIN, deadline));
      if (!PQconsumeInput(conn_)) {
        return Broken();
      }
    }
    return base::OkStatus();
  }

  base::Status WaitSocket(short events, Clock::time_point deadline) const {
    pollfd fd{.fd = PQsocket(conn_), .events = events, .revents = 0};
    if (fd.fd < 0) {
      return Broken();
    }
    for (;;) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        return base::Unavailable("postgres: no reply within " +
                                 std::to_string(reply_timeout_.count()) +
                                 " ms (the connection is reset)");
      }
      int rc = poll(&fd, 1, static_cast<int>(left));
      if (rc > 0) {
        return base::OkStatus();
      }
      if (rc < 0 && errno != EINTR) {
        return base::Unavailable(std::string("postgres: poll: ") + std::strerror(errno));
      }
    }
  }

  PGconn* const conn_;  // owned
  const std::chrono::milliseconds reply_timeout_;
};

void IgnoreNotice(void*, const char*) {}  // NOTICEs would go to the gateway's stderr

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  int64_t timeout_ms = ConfigInt(config, "timeout_ms", 5000);
  int64_t connect_ms = ConfigInt(config, "connect_timeout_ms", timeout_ms);
  std::string host = ConfigString(config, "host");
  std::string port = std::to_string(ConfigInt(config, "port", 5432));
  std::string database = ConfigString(config, "database");
  std::string user = ConfigString(config, "username");
  std::string password = ConfigString(config, "password");
  std::string ssl_mode = ConfigString(config, "ssl_mode", "prefer");
  std::string ssl_root_cert = ConfigString(config, "ssl_root_cert");
  // libpq counts whole seconds, and at least 2.
  std::string connect_s = std::to_string(std::max<int64_t>(2, (connect_ms + 999) / 1000));
  std::string options = "-c statement_timeout=" + std::to_string(timeout_ms);
  const char* const keys[] = {"host",
                              "port",
                              "dbname",
                              "user",
                              "password",
                              "sslmode",
                              "sslrootcert",
                              "connect_timeout",
                              "client_encoding",
                              "options",
                              "application_name",
                              nullptr};
  // libpq skips a keyword whose value is empty (ssl_root_cert unset).
  const char* const values[] = {host.c_str(),          port.c_str(),      database.c_str(),
                                user.c_str(),          password.c_str(),  ssl_mode.c_str(),
                                ssl_root_cert.c_str(), connect_s.c_str(), "UTF8",
                                options.c_str(),       "edgegate",        nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/0);
  if (PQstatus(conn) != CONNECTION_OK || PQsetnonblocking(conn, 1) != 0) {
    std::string why = conn != nullptr ? Trimmed(PQerrorMessage(conn)) : "out of memory";
    PQfinish(conn);
    return base::Unavailable("postgres: " + why);
  }
  PQsetNoticeProcessor(conn, &IgnoreNotice, nullptr);
  auto reply_timeout = std::chrono::milliseconds(timeout_ms) + kGrace;
  return std::unique_ptr<Connection>(std::make_unique<PostgresConnection>(conn, reply_timeout));
}

}  // namespace

const ServiceType& PostgresType() {
  // max_batch: a worker pipelines up to 16 queued calls on its connection (CallBatch), only
  // while every connection of the pool is busy: the server runs one connection's statements one
  // after another, and a slow one must not hold up a call an idle connection could run.
  static const ServiceType type{.name = "postgres",
                                .kind = Kind::kDatabase,
                                .keys = kKeys,
                                .connect = &Connect,
                                .default_pool_size = 4,
                                .max_batch = 16,
                                .batch_only_when_busy = true};
  return type;
}

}  // namespace edgegate::services::backends
