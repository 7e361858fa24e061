// MySQL / MariaDB through MariaDB Connector/C: one MYSQL handle per actor worker.
//
// Statements run as server-side prepared statements (`?` placeholders bound with
// mysql_stmt_bind_param, never spliced into the SQL text) with typed results. The few statements
// the server cannot prepare (ER_UNSUPPORTED_PS) run through the text protocol when they have no
// parameters. Time is bounded by the client's connect/read/write socket timeouts (timeout_ms plus
// a grace period: past them the call fails Unavailable and the actor reconnects) and, on MariaDB,
// by the session's max_statement_time (= timeout_ms), which ends a slow statement first as a
// BackendError on a healthy connection.
//
// Sessions use utf8mb4, LOAD DATA LOCAL INFILE is disabled (the server could otherwise ask the
// gateway for any of its files), and CLIENT_FOUND_ROWS makes `affected_rows` of an UPDATE count
// matched rows, as PostgreSQL and SQLite do.
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "base/strings.h"
#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

// Seconds the socket timeouts add to timeout_ms (the server's own limit normally answers first).
constexpr int64_t kGraceSeconds = 2;
// Bytes of a variable-length cell fetched with the row; longer ones are fetched again in full.
constexpr size_t kInlineCell = 256;

constexpr ConfigKey kKeys[] = {
    {.name = "host", .type = KeyType::kString, .required = true},
    {.name = "port", .type = KeyType::kInt, .min = 1, .max = 65535},
    {.name = "database", .type = KeyType::kString, .required = true},
    {.name = "username", .type = KeyType::kString, .required = true},
    {.name = "password", .type = KeyType::kString, .secret = true},
    {.name = "use_ssl", .type = KeyType::kBool},
    // With use_ssl: the CA certificates (PEM) the server's certificate is verified against, name
    // included. Unset: the session is encrypted but the server is not verified.
    {.name = "ssl_ca", .type = KeyType::kString},
    {.name = "connect_timeout_ms", .type = KeyType::kInt, .min = 1, .max = 600000},
};

// ServiceType::validate: ssl_ca means nothing without use_ssl.
base::Status Validate(const json::object& config) {
  if (!ConfigString(config, "ssl_ca").empty() && !ConfigBool(config, "use_ssl", false)) {
    return base::FieldError("config.ssl_ca", "config.ssl_ca needs use_ssl: true");
  }
  return base::OkStatus();
}

// Client and server errors that mean the connection is gone: the actor must reconnect.
bool IsConnectionLost(unsigned int error) {
  switch (error) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_COMMANDS_OUT_OF_SYNC:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
      return true;
    default:
      return false;
  }
}

// "mysql: <message> (<errno>)": Unavailable for a lost connection, else BackendError.
base::Status Failure(unsigned int error, const char* message) {
  std::string text = std::string("mysql: ") + message + " (" + std::to_string(error) + ")";
  return IsConnectionLost(error) ? base::Unavailable(std::move(text))
                                 : base::BackendError(std::move(text));
}

// How a result column is typed in JSON (docs/services.md).
enum class Cell { kInt, kDouble, kBytes };

Cell CellOf(const MYSQL_FIELD& field) {
  switch (field.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
      return Cell::kInt;
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
      return Cell::kDouble;
    default:
      return Cell::kBytes;  // text, BLOB, DECIMAL, dates, JSON, BIT...: bytes as sent
  }
}

json::array ColumnNames(const MYSQL_FIELD* fields, unsigned int n) {
  json::array names;
  for (unsigned int c = 0; c < n; ++c) {
    names.emplace_back(json::string(fields[c].name, fields[c].name_length));
  }
  return names;
}

// A text-protocol cell, typed like a prepared statement's.
json::value TextCell(const MYSQL_FIELD& field, const char* v, unsigned long length) {
  if (v == nullptr) {
    return nullptr;
  }
  const char* end = v + length;
  if (CellOf(field) == Cell::kInt) {
    int64_t n = 0;
    uint64_t u = 0;
    if (std::from_chars(v, end, n).ptr == end) {
      return n;
    }
    if (std::from_chars(v, end, u).ptr == end) {
      return u;
    }
  } else if (CellOf(field) == Cell::kDouble) {
    double d = 0;
    if (std::from_chars(v, end, d).ptr == end) {
      return d;
    }
  }
  return json::string(v, length);
}

// The bound parameters of one statement; MYSQL_BIND points into `values` (sized once) or into
// the call's arguments, which outlive the call.
struct Params {
  struct Value {
    int64_t i = 0;
    double d = 0;
    signed char b = 0;
  };
  std::vector<Value> values;
  std::vector<MYSQL_BIND> binds;
};

base::Status BindParam(const json::value& v, Params::Value& value, MYSQL_BIND& bind) {
  switch (v.kind()) {
    case json::kind::null:
      bind.buffer_type = MYSQL_TYPE_NULL;
      return base::OkStatus();
    case json::kind::bool_:
      value.b = v.get_bool() ? 1 : 0;
      bind.buffer_type = MYSQL_TYPE_TINY;
      bind.buffer = &value.b;
      return base::OkStatus();
    case json::kind::int64:
    case json::kind::uint64:
      value.i = v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_uint64());
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = &value.i;
      bind.is_unsigned = v.is_uint64();
      return base::OkStatus();
    case json::kind::double_:
      value.d = v.get_double();
      bind.buffer_type = MYSQL_TYPE_DOUBLE;
      bind.buffer = &value.d;
      return base::OkStatus();
    case json::kind::string: {
      const json::string& s = v.get_string();
      // Text travels in the connection's charset (collations apply); other bytes as binary, so
      // they reach a BLOB column unchanged.
      bool text = base::IsValidUtf8(std::string_view(s.data(), s.size()));
      bind.buffer_type = text ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
      bind.buffer = const_cast<char*>(s.data());
      bind.buffer_length = s.size();
      return base::OkStatus();
    }
    default:
      return base::InvalidArgument("must be null, a bool, a number or a string");
  }
}

base::Status BuildParams(const json::array& args, std::string_view op, Params& p) {
  size_t n = args.size() - 1;
  p.values.resize(n);
  p.binds.assign(n, MYSQL_BIND{});
  for (size_t i = 0; i < n; ++i) {
    base::Status s = BindParam(args[i + 1], p.values[i], p.binds[i]);
    if (!s.ok()) {
      return base::InvalidArgument(std::string(op) + ": parameter " + std::to_string(i + 1) + " " +
                                   s.message());
    }
  }
  return base::OkStatus();
}

// The result buffers of one prepared statement: numbers in place, variable-length cells in an
// inline buffer of kInlineCell bytes and fetched again in full when longer.
struct Columns {
  struct Slot {
    Cell cell = Cell::kBytes;
    int64_t i = 0;
    double d = 0;
    char inline_bytes[kInlineCell];
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
  };
  std::vector<Slot> slots;  // sized once: MYSQL_BIND points into it
  std::vector<MYSQL_BIND> binds;
};

void PrepareColumns(const MYSQL_FIELD* fields, unsigned int n, Columns& cols) {
  cols.slots.resize(n);
  cols.binds.assign(n, MYSQL_BIND{});
  for (unsigned int c = 0; c < n; ++c) {
    Columns::Slot& slot = cols.slots[c];
    MYSQL_BIND& bind = cols.binds[c];
    slot.cell = CellOf(fields[c]);
    bind.length = &slot.length;
    bind.is_null = &slot.is_null;
    bind.error = &slot.error;
    if (slot.cell == Cell::kInt) {
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = &slot.i;
      bind.is_unsigned = (fields[c].flags & UNSIGNED_FLAG) != 0;
    } else if (slot.cell == Cell::kDouble) {
      bind.buffer_type = MYSQL_TYPE_DOUBLE;
      bind.buffer = &slot.d;
    } else {
      bind.buffer_type = MYSQL_TYPE_STRING;  // dates and decimals convert to their text form
      bind.buffer = slot.inline_bytes;
      bind.buffer_length = sizeof slot.inline_bytes;
    }
  }
}

using StmtPtr = std::unique_ptr<MYSQL_STMT, decltype(&mysql_stmt_close)>;
using ResPtr = std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)>;

json::value Outcome(std::string_view op, json::array names, json::array rows, uint64_t affected,
                    uint64_t insert_id) {
  if (op == "query") {
    return json::object{{"columns", std::move(names)}, {"rows", std::move(rows)}};
  }
  json::value id = insert_id != 0 ? json::value(insert_id) : json::value(nullptr);
  return json::object{{"affected_rows", affected}, {"last_insert_id", std::move(id)}};
}

// Thread-compatible (the actor gives it to one thread at a time).
class MysqlConnection final : public Connection {
 public:
  explicit MysqlConnection(MYSQL* mysql) : mysql_(mysql) {}
  ~MysqlConnection() override { mysql_close(mysql_); }

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op != "query" && op != "execute") {
      return base::InvalidArgument("unknown database operation '" + std::string(op) + "'");
    }
    ASSIGN_OR_RETURN(std::string_view sql, StringArg(args, 0, op, "sql"));
    StmtPtr stmt(mysql_stmt_init(mysql_), &mysql_stmt_close);
    if (stmt == nullptr) {
      return Failure(mysql_errno(mysql_), mysql_error(mysql_));
    }
    if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0) {
      if (mysql_stmt_errno(stmt.get()) == ER_UNSUPPORTED_PS && args.size() == 1) {
        return RunText(op, sql);
      }
      return StmtFailure(stmt.get());
    }
    unsigned long expected = mysql_stmt_param_count(stmt.get());
    if (args.size() - 1 != expected) {
      return base::InvalidArgument(std::string(op) + ": the statement has " +
                                   std::to_string(expected) + " parameter(s), " +
                                   std::to_string(args.size() - 1) + " given");
    }
    Params params;
    RETURN_IF_ERROR(BuildParams(args, op, params));
    if ((expected > 0 && mysql_stmt_bind_param(stmt.get(), params.binds.data()) != 0) ||
        mysql_stmt_execute(stmt.get()) != 0) {
      return StmtFailure(stmt.get());
    }
    json::array names;
    json::array rows;
    bool has_rows = mysql_stmt_field_count(stmt.get()) > 0;
    if (has_rows) {
      RETURN_IF_ERROR(FetchRows(stmt.get(), names, rows));
    }
    uint64_t affected = has_rows ? rows.size() : mysql_stmt_affected_rows(stmt.get());
    uint64_t insert_id = mysql_stmt_insert_id(stmt.get());
    RETURN_IF_ERROR(DrainStmtResults(stmt.get()));
    return Outcome(op, std::move(names), std::move(rows), affected, insert_id);
  }

  base::Status Ping() override { return Call("query", json::array{"SELECT 1"}).status(); }

 private:
  base::Status ConnFailure() const { return Failure(mysql_errno(mysql_), mysql_error(mysql_)); }

  // The statement's error; some (a statement killed during fetch) are recorded on the connection.
  base::Status StmtFailure(MYSQL_STMT* stmt) const {
    if (mysql_stmt_errno(stmt) != 0) {
      return Failure(mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
    }
    if (mysql_errno(mysql_) != 0) {
      return ConnFailure();
    }
    return base::Unavailable("mysql: the statement failed without a reason");
  }

  // The fetched row's cell `c`.
  base::Result<json::value> FetchedCell(MYSQL_STMT* stmt, Columns& cols, unsigned int c) const {
    const Columns::Slot& slot = cols.slots[c];
    if (slot.is_null) {
      return json::value(nullptr);
    }
    switch (slot.cell) {
      case Cell::kInt:
        if (cols.binds[c].is_unsigned && slot.i < 0) {
          return json::value(static_cast<uint64_t>(slot.i));
        }
        return json::value(slot.i);
      case Cell::kDouble:
        return json::value(slot.d);
      case Cell::kBytes:
        break;
    }
    if (slot.length <= sizeof slot.inline_bytes) {
      return json::value(json::string(slot.inline_bytes, slot.length));
    }
    json::string bytes;
    bytes.resize(slot.length);
    MYSQL_BIND full = cols.binds[c];
    unsigned long length = 0;
    full.buffer = bytes.data();
    full.buffer_length = bytes.size();
    full.length = &length;
    if (mysql_stmt_fetch_column(stmt, &full, c, 0) != 0) {
      return StmtFailure(stmt);
    }
    bytes.resize(std::min<size_t>(length, bytes.size()));
    return json::value(std::move(bytes));
  }

  // Fetches every row of the statement's result set into `rows`.
  base::Status FetchRows(MYSQL_STMT* stmt, json::array& names, json::array& rows) const {
    ResPtr meta(mysql_stmt_result_metadata(stmt), &mysql_free_result);
    if (meta == nullptr) {
      return StmtFailure(stmt);
    }
    unsigned int n = mysql_num_fields(meta.get());
    const MYSQL_FIELD* fields = mysql_fetch_fields(meta.get());
    names = ColumnNames(fields, n);
    Columns cols;
    PrepareColumns(fields, n, cols);
    if (mysql_stmt_bind_result(stmt, cols.binds.data()) != 0) {
      return StmtFailure(stmt);
    }
    for (;;) {
      int rc = mysql_stmt_fetch(stmt);
      if (rc == MYSQL_NO_DATA) {
        return base::OkStatus();
      }
      if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
        return StmtFailure(stmt);
      }
      json::array row;
      row.reserve(n);
      for (unsigned int c = 0; c < n; ++c) {
        ASSIGN_OR_RETURN(json::value cell, FetchedCell(stmt, cols, c));
        row.push_back(std::move(cell));
      }
      rows.push_back(std::move(row));
    }
  }

  // Further result sets (a CALL's status) are read and dropped, so the next call starts clean.
  base::Status DrainStmtResults(MYSQL_STMT* stmt) const {
    for (;;) {
      int rc = mysql_stmt_next_result(stmt);
      if (rc < 0) {
        return base::OkStatus();
      }
      if (rc > 0 || mysql_stmt_store_result(stmt) != 0) {
        return StmtFailure(stmt);
      }
      mysql_stmt_free_result(stmt);
    }
  }

  // The text protocol, for parameterless statements the server cannot prepare.
  base::Result<json::value> RunText(std::string_view op, std::string_view sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      return ConnFailure();
    }
    ResPtr res(mysql_store_result(mysql_), &mysql_free_result);
    if (res == nullptr && mysql_field_count(mysql_) != 0) {
      return ConnFailure();
    }
    json::array names;
    json::array rows;
    uint64_t affected = mysql_affected_rows(mysql_);
    if (res != nullptr) {
      unsigned int n = mysql_num_fields(res.get());
      const MYSQL_FIELD* fields = mysql_fetch_fields(res.get());
      names = ColumnNames(fields, n);
      while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
        const unsigned long* lengths = mysql_fetch_lengths(res.get());
        json::array cells;
        for (unsigned int c = 0; c < n; ++c) {
          cells.push_back(TextCell(fields[c], row[c], lengths[c]));
        }
        rows.push_back(std::move(cells));
      }
      affected = rows.size();
    }
    uint64_t insert_id = mysql_insert_id(mysql_);
    while (mysql_next_result(mysql_) == 0) {
      mysql_free_result(mysql_store_result(mysql_));
    }
    return Outcome(op, std::move(names), std::move(rows), affected, insert_id);
  }

  MYSQL* const mysql_;  // owned
};

// Ends a statement at the server after timeout_ms: MariaDB's max_statement_time (seconds), else
// MySQL's max_execution_time (milliseconds, SELECT only). Best effort: the socket timeouts bound
// the call anyway.
void SetStatementTimeout(MYSQL* mysql, int64_t timeout_ms) {
  std::string mariadb = "SET SESSION max_statement_time = " + std::to_string(timeout_ms / 1000) +
                        "." + std::to_string(1000 + timeout_ms % 1000).substr(1);
  if (mysql_real_query(mysql, mariadb.data(), mariadb.size()) != 0) {
    std::string mysql_sql = "SET SESSION max_execution_time = " + std::to_string(timeout_ms);
    mysql_real_query(mysql, mysql_sql.data(), mysql_sql.size());
  }
}

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  int64_t timeout_ms = ConfigInt(config, "timeout_ms", 5000);
  int64_t connect_ms = ConfigInt(config, "connect_timeout_ms", timeout_ms);
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) {
    return base::Unavailable("mysql: out of memory");
  }
  // Connector/C counts whole seconds.
  unsigned int connect_s = static_cast<unsigned int>((connect_ms + 999) / 1000);
  unsigned int io_s = static_cast<unsigned int>((timeout_ms + 999) / 1000 + kGraceSeconds);
  unsigned int local_infile = 0;
  my_bool enforce_ssl = 1;
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &io_s);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_s);
  mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const std::string ssl_ca = ConfigString(config, "ssl_ca");
  my_bool verify_server = 1;
  if (ConfigBool(config, "use_ssl", false)) {
    mysql_options(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce_ssl);
    if (!ssl_ca.empty()) {
      mysql_options(mysql, MYSQL_OPT_SSL_CA, ssl_ca.c_str());
      mysql_options(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_server);
    }
  }
  std::string host = ConfigString(config, "host");
  std::string user = ConfigString(config, "username");
  std::string password = ConfigString(config, "password");
  std::string database = ConfigString(config, "database");
  auto port = static_cast<unsigned int>(ConfigInt(config, "port", 3306));
  if (mysql_real_connect(mysql, host.c_str(), user.c_str(), password.c_str(), database.c_str(),
                         port, nullptr, CLIENT_FOUND_ROWS) == nullptr) {
    std::string why = std::string("mysql: ") + mysql_error(mysql) + " (" +
                      std::to_string(mysql_errno(mysql)) + ")";
    mysql_close(mysql);
    return base::Unavailable(std::move(why));
  }
  // Connector/C falls back to plain text when the server offers no TLS (unless it also verifies
  // the certificate): use_ssl means TLS or no connection.
  if (ConfigBool(config, "use_ssl", false) && mysql_get_ssl_cipher(mysql) == nullptr) {
    mysql_close(mysql);
    return base::Unavailable("mysql: use_ssl is set but the server does not offer TLS");
  }
  SetStatementTimeout(mysql, timeout_ms);
  return std::unique_ptr<Connection>(std::make_unique<MysqlConnection>(mysql));
}

}  // namespace

const ServiceType& MysqlType() {
  static const ServiceType type{"mysql", Kind::kDatabase, kKeys, &Connect, false, 4, 1, &Validate};
  return type;
}

}  // namespace edgegate::services::backends
