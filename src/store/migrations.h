// Versioned schema migrations: an ordered list of SQL steps, each applied once, in its own
// transaction, and recorded in schema_migrations(version, applied_at). A database written by a
// newer binary (a version this one does not know) is refused rather than misread.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "store/internal/sqlite.h"

namespace edgegate::store {

// The newest schema version this binary knows (the number of migration steps).
int64_t LatestSchemaVersion();

// Brings `db` to LatestSchemaVersion(), stamping applied_at from `now_ms`. Steps already
// applied are skipped, so reopening is idempotent; concurrent openers serialise on the write
// lock. FailedPrecondition if `db` holds a newer schema; Internal on sqlite errors (the failed
// step is rolled back, earlier steps stay applied).
// REQUIRES: no transaction is open on `db`.
base::Status ApplyMigrations(internal::Database& db, int64_t now_ms);

}  // namespace edgegate::store
