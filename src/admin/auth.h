// Admin API authentication and key management: bearer keys stored as SHA-256 hashes (keys carry
// ≥128 random bits, so a fast hash is the right tool), scopes per key, the first-start bootstrap
// key, and the rules that keep key management safe (no privilege escalation, no lock-out).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace edgegate::admin {

// Who is calling: the key's id and scopes.
struct Principal {
  std::string key_id;
  std::vector<std::string> scopes;
};

// True if `scopes` grant `required` ("endpoints:read"): "*", "endpoints:*", the scope itself,
// or "endpoints:write" for a read (a writer may read what it writes).
bool ScopesAllow(const std::vector<std::string>& scopes, std::string_view required);

// The resources a scope may name ("<resource>:<read|write|*>").
inline constexpr std::string_view kScopeResources[] = {"domains",  "collections", "endpoints",
                                                       "services", "import",      "keys"};

// OK if `scope` is "*" or "<resource>:<read|write|*>" with a resource of kScopeResources;
// otherwise InvalidArgument naming the field "scopes".
base::Status ValidateScope(std::string_view scope);
// A key's scope list: non-empty, each valid, no duplicates. InvalidArgument naming "scopes".
base::Status ValidateScopes(const std::vector<std::string>& scopes);
// True if everything `granted` allows, `held` allows too: "*" needs "*"; "r:*" needs both read
// and write on r; "r:read" / "r:write" as ScopesAllow. Used so a key never grants or manages
// more than it holds.
bool ScopesCover(const std::vector<std::string>& held, const std::vector<std::string>& granted);

// What POST /api/keys asks for (validated by KeyRing::Create).
struct KeySpec {
  std::string label;
  std::vector<std::string> scopes;
  std::optional<int64_t> expires_at;  // unix ms; nullopt = never
};

// A freshly created key: the stored record and the key itself, which exists only here.
struct CreatedKey {
  store::ApiKeyRecord record;
  std::string key;
};

// Thread-compatible: used from the admin loop (the store it wraps is thread-safe). The lock-out
// check and the change it guards are two store calls; that is safe because only the admin loop
// mutates keys.
class KeyRing {
 public:
  // `now_ms`: wall clock in unix ms for expiry; empty = the system clock (tests inject one).
  explicit KeyRing(store::Store& store, std::function<int64_t()> now_ms = {})
      : store_(store), now_ms_(std::move(now_ms)) {}

  // On a store without keys: stores `env_key` if given (≥ 16 characters), else generates a key,
  // writes it to <data_dir>/admin.key (mode 0600) and logs where it is. Returns the generated
  // key (to print once), or nullopt when nothing was generated.
  base::Result<std::optional<std::string>> Bootstrap(const std::filesystem::path& data_dir,
                                                     std::optional<std::string> env_key);
  // Checks an Authorization header value. Unauthenticated if missing, malformed, unknown,
  // disabled or expired; the key itself never appears in the message or logs.
  base::Result<Principal> Authenticate(std::string_view authorization);

  // Creates a key: "eg_" + 48 hex digits from the CSPRNG (192 bits), stored as its SHA-256.
  // InvalidArgument naming label / scopes / expires_at (not in the future); PermissionDenied if
  // `creator` does not hold every requested scope (ScopesCover).
  base::Result<CreatedKey> Create(const KeySpec& spec, const Principal& creator);
  // All keys, oldest first (records carry the hash: callers must not show it).
  base::Result<std::vector<store::ApiKeyRecord>> List();
  // NotFound "api key <id> not found".
  base::Result<store::ApiKeyRecord> Get(const std::string& id);
  // Enables or disables key `id` and returns it. NotFound; PermissionDenied if `caller` does not
  // hold the key's scopes; FailedPrecondition when disabling the last usable "*" key.
  base::Result<store::ApiKeyRecord> SetEnabled(const std::string& id, bool enabled,
                                               const Principal& caller);
  // Deletes key `id`; errors as SetEnabled (deleting the last usable "*" key is refused).
  base::Status Delete(const std::string& id, const Principal& caller);

  // True if `key` has an expiry that has passed.
  bool Expired(const store::ApiKeyRecord& key) const;
  int64_t NowMs() const;

 private:
  // Get(id), then PermissionDenied unless `caller` covers its scopes.
  base::Result<store::ApiKeyRecord> GetManaged(const std::string& id, const Principal& caller);
  // FailedPrecondition if `key` is the only enabled, unexpired key with "*".
  base::Status CheckNotLastAdmin(const store::ApiKeyRecord& key, std::string_view action);

  store::Store& store_;
  const std::function<int64_t()> now_ms_;
};

}  // namespace edgegate::admin
