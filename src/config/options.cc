// Validation of serve options.
#include "config/options.h"

#include <charconv>

#include "base/log.h"

namespace edgegate::config {

std::string ListenAddress::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

base::Result<ListenAddress> ParseListenAddress(const std::string& text, const std::string& field) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return base::FieldError(field, field + " must be host:port, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    host = "0.0.0.0";
  }
  unsigned port = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || ptr != last || port > 65535) {
    return base::FieldError(field, field + " has an invalid port in '" + text + "'");
  }
  return ListenAddress{host, static_cast<uint16_t>(port)};
}

base::Status Validate(const ServeOptions& options) {
  if (options.threads < 0 || options.threads > 256) {
    return base::FieldError("threads", "--threads must be between 0 (= cores) and 256");
  }
  if (options.max_builds < 1) {
    return base::FieldError("max-builds", "--max-builds must be at least 1");
  }
  if (options.limits.max_header_bytes < 256) {
    return base::FieldError("max-header-bytes", "--max-header-bytes must be at least 256");
  }
  if (options.data_dir.empty()) {
    return base::FieldError("data-dir", "--data-dir must not be empty");
  }
  if (options.endpoint_log_entries < 1 || options.endpoint_log_entries > 1'000'000) {
    return base::FieldError("endpoint-log-entries",
                            "--endpoint-log-entries must be between 1 and 1000000");
  }
  if (options.endpoint_log_bytes < 4096 || options.endpoint_log_bytes > (1u << 30)) {
    return base::FieldError("endpoint-log-bytes",
                            "--endpoint-log-bytes must be between 4096 and 1073741824");
  }
  base::LogLevel level;
  if (!base::ParseLogLevel(options.log_level, &level)) {
    return base::FieldError("log-level", "--log-level must be debug, info, warn or error");
  }
  return base::OkStatus();
}

}  // namespace edgegate::config
