// The embedded database: a SQLite file, one sqlite3 connection per actor worker (WAL mode, so
// readers and one writer proceed together; a busy timeout absorbs writer contention).
#include <sqlite3.h>

#include <filesystem>

#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

constexpr ConfigKey kKeys[] = {
    {.name = "path", .type = KeyType::kString, .required = true},
    {.name = "create_if_missing", .type = KeyType::kBool},
    {.name = "busy_timeout_ms", .type = KeyType::kInt, .min = 0, .max = 600000},
};

std::string_view Text(const unsigned char* p, int n) {
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op != "query" && op != "execute") {
      return base::InvalidArgument("unknown database operation '" + std::string(op) + "'");
    }
    ASSIGN_OR_RETURN(std::string_view sql, StringArg(args, 0, op, "sql"));
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail) !=
        SQLITE_OK) {
      return Error();
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
    if (stmt == nullptr) {
      return base::InvalidArgument(std::string(op) + ": the SQL text holds no statement");
    }
    if (tail != nullptr && std::string_view(tail, sql.data() + sql.size() - tail)
                                   .find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      return base::InvalidArgument(std::string(op) +
                                   ": one statement per call (the SQL text holds more)");
    }
    int expected = sqlite3_bind_parameter_count(stmt.get());
    if (static_cast<int>(args.size()) - 1 != expected) {
      return base::InvalidArgument(std::string(op) + ": the statement has " +
                                   std::to_string(expected) + " parameter(s), " +
                                   std::to_string(args.size() - 1) + " given");
    }
    for (size_t i = 1; i < args.size(); ++i) {
      RETURN_IF_ERROR(Bind(stmt.get(), static_cast<int>(i), args[i], op));
    }
    json::array rows;
    int columns = sqlite3_column_count(stmt.get());
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      if (op == "execute") {
        continue;
      }
      json::array row;
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        row.push_back(Column(stmt.get(), c));
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      return Error();
    }
    if (op == "execute") {
      json::object out;
      out["affected_rows"] = sqlite3_changes64(db_);
      bool inserted = sqlite3_stmt_readonly(stmt.get()) == 0 && sqlite3_changes64(db_) > 0;
      out["last_insert_id"] = inserted ? json::value(sqlite3_last_insert_rowid(db_)) : nullptr;
      return json::value(std::move(out));
    }
    json::array names;
    for (int c = 0; c < columns; ++c) {
      names.emplace_back(sqlite3_column_name(stmt.get(), c));
    }
    return json::value(json::object{{"columns", std::move(names)}, {"rows", std::move(rows)}});
  }

  base::Status Ping() override {
    return Call("query", json::array{"SELECT 1"}).status();
  }

 private:
  base::Status Error() {
    return base::BackendError(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }

  base::Status Bind(sqlite3_stmt* stmt, int i, const json::value& v, std::string_view op) {
    int rc;
    switch (v.kind()) {
      case json::kind::null: rc = sqlite3_bind_null(stmt, i); break;
      case json::kind::bool_: rc = sqlite3_bind_int(stmt, i, v.get_bool() ? 1 : 0); break;
      case json::kind::int64: rc = sqlite3_bind_int64(stmt, i, v.get_int64()); break;
      case json::kind::uint64:
        rc = sqlite3_bind_int64(stmt, i, static_cast<sqlite3_int64>(v.get_uint64()));
        break;
      case json::kind::double_: rc = sqlite3_bind_double(stmt, i, v.get_double()); break;
      case json::kind::string: {
        const json::string& s = v.get_string();
        rc = sqlite3_bind_text64(stmt, i, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
      }
      default:
        return base::InvalidArgument(std::string(op) + ": parameter " + std::to_string(i) +
                                     " must be null, a bool, a number or a string");
    }
    return rc == SQLITE_OK ? base::OkStatus() : Error();
  }

  static json::value Column(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER: return json::value(sqlite3_column_int64(stmt, c));
      case SQLITE_FLOAT: return json::value(sqlite3_column_double(stmt, c));
      case SQLITE_NULL: return json::value(nullptr);
      case SQLITE_BLOB: {
        const void* p = sqlite3_column_blob(stmt, c);
        int n = sqlite3_column_bytes(stmt, c);
        return json::value(json::string(static_cast<const char*>(p), static_cast<size_t>(n)));
      }
      default: {
        const unsigned char* p = sqlite3_column_text(stmt, c);
        int n = sqlite3_column_bytes(stmt, c);
        return json::value(json::string(Text(p, n)));
      }
    }
  }

  sqlite3* db_;
};

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  std::string path = ConfigString(config, "path");
  bool create = ConfigBool(config, "create_if_missing", true);
  if (create) {
    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::filesystem::create_directories(parent, ec);
    }
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return base::Unavailable("sqlite: cannot open " + path + ": " + why);
  }
  sqlite3_busy_timeout(db, static_cast<int>(ConfigInt(config, "busy_timeout_ms", 5000)));
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", nullptr, nullptr, nullptr);
  return std::unique_ptr<Connection>(std::make_unique<SqliteConnection>(db));
}

}  // namespace

const ServiceType& SqliteType() {
  static const ServiceType type{"sqlite", Kind::kDatabase, kKeys, &Connect, false, 2};
  return type;
}

}  // namespace edgegate::services::backends
