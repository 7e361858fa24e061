// The embedded storage backend: each object is a file under a root directory, its key the
// relative path. Writes are atomic (a temporary file in the same directory, fsync, rename), so a
// reader sees the old or the new bytes, never a mix. A key resolves inside the root or is
// refused: CheckRelativeKey first, then the path with symlinks resolved (weakly_canonical) must
// still lie under the canonical root, so a symlink inside the root cannot lead out of it.
//
// Metadata: the content type lives in a sidecar file next to the object,
// ".edgegate-type.<name>" (absent = application/octet-stream); xattrs were not used because
// tmpfs on older kernels and some container filesystems lack user xattrs. Names beginning with
// ".edgegate" (sidecars, temporary files) are the backend's own: refused as key segments and
// hidden from list(). The etag is the hex MD5 of the content, as S3 gives for simple uploads.
// Directories are implicit, as in S3: put creates them, del removes the ones it leaves empty.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "base/strings.h"
#include "services/backends/backends.h"

namespace edgegate::services::backends {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr ConfigKey kKeys[] = {
    {.name = "root", .type = KeyType::kString, .required = true},
    {.name = "create_if_missing", .type = KeyType::kBool},  // default true
};

constexpr std::string_view kReserved = ".edgegate";  // prefix of the backend's own names
constexpr std::string_view kDefaultType = "application/octet-stream";
constexpr size_t kMaxListedKeys = 10'000;  // list() refuses to return more (narrow the prefix)

std::string Rfc3339(time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

std::string Hex(const unsigned char* p, unsigned int n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

// The hex MD5 of a file's content, read in chunks; "" if it cannot be read.
std::string Md5OfFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!in || ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) {
    return "";
  }
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &n);
  return Hex(md, n);
}

std::string Md5(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  return Hex(md, n);
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return in.bad() ? std::nullopt : std::optional(std::move(out));
}

fs::path SidecarOf(const fs::path& path) {
  return path.parent_path() / (std::string(kReserved) + "-type." + path.filename().string());
}

base::Status Failed(std::string_view what, std::string_view key, int error) {
  return base::BackendError("files: " + std::string(what) + " '" + std::string(key) +
                            "': " + std::strerror(error));
}

// Writes `bytes` to `path` atomically: temporary file in the same directory, fsync, rename.
base::Status WriteAtomically(const fs::path& path, std::string_view bytes, std::string_view key) {
  std::string temp = (path.parent_path() / (std::string(kReserved) + "-tmp.XXXXXX")).string();
  int fd = mkstemp(temp.data());
  if (fd < 0) {
    return Failed("cannot write", key, errno);
  }
  int error = 0;
  for (size_t done = 0; done < bytes.size() && error == 0;) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) {
      error = errno;
    }
    done += n > 0 ? static_cast<size_t>(n) : 0;
  }
  if (error == 0 && (fchmod(fd, 0644) != 0 || fsync(fd) != 0)) {
    error = errno;
  }
  if (close(fd) != 0 && error == 0) {
    error = errno;
  }
  if (error == 0 && rename(temp.c_str(), path.c_str()) != 0) {
    error = errno;
  }
  if (error != 0) {
    unlink(temp.c_str());
    return Failed("cannot write", key, error);
  }
  return base::OkStatus();
}

// CheckRelativeKey, plus what a path needs: no empty or '.' segments (one file, one key), no
// trailing '/', and no reserved names.
base::Status CheckFileKey(std::string_view key, std::string_view what = "key") {
  RETURN_IF_ERROR(CheckRelativeKey(key, what));
  for (size_t start = 0; start <= key.size();) {
    size_t slash = std::min(key.find('/', start), key.size());
    std::string_view segment = key.substr(start, slash - start);
    if (segment.empty() || segment == ".") {
      return base::InvalidArgument(std::string(what) + " '" + std::string(key) +
                                   "' has an empty or '.' segment");
    }
    if (segment.starts_with(kReserved)) {
      return base::InvalidArgument(std::string(what) + " '" + std::string(key) +
                                   "': names beginning with '.edgegate' are reserved");
    }
    start = slash + 1;
  }
  return base::OkStatus();
}

// One root directory. Stateless between calls, so one instance could serve every thread; the
// actor still gives it to one thread at a time. Thread-compatible.
class FilesConnection final : public Connection {
 public:
  explicit FilesConnection(fs::path root) : root_(std::move(root)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op == "list") {
      return List(args);
    }
    ASSIGN_OR_RETURN(std::string_view key, StringArg(args, 0, op, "key"));
    RETURN_IF_ERROR(CheckFileKey(key));
    if (op == "presigned_url") {
      return base::InvalidArgument("presigned_url: presigned URLs need an s3 service");
    }
    ASSIGN_OR_RETURN(fs::path path, Resolve(key));
    if (op == "put") {
      return Put(key, path, args);
    }
    if (op == "get" || op == "head") {
      return Get(key, path, op == "get");
    }
    if (op == "del") {
      return Delete(key, path);
    }
    return base::InvalidArgument("unknown storage operation '" + std::string(op) + "'");
  }

  base::Status Ping() override {
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) {
      return base::Unavailable("files: root " + root_.string() + " is not a directory");
    }
    return base::OkStatus();
  }

 private:
  // The file `key` names, symlinks resolved; InvalidArgument if that lies outside the root.
  base::Result<fs::path> Resolve(std::string_view key) const {
    std::error_code ec;
    fs::path path = fs::weakly_canonical(root_ / fs::path(key), ec);
    if (ec) {
      return Failed("cannot resolve", key, ec.value());
    }
    fs::path relative = path.lexically_relative(root_);
    if (relative.empty() || *relative.begin() == ".." || relative == ".") {
      return base::InvalidArgument("key '" + std::string(key) +
                                   "' resolves outside the root (through a symlink)");
    }
    return path;
  }

  base::Result<json::value> Put(std::string_view key, const fs::path& path,
                                const json::array& args) {
    ASSIGN_OR_RETURN(std::string_view body, StringArg(args, 1, "put", "bytes"));
    std::string_view content_type = kDefaultType;
    if (args.size() > 2 && !args[2].is_null()) {
      ASSIGN_OR_RETURN(content_type, StringArg(args, 2, "put", "content_type"));
    }
    if (base::HasControlCharacter(content_type)) {
      return base::InvalidArgument("put: content_type contains a control character");
    }
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return Failed("cannot create the directory of", key, ec.value());
    }
    RETURN_IF_ERROR(WriteAtomically(path, body, key));
    if (content_type == kDefaultType) {
      fs::remove(SidecarOf(path), ec);
    } else {
      RETURN_IF_ERROR(WriteAtomically(SidecarOf(path), content_type, key));
    }
    return json::value(json::object{
        {"key", key}, {"size", static_cast<int64_t>(body.size())}, {"etag", Md5(body)}});
  }

  base::Result<json::value> Get(std::string_view key, const fs::path& path, bool with_body) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return json::value(nullptr);
      }
      return Failed("cannot read", key, errno);
    }
    if (!S_ISREG(st.st_mode)) {
      return json::value(nullptr);  // a directory is not an object
    }
    json::object out;
    if (with_body) {
      std::optional<std::string> body = ReadFile(path);
      if (!body) {
        return Failed("cannot read", key, errno);
      }
      out["etag"] = Md5(*body);
      out["size"] = static_cast<int64_t>(body->size());
      out["body"] = json::string(*body);
    } else {
      out["etag"] = Md5OfFile(path);
      out["size"] = static_cast<int64_t>(st.st_size);
    }
    std::optional<std::string> type = ReadFile(SidecarOf(path));
    out["content_type"] = type ? *type : std::string(kDefaultType);
    out["last_modified"] = Rfc3339(st.st_mtime);
    return json::value(std::move(out));
  }

  base::Result<json::value> Delete(std::string_view key, const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      return json::value(nullptr);  // not an object: nothing to delete
    }
    if (!fs::remove(path, ec) && ec && ec != std::errc::no_such_file_or_directory &&
        ec != std::errc::not_a_directory) {
      return Failed("cannot delete", key, ec.value());
    }
    fs::remove(SidecarOf(path), ec);
    // Directories are implicit: drop the ones this left empty (remove fails on the others).
    for (fs::path dir = path.parent_path(); dir.native().size() > root_.native().size();
         dir = dir.parent_path()) {
      if (!fs::remove(dir, ec)) {
        break;
      }
    }
    return json::value(nullptr);
  }

  base::Result<json::value> List(const json::array& args) {
    std::string_view prefix;
    if (!args.empty() && !args[0].is_null()) {
      ASSIGN_OR_RETURN(prefix, StringArg(args, 0, "list", "prefix"));
      if (!prefix.empty()) {
        RETURN_IF_ERROR(CheckRelativeKey(prefix, "prefix"));
      }
    }
    // Walk only the deepest directory the prefix names ("a/b/c" → a/b).
    size_t slash = prefix.rfind('/');
    fs::path start = root_;
    if (slash != std::string_view::npos) {
      std::string_view dir = prefix.substr(0, slash);
      if (!CheckFileKey(dir, "prefix").ok() || !Resolve(dir).ok()) {
        return json::value(json::array());  // no object can have such a key
      }
      start = root_ / fs::path(dir);
    }
    std::vector<std::pair<std::string, json::object>> found;
    RETURN_IF_ERROR(Walk(start, prefix, found));
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    json::array out;
    for (auto& [key, item] : found) {
      out.push_back(std::move(item));
    }
    return json::value(std::move(out));
  }

  // Appends every object under `start` whose key begins with `prefix`. Does not descend into
  // directory symlinks; skips reserved names and symlinks that lead out of the root.
  base::Status Walk(const fs::path& start, std::string_view prefix,
                    std::vector<std::pair<std::string, json::object>>& found) const {
    std::error_code ec;
    if (!fs::is_directory(start, ec)) {
      return base::OkStatus();
    }
    fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename().string().starts_with(kReserved)) {
        it.disable_recursion_pending();
        continue;
      }
      std::string key = it->path().lexically_relative(root_).generic_string();
      struct stat st;
      std::error_code ignored;
      if (!key.starts_with(prefix) || stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
          (it->is_symlink(ignored) && !Resolve(key).ok())) {
        continue;
      }
      if (found.size() == kMaxListedKeys) {
        return base::BackendError("files: more than " + std::to_string(kMaxListedKeys) +
                                  " keys under prefix '" + std::string(prefix) +
                                  "': list a narrower prefix");
      }
      json::object item{{"key", key},
                        {"size", static_cast<int64_t>(st.st_size)},
                        {"last_modified", Rfc3339(st.st_mtime)}};
      found.emplace_back(std::move(key), std::move(item));
    }
    return ec ? Failed("cannot list", prefix, ec.value()) : base::OkStatus();
  }

  const fs::path root_;  // canonical: symlinks resolved, absolute
};

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  std::string root = ConfigString(config, "root");
  std::error_code ec;
  if (ConfigBool(config, "create_if_missing", true)) {
    fs::create_directories(root, ec);
  }
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return base::Unavailable("files: root " + root + " is not a directory" +
                             (ec ? ": " + ec.message() : ""));
  }
  return std::unique_ptr<Connection>(std::make_unique<FilesConnection>(std::move(canonical)));
}

}  // namespace

const ServiceType& FilesType() {
  static const ServiceType type{"files", Kind::kStorage, kKeys, &Connect, false, 2};
  return type;
}

}  // namespace edgegate::services::backends
