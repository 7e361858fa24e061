// Registers the API key routes (/api/keys...) of the admin API: create (the key is shown once,
// in the creation answer only), list and get (masked: prefix, never the key or its hash),
// enable, disable, delete. Scopes keys:read / keys:write; a key never grants or manages scopes
// it does not hold, and the last usable "*" key cannot be disabled or deleted (KeyRing).
#pragma once

#include <cstdint>
#include <string_view>

#include "admin/auth.h"
#include "admin/routes.h"
#include "base/status.h"

namespace edgegate::admin {

// `keys` must outlive the routes.
void AddKeyRoutes(AdminRoutes& routes, KeyRing& keys);

// Parses an ISO 8601 date-time with an explicit offset into unix milliseconds:
// "2026-01-31T12:00:00Z", "2026-01-31T12:00:00.250+01:00" ('T' or ' ', fractions optional).
// InvalidArgument naming `field` if malformed, out of range, or without "Z"/offset (a time
// without one is local time, which is ambiguous on a server).
base::Result<int64_t> ParseIsoTimestamp(std::string_view text, std::string_view field);

}  // namespace edgegate::admin
