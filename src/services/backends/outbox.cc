// The embedded email backend: `send` renders the same MIME message the SMTP backend would send
// (mime.h) and writes it as `<directory>/<UTC timestamp>-<random>.eml`, for development and for
// a pickup process that delivers mail later. Each file is written under a temporary name, synced
// and renamed, so a reader of the directory never sees half a message.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include "base/random.h"
#include "services/backends/backends.h"
#include "services/backends/mime.h"

namespace edgegate::services::backends {
namespace {

namespace json = boost::json;

constexpr ConfigKey kKeys[] = {
    {.name = "directory", .type = KeyType::kString, .required = true},
    {.name = "from_address", .type = KeyType::kString},
    {.name = "from_name", .type = KeyType::kString},
};

std::string Errno(std::string_view what, const std::string& path) {
  return "outbox: " + std::string(what) + " " + path + ": " + std::strerror(errno);
}

// Writes `data` to `path` (which must not exist) and syncs it. BackendError on failure; a
// half-written file is removed.
base::Status WriteNewFile(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    return base::BackendError(Errno("cannot create", path));
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      std::string why = Errno("cannot write", path);
      ::close(fd);
      ::unlink(path.c_str());
      return base::BackendError(std::move(why));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = Errno("cannot sync", path);
    ::unlink(path.c_str());
    return base::BackendError(std::move(why));
  }
  return base::OkStatus();
}

// "20261126T141656.123Z": sorts by time, safe in file names.
std::string FileTimestamp() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::tm tm{};
  gmtime_r(&now.tv_sec, &tm);
  char buf[64];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                now.tv_nsec / 1'000'000);
  return buf;
}

// Thread-compatible; several connections may write into the same directory at once (names are
// random, renames atomic).
class OutboxConnection final : public Connection {
 public:
  OutboxConnection(std::string directory, mime::Sender sender)
      : directory_(std::move(directory)), sender_(std::move(sender)) {}

  base::Result<json::value> Call(std::string_view op, const json::array& args) override {
    if (op != "send") {
      return base::InvalidArgument("unknown email operation '" + std::string(op) + "'");
    }
    ASSIGN_OR_RETURN(mime::SendRequest request, mime::ParseSend(args));
    mime::Message message = mime::Build(request, sender_, std::time(nullptr));
    std::string name = FileTimestamp() + "-" + base::RandomHex(8) + ".eml";
    std::string tmp = directory_ + "/." + name + ".tmp";
    RETURN_IF_ERROR(WriteNewFile(tmp, message.data));
    std::string path = directory_ + "/" + name;
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      std::string why = Errno("cannot rename into", path);
      ::unlink(tmp.c_str());
      return base::BackendError(std::move(why));
    }
    return mime::SendResult(message);
  }

  // Writes and removes a probe file: the directory exists and is writable.
  base::Status Ping() override {
    std::string probe = directory_ + "/.ping-" + base::RandomHex(8);
    base::Status written = WriteNewFile(probe, "");
    ::unlink(probe.c_str());
    return written.ok() ? written : base::Unavailable(written.message());
  }

 private:
  const std::string directory_;
  const mime::Sender sender_;
};

base::Result<std::unique_ptr<Connection>> Connect(const json::object& config) {
  mime::Sender sender{ConfigString(config, "from_address", "edgegate@localhost"),
                      ConfigString(config, "from_name")};
  RETURN_IF_ERROR(mime::CheckSender(sender));
  std::string directory = ConfigString(config, "directory");
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec || !std::filesystem::is_directory(directory)) {
    return base::Unavailable("outbox: cannot create directory " + directory + ": " +
                             (ec ? ec.message() : "it is not a directory"));
  }
  auto connection = std::make_unique<OutboxConnection>(directory, std::move(sender));
  RETURN_IF_ERROR(connection->Ping());
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace

const ServiceType& OutboxType() {
  static const ServiceType type{"outbox", Kind::kEmail, kKeys, &Connect, false, 2};
  return type;
}

}  // namespace edgegate::services::backends
