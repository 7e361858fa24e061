// Store: services and their bindings to endpoints.
#include "store/internal/rows.h"
#include "store/internal/sqlite.h"
#include "store/store.h"

namespace edgegate::store {
namespace {

using internal::ReadAll;
using internal::Statement;
using internal::Violation;

constexpr char kServiceColumns[] =
    "id, name, service_type, config, description, enabled, created_at, updated_at";
constexpr char kBindingColumns[] = "endpoint_id, service_id, pool_id, created_at";

ServiceRecord ReadService(const Statement& row) {
  ServiceRecord s;
  s.id = row.Text(0);
  s.name = row.Text(1);
  s.service_type = row.Text(2);
  s.config = row.Text(3);
  s.description = row.Text(4);
  s.enabled = row.Bool(5);
  s.created_at = row.Int(6);
  s.updated_at = row.Int(7);
  return s;
}

ServiceBindingRecord ReadBinding(const Statement& row) {
  return {row.Text(0), row.Text(1), row.Text(2), row.Int(3)};
}

Status ServiceNotFound(const std::string& id) {
  return base::NotFound("service " + id + " not found");
}

Status NameTaken(internal::Database& db, const ServiceRecord& s) {
  std::string owner = "?";
  if (auto stmt = db.Prepare("SELECT id FROM services WHERE name = ?"); stmt.ok()) {
    if (auto row = stmt->Bind(1, s.name).Step(); row.ok() && *row) {
      owner = stmt->Text(0);
    }
  }
  return base::AlreadyExists("a service named " + s.name + " already exists: " + owner)
      .WithField("name");
}

}  // namespace

Status Store::CreateService(const ServiceRecord& s) {
  if (s.id.empty()) {
    return base::FieldError("id", "service id must not be empty");
  }
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     db_->Prepare(std::string("INSERT INTO services(") + kServiceColumns +
                                  ") VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt.Bind(1, s.id).Bind(2, s.name).Bind(3, s.service_type).Bind(4, s.config);
    stmt.Bind(5, s.description).Bind(6, s.enabled);
    stmt.Bind(7, s.created_at != 0 ? s.created_at : now);
    stmt.Bind(8, s.updated_at != 0 ? s.updated_at : now);
    Status status = stmt.Run();
    if (!status.ok() && stmt.violation() == Violation::kUnique) {
      return NameTaken(*db_, s);
    }
    if (!status.ok() && stmt.violation() == Violation::kPrimaryKey) {
      return base::AlreadyExists("service " + s.id + " already exists");
    }
    return status;
  });
}

Result<ServiceRecord> Store::GetService(const std::string& id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kServiceColumns +
                                                " FROM services WHERE id = ?"));
  stmt.Bind(1, id);
  return internal::ReadOne(stmt, ReadService, ServiceNotFound(id));
}

Result<std::vector<ServiceRecord>> Store::ListServices() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kServiceColumns +
                                                " FROM services ORDER BY created_at, id"));
  return ReadAll(stmt, ReadService);
}

Status Store::UpdateService(const ServiceRecord& s) {
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     db_->Prepare("UPDATE services SET name = ?, service_type = ?, config = ?, "
                                  "description = ?, enabled = ?, updated_at = ? WHERE id = ?"));
    stmt.Bind(1, s.name).Bind(2, s.service_type).Bind(3, s.config).Bind(4, s.description);
    Status status = stmt.Bind(5, s.enabled).Bind(6, now).Bind(7, s.id).Run();
    if (!status.ok()) {
      return stmt.violation() == Violation::kUnique ? NameTaken(*db_, s) : status;
    }
    return db_->Changes() == 0 ? ServiceNotFound(s.id) : base::OkStatus();
  });
}

Status Store::DeleteService(const std::string& id) {
  std::lock_guard lock(mu_);
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement bound,
                     db_->Prepare("SELECT endpoint_id FROM endpoint_services WHERE service_id = ? "
                                  "ORDER BY created_at, endpoint_id"));
    bound.Bind(1, id);
    std::string endpoints;
    while (true) {
      ASSIGN_OR_RETURN(bool row, bound.Step());
      if (!row) {
        break;
      }
      endpoints += (endpoints.empty() ? "" : ", ") + bound.Text(0);
    }
    if (!endpoints.empty()) {
      return base::FailedPrecondition("service " + id + " is bound to endpoints " + endpoints +
                                      "; unbind it first");
    }
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM services WHERE id = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, id).Run());
    return db_->Changes() == 0 ? ServiceNotFound(id) : base::OkStatus();
  });
}

Status Store::BindService(const ServiceBindingRecord& b) {
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    RETURN_IF_ERROR(RequireEndpointLocked(b.endpoint_id));
    ASSIGN_OR_RETURN(Statement exists, db_->Prepare("SELECT 1 FROM services WHERE id = ?"));
    ASSIGN_OR_RETURN(bool found, exists.Bind(1, b.service_id).Step());
    if (!found) {
      return ServiceNotFound(b.service_id).WithField("service_id");
    }
    ASSIGN_OR_RETURN(Statement stmt,
                     db_->Prepare("INSERT INTO endpoint_services(endpoint_id, service_id, pool_id, "
                                  "created_at) VALUES(?, ?, ?, ?) ON CONFLICT(endpoint_id, "
                                  "service_id) DO UPDATE SET pool_id = excluded.pool_id"));
    stmt.Bind(1, b.endpoint_id).Bind(2, b.service_id).Bind(3, b.pool_id);
    Status status = stmt.Bind(4, b.created_at != 0 ? b.created_at : now).Run();
    if (!status.ok() && stmt.violation() == Violation::kUnique) {
      return base::AlreadyExists("endpoint " + b.endpoint_id + " already uses the name " +
                                 b.pool_id + " for another service")
          .WithField("pool_id");
    }
    return status;
  });
}

Status Store::UnbindService(const std::string& endpoint_id, const std::string& service_id) {
  std::lock_guard lock(mu_);
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM endpoint_services WHERE "
                                                  "endpoint_id = ? AND service_id = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, endpoint_id).Bind(2, service_id).Run());
    if (db_->Changes() == 0) {
      return base::NotFound("binding of service " + service_id + " to endpoint " + endpoint_id +
                            " not found");
    }
    return base::OkStatus();
  });
}

Result<std::vector<ServiceBindingRecord>> Store::ListBindings() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kBindingColumns +
                                                " FROM endpoint_services ORDER BY created_at, "
                                                "pool_id"));
  return ReadAll(stmt, ReadBinding);
}

Result<std::vector<ServiceBindingRecord>> Store::ListBindingsOfEndpoint(
    const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kBindingColumns +
                                                " FROM endpoint_services WHERE endpoint_id = ? "
                                                "ORDER BY created_at, pool_id"));
  stmt.Bind(1, endpoint_id);
  return ReadAll(stmt, ReadBinding);
}

Result<std::vector<ServiceBindingRecord>> Store::ListBindingsOfService(
    const std::string& service_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kBindingColumns +
                                                " FROM endpoint_services WHERE service_id = ? "
                                                "ORDER BY created_at, pool_id"));
  stmt.Bind(1, service_id);
  return ReadAll(stmt, ReadBinding);
}

}  // namespace edgegate::store
