// Bearer key verification, bootstrap, scope rules and key management.
#include "admin/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/log.h"
#include "base/random.h"

namespace edgegate::admin {
namespace {

constexpr size_t kMinKeyLength = 16;
constexpr size_t kMaxLabelLength = 200;
constexpr size_t kPrefixLength = 8;  // "eg_" + 5 hex digits: enough to tell keys apart

base::Status PermissionDenied(std::string message) {
  return {base::Code::kPermissionDenied, std::move(message)};
}

base::Status ScopeError(std::string message) {
  return base::FieldError("scopes", std::move(message));
}

bool IsKnownResource(std::string_view resource) {
  return std::find(std::begin(kScopeResources), std::end(kScopeResources), resource) !=
         std::end(kScopeResources);
}

bool HasScope(const std::vector<std::string>& scopes, std::string_view scope) {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

// True if `held` allows everything the single scope `granted` allows.
bool ScopeCovered(const std::vector<std::string>& held, std::string_view granted) {
  if (granted == "*") {
    return HasScope(held, "*");
  }
  std::string resource(granted.substr(0, granted.find(':')));
  bool read = ScopesAllow(held, resource + ":read");
  bool write = ScopesAllow(held, resource + ":write");
  if (granted.ends_with(":*")) {
    return read && write;
  }
  return granted.ends_with(":read") ? read : write;
}

base::Status Unauthenticated(std::string message) {
  return {base::Code::kUnauthenticated, std::move(message)};
}

base::Status WriteKeyFile(const std::filesystem::path& path, const std::string& key) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return base::Internal("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  std::string line = key + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  return ok ? base::OkStatus() : base::Internal("cannot write " + path.string());
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool ScopesAllow(const std::vector<std::string>& scopes, std::string_view required) {
  std::string_view resource = required.substr(0, required.find(':'));
  bool is_read = required.ends_with(":read");
  for (const std::string& s : scopes) {
    if (s == "*" || s == required) return true;
    std::string_view sv = s;
    if (sv.substr(0, sv.find(':')) != resource) continue;
    if (sv.ends_with(":*") || (is_read && sv.ends_with(":write"))) return true;
  }
  return false;
}

base::Status ValidateScope(std::string_view scope) {
  if (scope == "*") {
    return base::OkStatus();
  }
  size_t colon = scope.find(':');
  std::string_view resource = scope.substr(0, colon);
  std::string_view access = colon == std::string_view::npos ? "" : scope.substr(colon + 1);
  if (colon == std::string_view::npos || !IsKnownResource(resource) ||
      (access != "read" && access != "write" && access != "*")) {
    return ScopeError("invalid scope '" + std::string(scope) +
                      "': expected '*' or <resource>:<read|write|*> with resource one of "
                      "domains, collections, endpoints, services, import, keys");
  }
  return base::OkStatus();
}

base::Status ValidateScopes(const std::vector<std::string>& scopes) {
  if (scopes.empty()) {
    return ScopeError("scopes must list at least one scope");
  }
  for (size_t i = 0; i < scopes.size(); ++i) {
    RETURN_IF_ERROR(ValidateScope(scopes[i]));
    if (std::find(scopes.begin(), scopes.begin() + i, scopes[i]) != scopes.begin() + i) {
      return ScopeError("scope '" + scopes[i] + "' is listed twice");
    }
  }
  return base::OkStatus();
}

bool ScopesCover(const std::vector<std::string>& held, const std::vector<std::string>& granted) {
  return std::all_of(granted.begin(), granted.end(),
                     [&](const std::string& scope) { return ScopeCovered(held, scope); });
}

base::Result<std::optional<std::string>> KeyRing::Bootstrap(const std::filesystem::path& data_dir,
                                                            std::optional<std::string> env_key) {
  ASSIGN_OR_RETURN(int64_t count, store_.CountApiKeys());
  if (count > 0) {
    return std::optional<std::string>();
  }
  if (env_key && env_key->size() < kMinKeyLength) {
    return base::FieldError("EDGEGATE_ADMIN_KEY", "EDGEGATE_ADMIN_KEY must be at least 16 characters");
  }
  std::string key = env_key ? *env_key : "eg_" + base::RandomHex(24);
  store::ApiKeyRecord record;
  record.id = base::NewUuid();
  record.label = "bootstrap admin";
  record.key_hash = base::Sha256Hex(key);
  // A key chosen by the operator may be short: show less of it than of a generated one.
  record.prefix = key.substr(0, env_key ? 4 : kPrefixLength);
  record.scopes = {"*"};
  RETURN_IF_ERROR(store_.AddApiKey(record));
  if (env_key) {
    base::Log(base::LogLevel::kInfo, "bootstrap admin key taken from EDGEGATE_ADMIN_KEY");
    return std::optional<std::string>();
  }
  RETURN_IF_ERROR(WriteKeyFile(data_dir / "admin.key", key));
  return std::optional<std::string>(key);
}

base::Result<Principal> KeyRing::Authenticate(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return Unauthenticated("missing Authorization header (expected: Bearer <key>)");
  }
  if (!authorization.starts_with(kBearer) || authorization.size() == kBearer.size()) {
    return Unauthenticated("Authorization must be: Bearer <key>");
  }
  std::string hash = base::Sha256Hex(authorization.substr(kBearer.size()));
  ASSIGN_OR_RETURN(std::optional<store::ApiKeyRecord> key, store_.FindApiKeyByHash(hash));
  if (!key || !base::ConstantTimeEquals(key->key_hash, hash)) {
    return Unauthenticated("invalid API key");
  }
  if (!key->enabled) {
    return Unauthenticated("API key is disabled");
  }
  if (Expired(*key)) {
    return Unauthenticated("API key has expired");
  }
  return Principal{key->id, key->scopes};
}

int64_t KeyRing::NowMs() const { return now_ms_ ? now_ms_() : SystemNowMs(); }

bool KeyRing::Expired(const store::ApiKeyRecord& key) const {
  return key.expires_at && *key.expires_at <= NowMs();
}

base::Result<CreatedKey> KeyRing::Create(const KeySpec& spec, const Principal& creator) {
  if (spec.label.empty() || spec.label.size() > kMaxLabelLength) {
    return base::FieldError("label", "label must be 1 to 200 characters");
  }
  RETURN_IF_ERROR(ValidateScopes(spec.scopes));
  if (!ScopesCover(creator.scopes, spec.scopes)) {
    return PermissionDenied("a key cannot grant scopes it does not hold itself");
  }
  int64_t now = NowMs();
  if (spec.expires_at && *spec.expires_at <= now) {
    return base::FieldError("expires_at", "expires_at must be in the future");
  }
  CreatedKey created;
  created.key = "eg_" + base::RandomHex(24);
  store::ApiKeyRecord& record = created.record;
  record.id = base::NewUuid();
  record.label = spec.label;
  record.key_hash = base::Sha256Hex(created.key);
  record.prefix = created.key.substr(0, kPrefixLength);
  record.scopes = spec.scopes;
  record.created_at = now;
  record.expires_at = spec.expires_at;
  RETURN_IF_ERROR(store_.AddApiKey(record));
  return created;
}

base::Result<std::vector<store::ApiKeyRecord>> KeyRing::List() { return store_.ListApiKeys(); }

base::Result<store::ApiKeyRecord> KeyRing::Get(const std::string& id) {
  ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> keys, store_.ListApiKeys());
  for (store::ApiKeyRecord& key : keys) {
    if (key.id == id) {
      return std::move(key);
    }
  }
  return base::NotFound("api key " + id + " not found");
}

base::Result<store::ApiKeyRecord> KeyRing::GetManaged(const std::string& id,
                                                      const Principal& caller) {
  ASSIGN_OR_RETURN(store::ApiKeyRecord key, Get(id));
  if (!ScopesCover(caller.scopes, key.scopes)) {
    return PermissionDenied("a key cannot manage a key with scopes it does not hold itself");
  }
  return key;
}

base::Status KeyRing::CheckNotLastAdmin(const store::ApiKeyRecord& key, std::string_view action) {
  auto usable_admin = [this](const store::ApiKeyRecord& k) {
    return k.enabled && !Expired(k) && HasScope(k.scopes, "*");
  };
  if (!usable_admin(key)) {
    return base::OkStatus();
  }
  ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> keys, store_.ListApiKeys());
  for (const store::ApiKeyRecord& other : keys) {
    if (other.id != key.id && usable_admin(other)) {
      return base::OkStatus();
    }
  }
  return base::FailedPrecondition("refusing to " + std::string(action) +
                                  " the last enabled key with scope '*' (it would lock the "
                                  "admin API out); create another '*' key first");
}

base::Result<store::ApiKeyRecord> KeyRing::SetEnabled(const std::string& id, bool enabled,
                                                      const Principal& caller) {
  ASSIGN_OR_RETURN(store::ApiKeyRecord key, GetManaged(id, caller));
  if (!enabled) {
    RETURN_IF_ERROR(CheckNotLastAdmin(key, "disable"));
  }
  RETURN_IF_ERROR(store_.SetApiKeyEnabled(id, enabled));
  key.enabled = enabled;
  return key;
}

base::Status KeyRing::Delete(const std::string& id, const Principal& caller) {
  ASSIGN_OR_RETURN(store::ApiKeyRecord key, GetManaged(id, caller));
  RETURN_IF_ERROR(CheckNotLastAdmin(key, "delete"));
  return store_.DeleteApiKey(id);
}

}  // namespace edgegate::admin
