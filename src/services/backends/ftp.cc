// The ftp backend: FTP, FTPS (explicit TLS: AUTH TLS on the control connection) and SFTP
// (libssh2 inside libcurl, password or private key), all through one libcurl handle per
// connection so the control / SSH session stays open between calls.
//
// Paths are relative to the config's base_path and checked with CheckRelativeKey before anything
// reaches the server; every segment is percent-encoded into the URL, so names with spaces, '#',
// '?' or non-ASCII bytes stay names. base_path itself is relative to the login (home) directory
// unless it starts with '/'.
//
// Listings: an FTP server that speaks MLSD (RFC 3659: machine-readable facts "type=file;size=…")
// is asked with MLSD; one that does not (vsftpd) answers 500/502 once, and from then on LIST is
// used. LIST output, like libcurl's SFTP listing, is the Unix `ls -l` long format, parsed by
// fields (ParseLsLine). NLST plus one SIZE per name was the alternative; it costs a round trip
// per entry and still cannot tell a directory from a file the server refuses to size.
//
// Uploads are atomic: the bytes go to a temporary name in the target's directory
// (".eg-upload-<random>", never listed), which is then renamed over the target, so a reader sees
// the old file or the new one, never a part, and a failed transfer leaves the target as it was.
// FTP's RNTO replaces a file; SFTP's rename (protocol version 3, as OpenSSH serves it) does not,
// so there the target is removed first, and a reader between the two commands finds no file.
//
// SFTP host keys: with config.host_key_sha256 (the fingerprint `ssh-keygen -lf` prints) libcurl
// refuses a server whose key hashes otherwise, before any credential is sent. Without it the key
// is not checked, as the reference gateway's configs have no such key; each connection that
// opens so logs a warning.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/random.h"
#include "services/backends/backends.h"
#include "services/backends/curl_util.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

constexpr std::string_view kType = "ftp";
constexpr size_t kMaxFileBytes = size_t{256} << 20;  // a bigger `get` fails, not the gateway
// The start of an upload's temporary name; `list` leaves such names out.
constexpr std::string_view kUploadPrefix = ".eg-upload-";

constexpr ConfigKey kKeys[] = {
    {.name = "host", .type = KeyType::kString, .required = true},
    {.name = "port", .type = KeyType::kInt, .min = 1, .max = 65535},
    {.name = "username", .type = KeyType::kString},
    {.name = "password", .type = KeyType::kString, .secret = true},
    {.name = "protocol", .type = KeyType::kString, .choices = "ftp|ftps|sftp"},
    {.name = "base_path", .type = KeyType::kString},
    {.name = "timeout_seconds", .type = KeyType::kInt, .min = 1, .max = 600},
    {.name = "private_key_path", .type = KeyType::kString},
    {.name = "passive", .type = KeyType::kBool},
    {.name = "verify_tls", .type = KeyType::kBool},
    {.name = "host_key_sha256", .type = KeyType::kString},
    {.name = "ca_file", .type = KeyType::kString},
};

struct Options {
  bool sftp = false;
  bool tls = false;  // ftps: AUTH TLS required
  curl::TlsVerify tls_verify;  // ftps
  bool passive = true;
  std::string root;  // URL of base_path, ending in '/': "ftp://h:21/a/b/", "sftp://h:22/~/"
  // base_path as DELE / rm want it: "", "a/b/" or "/abs/". Relative paths are relative to the
  // login directory: SFTP has no current directory, FTP gets the entry path prepended.
  std::string quote_root;
  std::string username, password, private_key;
  std::string host_key_sha256;  // SFTP: base64 of the host key's SHA-256, unpadded; or empty
  int64_t timeout_ms = 5000;
};

// The last FTP reply with a 4xx/5xx code, or empty.
std::string_view LastRejection(const curl::Response& x) {
  for (auto it = x.replies.rbegin(); it != x.replies.rend(); ++it) {
    if (it->size() >= 4 && ((*it)[0] == '4' || (*it)[0] == '5') && (*it)[3] == ' ') {
      return *it;
    }
  }
  return {};
}

// The Status of a failed exchange, with libcurl's reason and the server's last rejection;
// classified by curl::CurlError (login denied, unreachable → Unavailable; else BackendError).
base::Status ExchangeError(const curl::Response& x) {
  if (x.too_large) {
    return base::BackendError("ftp: the file is larger than " + std::to_string(kMaxFileBytes) +
                              " bytes");
  }
  std::string detail = x.error.empty() ? curl_easy_strerror(x.result) : x.error;
  if (std::string_view rejection = LastRejection(x); !rejection.empty()) {
    detail += " (" + std::string(rejection) + ")";
  }
  return curl::CurlError(x.result, kType, detail);
}

// "a b/ü" → "a%20b/%C3%BC": each segment escaped, the slashes kept.
std::string EncodePath(CURL* h, std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = std::min(path.find('/', start), path.size());
    if (slash > start) {  // (a length of 0 would make curl_easy_escape call strlen)
      char* escaped = curl_easy_escape(h, path.data() + start, static_cast<int>(slash - start));
      out += escaped != nullptr ? escaped : "";
      curl_free(escaped);
    }
    if (slash < path.size()) {
      out += '/';
    }
    start = slash + 1;
  }
  return out;
}

bool IsMonth(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return std::find(std::begin(kMonths), std::end(kMonths), s) != std::end(kMonths);
}

std::optional<int64_t> ParseSize(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() ? std::optional(v) : std::nullopt;
}

json::object Entry(std::string_view name, int64_t size, bool dir) {
  return json::object{{"name", name}, {"size", dir ? 0 : size}, {"type", dir ? "dir" : "file"}};
}

// "type=file;size=100;modify=20261126144000; name" (RFC 3659 §7).
std::optional<json::object> ParseMlsdLine(std::string_view line) {
  size_t space = line.find(' ');
  if (space == line.npos || space + 1 >= line.size()) {
    return std::nullopt;
  }
  std::string_view facts = line.substr(0, space);
  std::string type;
  int64_t size = 0;
  while (!facts.empty()) {
    size_t semi = std::min(facts.find(';'), facts.size());
    std::string_view fact = facts.substr(0, semi);
    size_t eq = fact.find('=');
    std::string key(fact.substr(0, eq));
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    std::string_view value = eq == fact.npos ? "" : fact.substr(eq + 1);
    if (key == "type") {
      type = value;
      std::transform(type.begin(), type.end(), type.begin(), ::tolower);
    } else if (key == "size") {
      size = ParseSize(value).value_or(0);
    }
    facts.remove_prefix(std::min(semi + 1, facts.size()));
  }
  if (type != "file" && type != "dir" && !type.starts_with("os.unix=sl")) {
    return std::nullopt;  // cdir, pdir: the directory itself and its parent
  }
  return Entry(line.substr(space + 1), size, type == "dir");
}

// "-rw-r--r--    1 egftp    egftp         100 Nov 26 14:40 bÃ¤r.dat": the size is the number
// before the month, the name everything after the time-or-year field (spaces kept). The group
// column is optional, as some servers leave it out.
std::optional<json::object> ParseLsLine(std::string_view line) {
  std::vector<std::pair<size_t, size_t>> fields;  // [start, end) of the first tokens
  size_t i = 0;
  while (i < line.size() && fields.size() < 9) {
    while (i < line.size() && line[i] == ' ') {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ') {
      ++i;
    }
    if (start < i) {
      fields.emplace_back(start, i);
    }
  }
  auto token = [&](size_t k) {
    return line.substr(fields[k].first, fields[k].second - fields[k].first);
  };
  for (size_t m = 3; m + 2 < fields.size(); ++m) {
    std::optional<int64_t> size = ParseSize(token(m - 1));
    if (!IsMonth(token(m)) || !size) {
      continue;
    }
    size_t name_start = fields[m + 2].second + 1;
    if (name_start >= line.size()) {
      return std::nullopt;
    }
    std::string_view name = line.substr(name_start);
    char kind = line[0];
    if (kind == 'l') {
      name = name.substr(0, name.find(" -> "));
    }
    if (name == "." || name == "..") {
      return std::nullopt;
    }
    return Entry(name, *size, kind == 'd');
  }
  return std::nullopt;  // "total 8" and anything unrecognised
}

// One listing line as {"name", "size", "type"}; nullopt for ".", "..", "total N" and lines of
// another shape. Symbolic links are listed as files, by their own name.
std::optional<json::object> ParseListingLine(std::string_view line, bool mlsd) {
  if (line.ends_with('\r')) {
    line.remove_suffix(1);
  }
  return mlsd ? ParseMlsdLine(line) : ParseLsLine(line);
}

// Thread-compatible: one actor thread at a time.
class FtpConnection final : public Connection {
 public:
  FtpConnection(curl::Easy easy, Options options)
      : easy_(std::move(easy)), options_(std::move(options)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op == "list") {
      std::string_view path;
      if (!args.empty() && !args[0].is_null()) {
        ASSIGN_OR_RETURN(path, StringArg(args, 0, op, "path"));
      }
      if (!path.empty()) {
        RETURN_IF_ERROR(CheckRelativeKey(path, "path"));
      }
      return List(path);
    }
    ASSIGN_OR_RETURN(std::string_view path, StringArg(args, 0, op, "path"));
    RETURN_IF_ERROR(CheckRelativeKey(path, "path"));
    if (path.back() == '/') {
      return base::InvalidArgument(std::string(op) + ": path '" + std::string(path) +
                                   "' names a directory");
    }
    if (op == "get") {
      return Get(path);
    }
    if (op == "put") {
      ASSIGN_OR_RETURN(std::string_view bytes, StringArg(args, 1, op, "bytes"));
      return Put(path, bytes);
    }
    if (op == "del") {
      return Delete(path);
    }
    return base::InvalidArgument("unknown ftp operation '" + std::string(op) + "'");
  }

  // Logs in and lists base_path (a base_path that does not exist yet lists as empty).
  base::Status Ping() override {
    base::Result<json::value> listing = List("");
    if (!listing.ok()) {
      return base::Unavailable(listing.status().message());
    }
    return base::OkStatus();
  }

 private:
  base::Result<json::value> Get(std::string_view path) {
    Prepare(options_.root + EncodePath(easy_.get(), path));
    curl::Response x = Run();
    if (x.result == CURLE_REMOTE_FILE_NOT_FOUND || IsMissingDirectory(x)) {
      return json::value(nullptr);
    }
    if (x.result != CURLE_OK) {
      return ExchangeError(x);
    }
    return json::value(json::string(std::move(x.body)));
  }

  // Uploads to a temporary name beside `path`, then renames it over `path` with commands sent
  // after the transfer on the same session (CURLOPT_POSTQUOTE; see the top of this file).
  base::Result<json::value> Put(std::string_view path, std::string_view bytes) {
    const size_t slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const std::string temp_name = std::string(kUploadPrefix) + base::RandomHex(8);
    const std::string temp = std::string(path.substr(0, path.size() - name.size())) + temp_name;
    curl::HeaderList rename;
    if (options_.sftp) {
      const std::string from = QuoteSftp(options_.quote_root + temp);
      const std::string to = QuoteSftp(options_.quote_root + std::string(path));
      rename.Add("*rm " + to);  // '*': an absent target is no error
      rename.Add("rename " + from + " " + to);
    } else {
      rename.Add("RNFR " + temp_name);  // the transfer left the session in the file's directory
      rename.Add("RNTO " + std::string(name));
    }
    CURL* h = Prepare(options_.root + EncodePath(easy_.get(), temp));
    curl_easy_setopt(h, CURLOPT_FTP_CREATE_MISSING_DIRS,
                     static_cast<long>(CURLFTP_CREATE_DIR_RETRY));
    curl_easy_setopt(h, CURLOPT_POSTQUOTE, rename.get());
    curl::Response x = Run(bytes);
    if (x.result != CURLE_OK) {
      // A transfer that failed part-way, or a rename the server refused: remove what the upload
      // left, if the session still works. The target is as it was.
      (void)Delete(temp);
      return ExchangeError(x);
    }
    return json::value(nullptr);
  }

  // DELE (FTP) or rm (SFTP) as a quote command on a transfer-less request. An absent file is a
  // BackendError carrying the server's reason: FTP's 550 cannot tell "absent" from "forbidden".
  base::Result<json::value> Delete(std::string_view path) {
    std::string target = options_.quote_root + std::string(path);
    if (!options_.sftp && !target.starts_with('/') && !entry_path_.empty()) {
      // Quote commands run before libcurl's CWDs, in whatever directory the previous request
      // of this session left: only an absolute path is safe.
      target = entry_path_ + (entry_path_.ends_with('/') ? "" : "/") + target;
    }
    std::string command = options_.sftp ? "rm " + QuoteSftp(target) : "DELE " + target;
    curl::HeaderList quote;
    quote.Add(command);
    CURL* h = Prepare(options_.root);
    curl_easy_setopt(h, CURLOPT_QUOTE, quote.get());
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl::Response x = Run();
    if (x.result != CURLE_OK) {
      return ExchangeError(x);
    }
    return json::value(nullptr);
  }

  base::Result<json::value> List(std::string_view path) {
    std::string url = options_.root + EncodePath(easy_.get(), path);
    if (!url.ends_with('/')) {
      url += '/';
    }
    bool mlsd = !options_.sftp && mlsd_supported_;
    CURL* h = Prepare(url);
    if (mlsd) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "MLSD");
    }
    curl::Response x = Run();
    std::string_view rejection = LastRejection(x);
    if (mlsd && x.result != CURLE_OK &&
        (rejection.starts_with("500") || rejection.starts_with("502"))) {
      mlsd_supported_ = false;  // the server does not know MLSD: LIST from now on
      return List(path);
    }
    if (IsMissingDirectory(x) || x.result == CURLE_REMOTE_FILE_NOT_FOUND) {
      return json::value(json::array());
    }
    if (x.result != CURLE_OK) {
      return ExchangeError(x);
    }
    json::array entries;
    size_t start = 0;
    while (start < x.body.size()) {
      size_t end = std::min(x.body.find('\n', start), x.body.size());
      std::string_view line(x.body.data() + start, end - start);
      if (auto entry = ParseListingLine(line, mlsd);
          entry && !entry->at("name").as_string().starts_with(kUploadPrefix)) {
        entries.push_back(std::move(*entry));
      }
      start = end + 1;
    }
    std::sort(entries.begin(), entries.end(), [](const json::value& a, const json::value& b) {
      return a.at("name").as_string() < b.at("name").as_string();
    });
    return json::value(std::move(entries));
  }

  // FTP: a CWD into a directory that is not there (libcurl reports "access denied" to it).
  static bool IsMissingDirectory(const curl::Response& x) {
    return x.result == CURLE_REMOTE_ACCESS_DENIED && LastRejection(x).starts_with("550");
  }

  // "…" with '"' and '\' escaped: libcurl's SFTP quote commands take quoted paths.
  static std::string QuoteSftp(std::string_view path) {
    std::string out = "\"";
    for (char c : path) {
      if (c == '"' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
    return out + "\"";
  }

  // Resets the handle (its session stays open) and sets what every request shares (Run() adds
  // the overall timeouts and the callbacks).
  CURL* Prepare(const std::string& url) {
    easy_.Reset();
    CURL* h = easy_.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_ACCEPTTIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
    if (options_.sftp) {
      long auth = options_.private_key.empty() ? CURLSSH_AUTH_PASSWORD
                                               : CURLSSH_AUTH_PUBLICKEY | CURLSSH_AUTH_PASSWORD;
      curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, auth);
      if (!options_.private_key.empty()) {
        std::string pub = options_.private_key + ".pub";
        curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, options_.private_key.c_str());
        curl_easy_setopt(h, CURLOPT_SSH_PUBLIC_KEYFILE,
                         std::filesystem::exists(pub) ? pub.c_str() : "");
      }
      if (!options_.host_key_sha256.empty()) {
        curl_easy_setopt(h, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, options_.host_key_sha256.c_str());
      }
      return h;
    }
    if (options_.tls) {
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
      curl::SetTlsVerify(h, options_.tls_verify);
    }
    if (!options_.passive) {
      curl_easy_setopt(h, CURLOPT_FTPPORT, "-");
    }
    return h;
  }

  // Runs the request Prepare() configured (uploading `upload` if set, a body over
  // kMaxFileBytes aborted) and remembers the FTP entry path.
  curl::Response Run(std::optional<std::string_view> upload = std::nullopt) {
    curl::RequestOptions request;
    request.timeout_ms = options_.timeout_ms;
    request.upload = upload;
    request.max_body_bytes = kMaxFileBytes;
    curl::Response x = curl::Run(easy_, request);
    char* entry = nullptr;
    if (!options_.sftp &&
        curl_easy_getinfo(easy_.get(), CURLINFO_FTP_ENTRY_PATH, &entry) == CURLE_OK &&
        entry != nullptr) {
      entry_path_ = entry;
    }
    return x;
  }

  curl::Easy easy_;
  const Options options_;
  std::string entry_path_;      // FTP: the login directory (PWD), once known
  bool mlsd_supported_ = true;  // until the server says otherwise
};

base::Status CheckBasePath(std::string_view base) {
  for (char c : base) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') {
      return base::FieldError("config.base_path", "config.base_path contains a control character");
    }
  }
  return base::OkStatus();
}

// base_path into the URL root and the quote-command root.
base::Status SetRoot(CURL* h, std::string base, std::string host, int64_t port, Options& o) {
  RETURN_IF_ERROR(CheckBasePath(base));
  bool absolute = base.starts_with('/');
  while (base.starts_with('/')) {
    base.erase(0, 1);
  }
  while (base.ends_with('/')) {
    base.pop_back();
  }
  std::string encoded = base.empty() ? "" : EncodePath(h, base) + "/";
  std::string scheme = o.sftp ? "sftp://" : "ftp://";
  std::string authority = scheme + host + ":" + std::to_string(port) + "/";
  if (o.sftp) {
    o.root = authority + (absolute ? "" : "~/") + encoded;
    o.quote_root = (absolute ? "/" : "") + (base.empty() ? "" : base + "/");
  } else {
    o.root = authority + (absolute ? "%2F" : "") + encoded;  // "%2F": CWD / first
    o.quote_root = (absolute ? "/" : "") + (base.empty() ? "" : base + "/");
  }
  return base::OkStatus();
}

// config.host_key_sha256 as libcurl takes it: "SHA256:" and '=' padding dropped, then 43 base64
// characters (32 bytes). Empty if the key is absent.
base::Result<std::string> HostKeyFingerprint(const json::object& config, bool sftp) {
  std::string text = ConfigString(config, "host_key_sha256");
  if (text.empty()) {
    return text;
  }
  if (!sftp) {
    return base::FieldError("config.host_key_sha256",
                            "config.host_key_sha256 applies to protocol sftp only");
  }
  std::string_view fingerprint = text;
  if (fingerprint.starts_with("SHA256:")) {
    fingerprint.remove_prefix(7);
  }
  while (fingerprint.ends_with('=')) {
    fingerprint.remove_suffix(1);
  }
  auto is_base64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  if (fingerprint.size() != 43 || !std::all_of(fingerprint.begin(), fingerprint.end(), is_base64)) {
    return base::FieldError("config.host_key_sha256",
                            "config.host_key_sha256 must be the server's SHA-256 host key "
                            "fingerprint as `ssh-keygen -lf` prints it: SHA256: and 43 base64 "
                            "characters");
  }
  return std::string(fingerprint);
}

bool IsSftp(const json::object& config) { return ConfigString(config, "protocol") == "sftp"; }

// config.ca_file, which only FTPS uses.
base::Result<std::string> CaFile(const json::object& config) {
  std::string path = ConfigString(config, "ca_file");
  if (!path.empty() && ConfigString(config, "protocol") != "ftps") {
    return base::FieldError("config.ca_file", "config.ca_file applies to protocol ftps only");
  }
  return path;
}

// ServiceType::validate: what Connect refuses before it reaches the network.
base::Status Validate(const json::object& config) {
  RETURN_IF_ERROR(curl::UrlHost(ConfigString(config, "host")).status());
  RETURN_IF_ERROR(CheckBasePath(ConfigString(config, "base_path")));
  RETURN_IF_ERROR(CaFile(config).status());
  return HostKeyFingerprint(config, IsSftp(config)).status();
}

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  std::string protocol = ConfigString(config, "protocol", "ftp");
  ASSIGN_OR_RETURN(std::string host, curl::UrlHost(ConfigString(config, "host")));
  Options o;
  o.sftp = IsSftp(config);
  o.tls = protocol == "ftps";
  o.tls_verify.verify = ConfigBool(config, "verify_tls", true);
  o.passive = ConfigBool(config, "passive", true);
  o.username = ConfigString(config, "username", o.sftp ? "" : "anonymous");
  o.password = ConfigString(config, "password");
  o.private_key = ConfigString(config, "private_key_path");
  ASSIGN_OR_RETURN(o.host_key_sha256, HostKeyFingerprint(config, o.sftp));
  ASSIGN_OR_RETURN(o.tls_verify.ca_file, CaFile(config));
  o.timeout_ms = config.contains("timeout_seconds") && !config.at("timeout_seconds").is_null()
                     ? ConfigInt(config, "timeout_seconds", 5) * 1000
                     : ConfigInt(config, "timeout_ms", 5000);
  ASSIGN_OR_RETURN(curl::Easy easy, curl::Easy::Create(kType));
  RETURN_IF_ERROR(SetRoot(easy.get(), ConfigString(config, "base_path"), host,
                          ConfigInt(config, "port", o.sftp ? 22 : 21), o));
  const bool unverified_host = o.sftp && o.host_key_sha256.empty();
  auto connection = std::make_unique<FtpConnection>(std::move(easy), std::move(o));
  // A wrong host, host key or credentials fail here, with the reason.
  RETURN_IF_ERROR(connection->Ping());
  if (unverified_host) {
    EG_LOG_WARN("ftp: connected to SFTP server " + host +
                " without checking its host key: set config.host_key_sha256");
  }
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace

const ServiceType& FtpType() {
  static const ServiceType type{"ftp", Kind::kFtp, kKeys, &Connect, false, 2, 1, &Validate};
  return type;
}

}  // namespace edgegate::services::backends
