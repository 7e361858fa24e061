// Store: the one transaction of an import. Unlike a single edit it does not stop at the first
// failed write: SQLite aborts only the failing statement (ON CONFLICT ABORT), so the remaining
// writes still run and report their own conflicts; then the whole transaction is rolled back.
// The user sees every problem of the import at once, and nothing is half-imported.
#include "store/internal/rows.h"
#include "store/internal/sqlite.h"
#include "store/store.h"

namespace edgegate::store {
namespace {

using internal::Statement;

constexpr char kInsertCollection[] =
    "INSERT INTO collections(id, domain_id, name, description, base_path, enabled, created_at, "
    "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";

Status InsertCollection(internal::Database& db, const CollectionRecord& c, int64_t now) {
  ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kInsertCollection));
  stmt.Bind(1, c.id).Bind(2, c.domain_id).Bind(3, c.name).Bind(4, c.description);
  stmt.Bind(5, c.base_path).Bind(6, c.enabled).Bind(7, c.created_at != 0 ? c.created_at : now);
  Status status = stmt.Run();
  if (status.ok()) {
    return status;
  }
  switch (stmt.violation()) {
    case internal::Violation::kForeignKey:
      return base::FieldError("domain_id", "domain " + c.domain_id + " not found");
    case internal::Violation::kPrimaryKey:
      return base::AlreadyExists("collection " + c.id + " already exists");
    default:
      return status;
  }
}

}  // namespace

Result<std::vector<ImportFailure>> Store::ApplyImport(const ImportBatch& batch) {
  std::lock_guard lock(mu_);
  const int64_t now = now_ms_();
  std::vector<ImportFailure> failures;
  auto write = [&](const EndpointRecord& e, bool insert) -> Status {
    RETURN_IF_ERROR(internal::CheckEndpoint(e));
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(insert ? internal::kInsertEndpointSql
                                                         : internal::kUpdateEndpointSql));
    internal::BindMutableEndpointFields(stmt, e);
    if (insert) {
      stmt.Bind(11, e.id).Bind(12, e.status).Bind(13, e.active_version).Bind(14, now).Bind(15, now);
    } else {
      stmt.Bind(11, now).Bind(12, e.id);
    }
    Status status = stmt.Run();
    if (!status.ok()) {
      return MapEndpointWriteErrorLocked(e, status, stmt.violation());
    }
    if (!insert && db_->Changes() == 0) {
      return base::NotFound("endpoint " + e.id + " not found");
    }
    return base::OkStatus();
  };
  ASSIGN_OR_RETURN(internal::Transaction txn, internal::Transaction::Begin(*db_));
  if (batch.new_collection) {
    if (Status s = InsertCollection(*db_, *batch.new_collection, now); !s.ok()) {
      failures.push_back({-1, std::move(s)});
    }
  }
  const size_t total = batch.create.size() + batch.update.size();
  for (size_t i = 0; i < total; ++i) {
    bool insert = i < batch.create.size();
    Status s = write(insert ? batch.create[i] : batch.update[i - batch.create.size()], insert);
    if (s.ok()) {
      continue;
    }
    if (!db_->InTransaction()) {  // sqlite rolled back on its own (disk full, I/O error)
      return base::Internal("import transaction aborted by sqlite: " + s.message());
    }
    failures.push_back({static_cast<int64_t>(i), std::move(s)});
  }
  if (!failures.empty()) {
    return failures;  // txn's destructor rolls back
  }
  RETURN_IF_ERROR(txn.Commit());
  return failures;
}

}  // namespace edgegate::store
