// Endpoint log entries written by the endpoint service.
#include "admin/endpoint_events.h"

#include <algorithm>

namespace edgegate::admin {
namespace {

using telemetry::LogLevel;
using telemetry::LogSource;

constexpr size_t kMaxDiagnosticLines = 20;

std::string Where(const handlers::Diagnostic& d) {
  std::string out = d.file.empty() ? std::string("compiler") : d.file;
  if (d.line > 0) out += ":" + std::to_string(d.line);
  if (d.column > 0) out += ":" + std::to_string(d.column);
  return out;
}

LogLevel LevelOf(const handlers::Diagnostic& d) {
  if (d.severity == "error" || d.severity == "fatal error") return LogLevel::kError;
  if (d.severity == "warning") return LogLevel::kWarn;
  return LogLevel::kInfo;
}

std::string Summary(const handlers::BuildOutput& build, int64_t version, bool reused) {
  size_t errors = 0, warnings = 0;
  for (const auto& d : build.diagnostics) {
    errors += LevelOf(d) == LogLevel::kError;
    warnings += LevelOf(d) == LogLevel::kWarn;
  }
  std::string counts = std::to_string(errors) + " error(s), " + std::to_string(warnings) +
                       " warning(s)";
  if (!build.success) {
    return build.timed_out ? "compilation failed: " + build.output
                           : "compilation failed: " + counts;
  }
  std::string how = reused         ? "identical to an existing version, reused"
                    : build.cached ? "build cache hit"
                                   : std::to_string(build.duration.count()) + " ms, " + counts;
  return "compiled version " + std::to_string(version) + " (" + how + ")";
}

}  // namespace

void EndpointEvents::Lifecycle(const std::string& endpoint_id, const std::string& message,
                               int64_t version, LogLevel level) {
  if (logs_ != nullptr) {
    logs_->Append(endpoint_id, level, LogSource::kLifecycle, message, version);
  }
}

void EndpointEvents::Compiled(const std::string& endpoint_id, const handlers::BuildOutput& build,
                              int64_t version, bool reused) {
  if (compiles_ != nullptr) {
    compiles_->Record(build.success, build.cached || reused, build.duration);
  }
  if (logs_ == nullptr) {
    return;
  }
  std::shared_ptr<telemetry::EndpointLog> log = logs_->ForEndpoint(endpoint_id);
  log->Append(build.success ? LogLevel::kInfo : LogLevel::kError, LogSource::kCompile,
              Summary(build, version, reused), version);
  size_t shown = std::min(build.diagnostics.size(), kMaxDiagnosticLines);
  for (size_t i = 0; i < shown; ++i) {
    const handlers::Diagnostic& d = build.diagnostics[i];
    log->Append(LevelOf(d), LogSource::kCompile,
                Where(d) + ": " + d.severity + ": " + d.message, version);
  }
  if (shown < build.diagnostics.size()) {
    log->Append(LogLevel::kInfo, LogSource::kCompile,
                std::to_string(build.diagnostics.size() - shown) + " more diagnostic(s) not shown",
                version);
  }
}

void EndpointEvents::Started(const std::string& endpoint_id, int64_t version, int64_t previous) {
  std::string message = "started version " + std::to_string(version);
  if (previous != 0 && previous != version) {
    message = "swapped to version " + std::to_string(version) + " (version " +
              std::to_string(previous) + " draining)";
  }
  Lifecycle(endpoint_id, message, version);
}

void EndpointEvents::Deleted(const std::string& endpoint_id) {
  if (logs_ == nullptr) {
    return;
  }
  if (auto log = logs_->Find(endpoint_id)) {
    log->Append(LogLevel::kInfo, LogSource::kLifecycle, "endpoint deleted");
  }
  logs_->Remove(endpoint_id);
}

}  // namespace edgegate::admin
