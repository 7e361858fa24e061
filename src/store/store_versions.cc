// Store: handler versions. A version row is the durable record of one compiled build of an
// endpoint (its exact source, hash and library file); ActivateVersion is the single place where
// which version serves changes, so a restart can load exactly what was active.
#include <utility>

#include "store/internal/rows.h"
#include "store/internal/sqlite.h"
#include "store/store.h"

namespace edgegate::store {
namespace {

using internal::Statement;

Status VersionNotFound(const std::string& endpoint_id, int64_t version) {
  return base::NotFound("version " + std::to_string(version) + " of endpoint " + endpoint_id +
                        " not found");
}

std::string SelectVersions(const char* where) {
  return std::string("SELECT ") + internal::kVersionColumns + " FROM endpoint_versions " + where;
}

Status CheckVersion(const VersionRecord& v) {
  RETURN_IF_ERROR(internal::CheckOneOf(v.state, kVersionStates, "state"));
  return internal::CheckList(v.dependencies, "dependencies");
}

// Runs constant SQL binding `text` to ?1 and `n` to ?2.
Status RunUpdate(internal::Database& db, const char* sql, const std::string& text, int64_t n) {
  ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
  return stmt.Bind(1, text).Bind(2, n).Run();
}

}  // namespace

Result<VersionRecord> Store::AddVersion(VersionRecord v) {
  RETURN_IF_ERROR(CheckVersion(v));
  std::lock_guard lock(mu_);
  if (v.created_at == 0) {
    v.created_at = now_ms_();
  }
  Status status = WriteLocked([&]() -> Status {
    RETURN_IF_ERROR(RequireEndpointLocked(v.endpoint_id));
    ASSIGN_OR_RETURN(Statement next, db_->Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM "
                                                  "endpoint_versions WHERE endpoint_id = ?"));
    ASSIGN_OR_RETURN(bool row, next.Bind(1, v.endpoint_id).Step());
    v.version = row ? next.Int(0) : 1;
    ASSIGN_OR_RETURN(Statement insert,
                     db_->Prepare("INSERT INTO endpoint_versions(endpoint_id, version, hash, "
                                  "source, dependencies, library_path, state, created_at) "
                                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, v.endpoint_id).Bind(2, v.version).Bind(3, v.hash).Bind(4, v.source);
    insert.Bind(5, internal::JoinList(v.dependencies)).Bind(6, v.library_path);
    return insert.Bind(7, v.state).Bind(8, v.created_at).Run();
  });
  RETURN_IF_ERROR(status);
  return v;
}

Result<std::vector<VersionRecord>> Store::ListVersions(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(RequireEndpointLocked(endpoint_id));
  ASSIGN_OR_RETURN(Statement stmt,
                   db_->Prepare(SelectVersions("WHERE endpoint_id = ? ORDER BY version")));
  stmt.Bind(1, endpoint_id);
  return internal::ReadAll(stmt, internal::ReadVersion);
}

Result<VersionRecord> Store::GetVersionLocked(const std::string& endpoint_id, int64_t version) {
  ASSIGN_OR_RETURN(Statement stmt,
                   db_->Prepare(SelectVersions("WHERE endpoint_id = ? AND version = ?")));
  ASSIGN_OR_RETURN(bool found, stmt.Bind(1, endpoint_id).Bind(2, version).Step());
  if (!found) {
    return VersionNotFound(endpoint_id, version);
  }
  return internal::ReadVersion(stmt);
}

Result<VersionRecord> Store::GetVersion(const std::string& endpoint_id, int64_t version) {
  std::lock_guard lock(mu_);
  return GetVersionLocked(endpoint_id, version);
}

Result<std::optional<VersionRecord>> Store::FindVersionByHash(const std::string& endpoint_id,
                                                              const std::string& hash) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt,
                   db_->Prepare(SelectVersions(
                       "WHERE endpoint_id = ? AND hash = ? ORDER BY version DESC LIMIT 1")));
  ASSIGN_OR_RETURN(bool found, stmt.Bind(1, endpoint_id).Bind(2, hash).Step());
  if (!found) {
    return std::optional<VersionRecord>();
  }
  return std::optional<VersionRecord>(internal::ReadVersion(stmt));
}

Status Store::SetVersionState(const std::string& endpoint_id, int64_t version,
                              const std::string& state) {
  RETURN_IF_ERROR(internal::CheckOneOf(state, kVersionStates, "state"));
  std::lock_guard lock(mu_);
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("UPDATE endpoint_versions SET state = ? "
                                                  "WHERE endpoint_id = ? AND version = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, state).Bind(2, endpoint_id).Bind(3, version).Run());
    return db_->Changes() == 0 ? VersionNotFound(endpoint_id, version) : base::OkStatus();
  });
}

Status Store::ActivateVersion(const std::string& endpoint_id, int64_t version) {
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(VersionRecord target, GetVersionLocked(endpoint_id, version));
    if (target.state == "failed") {
      return base::FailedPrecondition("version " + std::to_string(version) + " of endpoint " +
                                      endpoint_id + " failed to build and cannot be activated");
    }
    RETURN_IF_ERROR(RunUpdate(*db_,
                              "UPDATE endpoint_versions SET state = 'draining' WHERE "
                              "endpoint_id = ?1 AND state = 'active' AND version <> ?2",
                              endpoint_id, version));
    RETURN_IF_ERROR(RunUpdate(*db_,
                              "UPDATE endpoint_versions SET state = 'active' WHERE "
                              "endpoint_id = ?1 AND version = ?2",
                              endpoint_id, version));
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("UPDATE endpoints SET status = 'running', "
                                                  "active_version = ?, updated_at = ? "
                                                  "WHERE id = ?"));
    return stmt.Bind(1, version).Bind(2, now).Bind(3, endpoint_id).Run();
  });
}

}  // namespace edgegate::store
