// Store: domains and collections, and the one read the route table is built from.
//
// Why the store re-derives routes: an endpoint in a collection is routed at the collection's
// domain host and at base_path + its own path, and the store keeps exactly that in the
// endpoint's (domain, route_shape), which a unique index covers. Changing a base_path or a host
// rewrites those columns inside the same transaction, so a change that would make two endpoints
// share a route fails on the index and rolls back whole: nothing is half-moved, and a table
// built from the store afterwards never has a duplicate.
#include <array>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "store/internal/rows.h"
#include "store/internal/sqlite.h"
#include "store/store.h"

namespace edgegate::store {
namespace {

using internal::ReadAll;
using internal::Statement;
using internal::Violation;

constexpr char kDomainColumns[] = "id, name, host, description, enabled, created_at, updated_at";
constexpr char kCollectionColumns[] =
    "id, domain_id, name, description, base_path, enabled, created_at, updated_at";

DomainRecord ReadDomain(const Statement& row) {
  DomainRecord d;
  d.id = row.Text(0);
  d.name = row.Text(1);
  d.host = row.Text(2);
  d.description = row.Text(3);
  d.enabled = row.Bool(4);
  d.created_at = row.Int(5);
  d.updated_at = row.Int(6);
  return d;
}

CollectionRecord ReadCollection(const Statement& row) {
  CollectionRecord c;
  c.id = row.Text(0);
  c.domain_id = row.Text(1);
  c.name = row.Text(2);
  c.description = row.Text(3);
  c.base_path = row.Text(4);
  c.enabled = row.Bool(5);
  c.created_at = row.Int(6);
  c.updated_at = row.Int(7);
  return c;
}

RoutableEndpoint ReadRoutable(const Statement& row) {
  return {row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4)};
}

std::string ReadId(const Statement& row) { return row.Text(0); }

Status DomainNotFound(const std::string& id) {
  return base::NotFound("domain " + id + " not found");
}

Status CollectionNotFound(const std::string& id) {
  return base::NotFound("collection " + id + " not found");
}

// The first text column of the first row of constant `sql` bound to `args` (?1, ?2, ...), or "?".
std::string FirstText(internal::Database& db, const char* sql,
                      std::initializer_list<std::string_view> args) {
  Result<Statement> stmt = db.Prepare(sql);
  if (!stmt.ok()) {
    return "?";
  }
  int index = 1;
  for (std::string_view arg : args) stmt->Bind(index++, arg);
  Result<bool> row = stmt->Step();
  return row.ok() && *row ? stmt->Text(0) : "?";
}

Status HostTaken(internal::Database& db, const DomainRecord& d) {
  std::string owner = FirstText(db, "SELECT id FROM domains WHERE host = ?1", {d.host});
  return base::AlreadyExists("a domain with host " + d.host + " already exists: " + owner)
      .WithField("host");
}

Status MapDomainWriteError(internal::Database& db, const DomainRecord& d, Status error,
                           Violation violation) {
  switch (violation) {
    case Violation::kUnique:
      return HostTaken(db, d);
    case Violation::kPrimaryKey:
      return base::AlreadyExists("domain " + d.id + " already exists");
    default:
      return error;
  }
}

// The shape of an endpoint's own path, from its stored (joined) shape under `base_path`.
std::string StripBasePath(std::string_view base_path, std::string_view shape) {
  if (base_path.empty() || !shape.starts_with(base_path)) {
    return std::string(shape);  // not derived from this base (cannot happen through the API)
  }
  std::string_view rest = shape.substr(base_path.size());
  if (rest.empty()) {
    return "/";
  }
  return rest.front() == '/' ? std::string(rest) : std::string(shape);
}

// AlreadyExists naming `field`: endpoint `id` would take the route of another endpoint.
Status RouteTaken(internal::Database& db, const std::string& id, const std::string& host,
                  const std::string& method, const std::string& shape, const char* field) {
  std::string owner = FirstText(db,
                                "SELECT id FROM endpoints WHERE domain = ?1 AND method = ?2 AND "
                                "route_shape = ?3 AND id <> ?4",
                                {host, method, shape, id});
  return base::AlreadyExists("endpoint " + id + " would be routed at " + method + " " + host + " " +
                             shape + ", which endpoint " + owner + " already has")
      .WithField(field);
}

}  // namespace

std::string JoinBasePath(std::string_view base_path, std::string_view path) {
  if (base_path.empty()) {
    return std::string(path);
  }
  if (path == "/") {
    return std::string(base_path);
  }
  return std::string(base_path) + std::string(path);
}

// ---- Domains ----

Status Store::CreateDomain(const DomainRecord& d) {
  if (d.id.empty()) {
    return base::FieldError("id", "domain id must not be empty");
  }
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("INSERT INTO domains(id, name, host, "
                                                  "description, enabled, created_at, updated_at) "
                                                  "VALUES(?, ?, ?, ?, ?, ?, ?)"));
    stmt.Bind(1, d.id).Bind(2, d.name).Bind(3, d.host).Bind(4, d.description).Bind(5, d.enabled);
    stmt.Bind(6, d.created_at != 0 ? d.created_at : now);
    stmt.Bind(7, d.updated_at != 0 ? d.updated_at : now);
    Status status = stmt.Run();
    return status.ok() ? status : MapDomainWriteError(*db_, d, status, stmt.violation());
  });
}

Result<DomainRecord> Store::GetDomain(const std::string& id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kDomainColumns +
                                                " FROM domains WHERE id = ?"));
  stmt.Bind(1, id);
  return internal::ReadOne(stmt, ReadDomain, DomainNotFound(id));
}

Result<std::vector<DomainRecord>> Store::ListDomains() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kDomainColumns +
                                                " FROM domains ORDER BY created_at, id"));
  return ReadAll(stmt, ReadDomain);
}

Status Store::UpdateDomain(const DomainRecord& d) {
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("UPDATE domains SET name = ?, host = ?, "
                                                  "description = ?, enabled = ?, updated_at = ? "
                                                  "WHERE id = ?"));
    stmt.Bind(1, d.name).Bind(2, d.host).Bind(3, d.description).Bind(4, d.enabled);
    Status status = stmt.Bind(5, now).Bind(6, d.id).Run();
    if (!status.ok()) {
      return MapDomainWriteError(*db_, d, status, stmt.violation());
    }
    if (db_->Changes() == 0) {
      return DomainNotFound(d.id);
    }
    // The domain's endpoints move together: among themselves their shapes stay distinct, so a
    // violation here is a real collision with an endpoint outside the domain.
    ASSIGN_OR_RETURN(Statement move,
                     db_->Prepare("UPDATE endpoints SET domain = ?1, updated_at = ?2 "
                                  "WHERE domain <> ?1 AND collection_id IN "
                                  "(SELECT id FROM collections WHERE domain_id = ?3)"));
    status = move.Bind(1, d.host).Bind(2, now).Bind(3, d.id).Run();
    if (!status.ok() && move.violation() == Violation::kUnique) {
      std::string pair = FirstText(*db_,
                                   "SELECT m.id || ' and ' || o.id FROM endpoints m "
                                   "JOIN collections c ON c.id = m.collection_id "
                                   "JOIN endpoints o ON o.domain = ?1 AND o.method = m.method "
                                   "AND o.route_shape = m.route_shape AND o.id <> m.id "
                                   "WHERE c.domain_id = ?2",
                                   {d.host, d.id});
      return base::AlreadyExists("with host " + d.host + ", endpoints " + pair +
                                 " would have the same method and path")
          .WithField("host");
    }
    return status;
  });
}

Result<std::vector<std::string>> Store::DeleteDomain(const std::string& id) {
  std::lock_guard lock(mu_);
  std::vector<std::string> deleted;
  Status status = WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement ids, db_->Prepare("SELECT e.id FROM endpoints e JOIN collections c "
                                                 "ON c.id = e.collection_id WHERE c.domain_id = ? "
                                                 "ORDER BY e.created_at, e.id"));
    ASSIGN_OR_RETURN(deleted, ReadAll(ids.Bind(1, id), ReadId));
    // Collections, endpoints and versions go by ON DELETE CASCADE.
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM domains WHERE id = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, id).Run());
    return db_->Changes() == 0 ? DomainNotFound(id) : base::OkStatus();
  });
  RETURN_IF_ERROR(status);
  return deleted;
}

// ---- Collections ----

Status Store::CreateCollection(const CollectionRecord& c) {
  if (c.id.empty()) {
    return base::FieldError("id", "collection id must not be empty");
  }
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt,
                     db_->Prepare("INSERT INTO collections(id, domain_id, name, description, "
                                  "base_path, enabled, created_at, updated_at) "
                                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt.Bind(1, c.id).Bind(2, c.domain_id).Bind(3, c.name).Bind(4, c.description);
    stmt.Bind(5, c.base_path).Bind(6, c.enabled);
    stmt.Bind(7, c.created_at != 0 ? c.created_at : now);
    stmt.Bind(8, c.updated_at != 0 ? c.updated_at : now);
    Status status = stmt.Run();
    switch (status.ok() ? Violation::kNone : stmt.violation()) {
      case Violation::kForeignKey:
        return base::FieldError("domain_id", "domain " + c.domain_id + " not found");
      case Violation::kPrimaryKey:
        return base::AlreadyExists("collection " + c.id + " already exists");
      default:
        return status;
    }
  });
}

Result<CollectionRecord> Store::GetCollection(const std::string& id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(std::string("SELECT ") + kCollectionColumns +
                                                " FROM collections WHERE id = ?"));
  stmt.Bind(1, id);
  return internal::ReadOne(stmt, ReadCollection, CollectionNotFound(id));
}

Result<std::vector<CollectionRecord>> Store::ListCollections(
    const std::optional<std::string>& domain_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt,
                   db_->Prepare(std::string("SELECT ") + kCollectionColumns +
                                " FROM collections WHERE (?1 IS NULL OR domain_id = ?1) "
                                "ORDER BY created_at, id"));
  return ReadAll(stmt.Bind(1, domain_id), ReadCollection);
}

Status Store::UpdateCollection(const CollectionRecord& c) {
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement old_row, db_->Prepare("SELECT base_path, domain_id FROM "
                                                     "collections WHERE id = ?"));
    ASSIGN_OR_RETURN(bool found, old_row.Bind(1, c.id).Step());
    if (!found) {
      return CollectionNotFound(c.id);
    }
    std::string old_base = old_row.Text(0), old_domain = old_row.Text(1);
    ASSIGN_OR_RETURN(Statement stmt,
                     db_->Prepare("UPDATE collections SET domain_id = ?, name = ?, "
                                  "description = ?, base_path = ?, enabled = ?, updated_at = ? "
                                  "WHERE id = ?"));
    stmt.Bind(1, c.domain_id).Bind(2, c.name).Bind(3, c.description).Bind(4, c.base_path);
    Status status = stmt.Bind(5, c.enabled).Bind(6, now).Bind(7, c.id).Run();
    if (!status.ok()) {
      return stmt.violation() == Violation::kForeignKey
                 ? base::FieldError("domain_id", "domain " + c.domain_id + " not found")
                 : status;
    }
    if (old_base == c.base_path && old_domain == c.domain_id) {
      return base::OkStatus();
    }
    return RerouteCollectionLocked(c, old_base, now);
  });
}

// Re-derives (domain, route_shape) of the collection's endpoints after a base_path or domain
// change. Their shapes are first parked on unique placeholders, so that moving one endpoint
// onto a shape another one of the collection is about to leave is not a false collision.
Status Store::RerouteCollectionLocked(const CollectionRecord& c, const std::string& old_base,
                                      int64_t now) {
  std::string host = FirstText(*db_, "SELECT host FROM domains WHERE id = ?1", {c.domain_id});
  ASSIGN_OR_RETURN(Statement members, db_->Prepare("SELECT id, method, route_shape FROM "
                                                   "endpoints WHERE collection_id = ?"));
  members.Bind(1, c.id);
  std::vector<std::array<std::string, 3>> rows;
  while (true) {
    ASSIGN_OR_RETURN(bool row, members.Step());
    if (!row) break;
    rows.push_back({members.Text(0), members.Text(1), members.Text(2)});
  }
  ASSIGN_OR_RETURN(Statement park, db_->Prepare("UPDATE endpoints SET route_shape = '#' || id "
                                                "WHERE collection_id = ?"));
  RETURN_IF_ERROR(park.Bind(1, c.id).Run());
  const char* field = old_base != c.base_path ? "base_path" : "domain_id";
  for (const auto& [id, method, old_shape] : rows) {
    std::string shape = JoinBasePath(c.base_path, StripBasePath(old_base, old_shape));
    ASSIGN_OR_RETURN(Statement move, db_->Prepare("UPDATE endpoints SET domain = ?, "
                                                  "route_shape = ?, updated_at = ? WHERE id = ?"));
    Status status = move.Bind(1, host).Bind(2, shape).Bind(3, now).Bind(4, id).Run();
    if (!status.ok()) {
      return move.violation() == Violation::kUnique
                 ? RouteTaken(*db_, id, host, method, shape, field)
                 : status;
    }
  }
  return base::OkStatus();
}

Result<std::vector<std::string>> Store::DeleteCollection(const std::string& id) {
  std::lock_guard lock(mu_);
  std::vector<std::string> deleted;
  Status status = WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement ids, db_->Prepare("SELECT id FROM endpoints WHERE "
                                                 "collection_id = ? ORDER BY created_at, id"));
    ASSIGN_OR_RETURN(deleted, ReadAll(ids.Bind(1, id), ReadId));
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("DELETE FROM collections WHERE id = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, id).Run());
    return db_->Changes() == 0 ? CollectionNotFound(id) : base::OkStatus();
  });
  RETURN_IF_ERROR(status);
  return deleted;
}

// ---- Routing ----

Result<std::vector<RoutableEndpoint>> Store::ListRoutableEndpoints() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT e.id, e.domain, e.method, COALESCE(c.base_path, ''), e.path "
                   "FROM endpoints e "
                   "LEFT JOIN collections c ON c.id = e.collection_id "
                   "LEFT JOIN domains d ON d.id = c.domain_id "
                   "LEFT JOIN domains h ON e.collection_id IS NULL AND h.host = e.domain "
                   "WHERE e.status = 'running' AND e.enabled = 1 "
                   "AND COALESCE(c.enabled, 1) = 1 AND COALESCE(d.enabled, 1) = 1 "
                   "AND COALESCE(h.enabled, 1) = 1 "
                   "ORDER BY e.created_at, e.id"));
  return ReadAll(stmt, ReadRoutable);
}

}  // namespace edgegate::store
