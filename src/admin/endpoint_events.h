// What the endpoint service writes into an endpoint's log (telemetry::LogHub): lifecycle events
// (created, updated, started, swapped, stopped, restored, deleted) and compile output (a summary
// line, then one line per diagnostic), and the compile counters of /metrics. Kept apart from
// endpoints.cc so the lifecycle code reads as lifecycle code.
#pragma once

#include <cstdint>
#include <string>

#include "handlers/compiler.h"
#include "telemetry/endpoint_log.h"
#include "telemetry/metrics.h"

namespace edgegate::admin {

// Thread-safe (the hub and counters are). Both sinks are optional (null: nothing recorded).
class EndpointEvents {
 public:
  EndpointEvents(telemetry::LogHub* logs, telemetry::CompileStats* compiles)
      : logs_(logs), compiles_(compiles) {}

  void Lifecycle(const std::string& endpoint_id, const std::string& message, int64_t version = 0,
                 telemetry::LogLevel level = telemetry::LogLevel::kInfo);
  // A build of `version` finished (`reused`: an identical existing version was found).
  void Compiled(const std::string& endpoint_id, const handlers::BuildOutput& build,
                int64_t version, bool reused);
  // An activation: "started version N", or "swapped to version N (version M draining)".
  void Started(const std::string& endpoint_id, int64_t version, int64_t previous);
  // The endpoint is gone: a last entry (which wakes live tails), then its log is dropped.
  void Deleted(const std::string& endpoint_id);

 private:
  telemetry::LogHub* const logs_;
  telemetry::CompileStats* const compiles_;
};

}  // namespace edgegate::admin
