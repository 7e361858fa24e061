// The schema, as an append-only list of migration steps. Never edit a step that has shipped:
// add a new one. Values are never spliced into this SQL; it is constant text.
#include "store/migrations.h"

#include <array>
#include <string>

#include "store/store.h"

namespace edgegate::store {
namespace {

using base::Result;
using base::Status;

// Step 1: domains, collections, endpoints, endpoint versions and API keys. Domains and
// collections have no store API yet; they exist so endpoints can reference collections.
// Enumerated text columns (status, state) are checked in C++, not by CHECK constraints, so that
// adding a state later needs no table rebuild.
constexpr const char* kStep1 = R"sql(
CREATE TABLE domains (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  host        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  enabled     INTEGER NOT NULL DEFAULT 1,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE collections (
  id          TEXT PRIMARY KEY,
  domain_id   TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  base_path   TEXT NOT NULL DEFAULT '',
  enabled     INTEGER NOT NULL DEFAULT 1,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX collections_by_domain ON collections(domain_id);
CREATE TABLE endpoints (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  path           TEXT NOT NULL,
  method         TEXT NOT NULL,
  domain         TEXT NOT NULL,
  route_shape    TEXT NOT NULL,
  collection_id  TEXT REFERENCES collections(id) ON DELETE CASCADE,
  description    TEXT NOT NULL DEFAULT '',
  code           TEXT NOT NULL DEFAULT '',
  dependencies   TEXT NOT NULL DEFAULT '',
  enabled        INTEGER NOT NULL DEFAULT 1,
  status         TEXT NOT NULL DEFAULT 'created',
  active_version INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX endpoints_by_route ON endpoints(domain, method, route_shape);
CREATE INDEX endpoints_by_created ON endpoints(created_at, id);
CREATE INDEX endpoints_by_collection ON endpoints(collection_id);
CREATE TABLE endpoint_versions (
  endpoint_id  TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  version      INTEGER NOT NULL,
  hash         TEXT NOT NULL,
  source       TEXT NOT NULL,
  dependencies TEXT NOT NULL DEFAULT '',
  library_path TEXT NOT NULL DEFAULT '',
  state        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (endpoint_id, version)
);
CREATE INDEX endpoint_versions_by_hash ON endpoint_versions(endpoint_id, hash);
CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  label      TEXT NOT NULL DEFAULT '',
  key_hash   TEXT NOT NULL UNIQUE,
  prefix     TEXT NOT NULL DEFAULT '',
  scopes     TEXT NOT NULL DEFAULT '',
  enabled    INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
);
)sql";

// Step 2: services (backends handlers reach through actors) and their bindings to endpoints.
// A binding goes with its endpoint; a bound service cannot be deleted (RESTRICT).
constexpr const char* kStep2 = R"sql(
CREATE TABLE services (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  service_type TEXT NOT NULL,
  config       TEXT NOT NULL DEFAULT '{}',
  description  TEXT NOT NULL DEFAULT '',
  enabled      INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE TABLE endpoint_services (
  endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  service_id  TEXT NOT NULL REFERENCES services(id) ON DELETE RESTRICT,
  pool_id     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (endpoint_id, service_id),
  UNIQUE (endpoint_id, pool_id)
);
CREATE INDEX endpoint_services_by_service ON endpoint_services(service_id);
)sql";

constexpr std::array<const char*, 2> kSteps = {kStep1, kStep2};

Result<int64_t> CurrentVersion(internal::Database& db) {
  ASSIGN_OR_RETURN(internal::Statement stmt,
                   db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : int64_t{0};
}

Status Record(internal::Database& db, int64_t version, int64_t now_ms) {
  ASSIGN_OR_RETURN(internal::Statement stmt,
                   db.Prepare("INSERT INTO schema_migrations(version, applied_at) VALUES(?, ?)"));
  return stmt.Bind(1, version).Bind(2, FormatTimestamp(now_ms)).Run();
}

Status TooNew(int64_t found) {
  return base::FailedPrecondition(
      "the database schema is version " + std::to_string(found) + ", newer than this binary (" +
      std::to_string(LatestSchemaVersion()) + "); upgrade edgegate before opening it");
}

// Applies step `version` unless another opener already did (re-checked under the write lock).
Status ApplyStep(internal::Database& db, int64_t version, int64_t now_ms) {
  ASSIGN_OR_RETURN(internal::Transaction txn, internal::Transaction::Begin(db));
  ASSIGN_OR_RETURN(int64_t current, CurrentVersion(db));
  if (current >= version) {
    return txn.Commit();
  }
  RETURN_IF_ERROR(db.Exec(kSteps[version - 1]));
  RETURN_IF_ERROR(Record(db, version, now_ms));
  return txn.Commit();
}

}  // namespace

int64_t LatestSchemaVersion() { return static_cast<int64_t>(kSteps.size()); }

Status ApplyMigrations(internal::Database& db, int64_t now_ms) {
  RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations("
              "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"));
  ASSIGN_OR_RETURN(int64_t current, CurrentVersion(db));
  if (current > LatestSchemaVersion()) {
    return TooNew(current);
  }
  for (int64_t v = current + 1; v <= LatestSchemaVersion(); ++v) {
    RETURN_IF_ERROR(ApplyStep(db, v, now_ms));
  }
  return base::OkStatus();
}

}  // namespace edgegate::store
