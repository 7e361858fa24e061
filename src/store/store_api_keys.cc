// Store: admin API keys. Only the SHA-256 of a key is stored, so a leaked database file does
// not leak usable keys; lookups go by that hash.
#include <utility>

#include "store/internal/rows.h"
#include "store/internal/sqlite.h"
#include "store/store.h"

namespace edgegate::store {
namespace {

using internal::Statement;
using internal::Violation;

Status ApiKeyNotFound(const std::string& id) {
  return base::NotFound("api key " + id + " not found");
}

Status MapAddError(const ApiKeyRecord& key, Status error, Violation violation) {
  switch (violation) {
    case Violation::kPrimaryKey:
      return base::AlreadyExists("api key " + key.id + " already exists");
    case Violation::kUnique:
      return base::AlreadyExists("an api key with the same hash already exists");
    default:
      return error;
  }
}

}  // namespace

Status Store::AddApiKey(const ApiKeyRecord& key) {
  if (key.id.empty()) {
    return base::FieldError("id", "api key id must not be empty");
  }
  RETURN_IF_ERROR(internal::CheckList(key.scopes, "scopes"));
  std::lock_guard lock(mu_);
  int64_t created_at = key.created_at != 0 ? key.created_at : now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO api_keys(id, label, key_hash, prefix, scopes, "
                     "enabled, created_at, expires_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt.Bind(1, key.id).Bind(2, key.label).Bind(3, key.key_hash).Bind(4, key.prefix);
    stmt.Bind(5, internal::JoinList(key.scopes)).Bind(6, key.enabled);
    Status status = stmt.Bind(7, created_at).Bind(8, key.expires_at).Run();
    return status.ok() ? status : MapAddError(key, status, stmt.violation());
  });
}

Result<std::vector<ApiKeyRecord>> Store::ListApiKeys() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + internal::kApiKeyColumns +
                                                " FROM api_keys ORDER BY created_at, id"));
  return internal::ReadAll(stmt, internal::ReadApiKey);
}

Result<std::optional<ApiKeyRecord>> Store::FindApiKeyByHash(const std::string& hash) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + internal::kApiKeyColumns +
                                                " FROM api_keys WHERE key_hash = ?"));
  ASSIGN_OR_RETURN(bool found, stmt.Bind(1, hash).Step());
  if (!found) {
    return std::optional<ApiKeyRecord>();
  }
  return std::optional<ApiKeyRecord>(internal::ReadApiKey(stmt));
}

Result<int64_t> Store::CountApiKeys() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT COUNT(*) FROM api_keys"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : int64_t{0};
}

Status Store::DeleteApiKey(const std::string& id) {
  std::lock_guard lock(mu_);
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM api_keys WHERE id = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, id).Run());
    return db_->Changes() == 0 ? ApiKeyNotFound(id) : base::OkStatus();
  });
}

Status Store::SetApiKeyEnabled(const std::string& id, bool enabled) {
  std::lock_guard lock(mu_);
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("UPDATE api_keys SET enabled = ? WHERE id = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, enabled).Bind(2, id).Run());
    return db_->Changes() == 0 ? ApiKeyNotFound(id) : base::OkStatus();
  });
}

}  // namespace edgegate::store
