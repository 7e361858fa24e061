// Bearer key verification and bootstrap.
#include "admin/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "base/log.h"
#include "base/random.h"

namespace edgegate::admin {
namespace {

constexpr size_t kMinKeyLength = 16;

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

int64_t NowMs() {
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
  record.prefix = key.substr(0, 8);
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
  if (key->expires_at && *key->expires_at <= NowMs()) {
    return Unauthenticated("API key has expired");
  }
  return Principal{key->id, key->scopes};
}

}  // namespace edgegate::admin
