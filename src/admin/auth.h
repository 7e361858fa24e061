// Admin API authentication: bearer keys stored as SHA-256 hashes (keys carry ≥128 random bits,
// so a fast hash is the right tool), scopes per key, and the first-start bootstrap key.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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

// Thread-compatible: used from the admin loop (the store it wraps is thread-safe).
class KeyRing {
 public:
  explicit KeyRing(store::Store& store) : store_(store) {}

  // On a store without keys: stores `env_key` if given (≥ 16 characters), else generates a key,
  // writes it to <data_dir>/admin.key (mode 0600) and logs where it is. Returns the generated
  // key (to print once), or nullopt when nothing was generated.
  base::Result<std::optional<std::string>> Bootstrap(const std::filesystem::path& data_dir,
                                                     std::optional<std::string> env_key);
  // Checks an Authorization header value. Unauthenticated if missing, malformed, unknown,
  // disabled or expired; the key itself never appears in the message or logs.
  base::Result<Principal> Authenticate(std::string_view authorization);

 private:
  store::Store& store_;
};

}  // namespace edgegate::admin
