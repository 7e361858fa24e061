// `edgegate`: the gateway binary. `edgegate serve` runs the gateway; every flag has a matching
// EDGEGATE_* environment variable (the flag wins). The client commands of the admin API (deploy,
// endpoints, import, status) live in commands.h. Exit codes: 0 ok, 1 error, 2 usage, 3 the admin
// API is unreachable (client commands).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <sys/resource.h>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "config/options.h"
#include "server/gateway.h"

namespace {

using edgegate::config::ServeOptions;

struct RawFlags {
  std::string listen = "0.0.0.0:8080";
  std::string admin_listen = "127.0.0.1:8081";
  std::string data_dir = "./data";
  int64_t header_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 60'000;
  int64_t drain_timeout_s = 30;
  int64_t shutdown_grace_s = 10;
  int64_t compile_timeout_s = 60;
  std::string sdk_dir;
};

void AddObservabilityFlags(CLI::App& serve, ServeOptions& o) {
  serve.add_option("--access-log", o.access_log,
                   "Access log, one JSON line per data-plane request: '-' = stdout, or a file "
                   "(default: off)")
      ->envname("EDGEGATE_ACCESS_LOG");
  serve.add_flag("--access-log-query", o.access_log_query,
                 "Keep the query string in access log paths")
      ->envname("EDGEGATE_ACCESS_LOG_QUERY");
  serve.add_flag("--metrics-require-key", o.metrics_require_key,
                 "GET /metrics needs an admin key with endpoints:read (default: open)")
      ->envname("EDGEGATE_METRICS_REQUIRE_KEY");
  serve.add_option("--endpoint-log-entries", o.endpoint_log_entries,
                   "Entries kept in each endpoint's log buffer")
      ->envname("EDGEGATE_ENDPOINT_LOG_ENTRIES")->capture_default_str();
  serve.add_option("--endpoint-log-bytes", o.endpoint_log_bytes,
                   "Bytes kept in each endpoint's log buffer")
      ->envname("EDGEGATE_ENDPOINT_LOG_BYTES")->capture_default_str();
}

void AddServeFlags(CLI::App& serve, ServeOptions& o, RawFlags& raw) {
  serve.add_option("--listen", raw.listen, "Data-plane address (host:port)")
      ->envname("EDGEGATE_LISTEN")->capture_default_str();
  serve.add_option("--admin-listen", raw.admin_listen, "Admin API address (host:port)")
      ->envname("EDGEGATE_ADMIN_LISTEN")->capture_default_str();
  serve.add_option("--data-dir", raw.data_dir, "Store, handler sources, libraries, build cache")
      ->envname("EDGEGATE_DATA_DIR")->capture_default_str();
  serve.add_option("--threads", o.threads, "Data-plane event loops (0 = number of cores)")
      ->envname("EDGEGATE_THREADS")->capture_default_str();
  serve.add_option("--max-header-bytes", o.limits.max_header_bytes,
                   "Request line + headers limit, beyond → 431")
      ->envname("EDGEGATE_MAX_HEADER_BYTES")->capture_default_str();
  serve.add_option("--max-header-count", o.limits.max_header_count,
                   "Header field count limit, beyond → 431")
      ->envname("EDGEGATE_MAX_HEADER_COUNT")->capture_default_str();
  serve.add_option("--max-body-bytes", o.limits.max_body_bytes, "Request body limit, beyond → 413")
      ->envname("EDGEGATE_MAX_BODY_BYTES")->capture_default_str();
  serve.add_option("--header-timeout-ms", raw.header_timeout_ms,
                   "Time from a request's first byte to the end of its headers, beyond → 408")
      ->envname("EDGEGATE_HEADER_TIMEOUT_MS")->capture_default_str();
  serve.add_option("--idle-timeout-ms", raw.idle_timeout_ms,
                   "Keep-alive wait for the next request before closing")
      ->envname("EDGEGATE_IDLE_TIMEOUT_MS")->capture_default_str();
  serve.add_option("--drain-timeout", raw.drain_timeout_s,
                   "Seconds after which a replaced handler still draining is reported (never "
                   "forced)")
      ->envname("EDGEGATE_DRAIN_TIMEOUT")->capture_default_str();
  serve.add_option("--shutdown-grace", raw.shutdown_grace_s,
                   "Seconds SIGTERM waits for in-flight requests")
      ->envname("EDGEGATE_SHUTDOWN_GRACE")->capture_default_str();
  serve.add_option("--compile-timeout", raw.compile_timeout_s, "Seconds one handler build may take")
      ->envname("EDGEGATE_COMPILE_TIMEOUT")->capture_default_str();
  serve.add_option("--max-builds", o.max_builds, "Handler builds running at once")
      ->envname("EDGEGATE_MAX_BUILDS")->capture_default_str();
  serve.add_option("--allow-lib", o.allow_libs,
                   "pkg-config package handlers may list in `dependencies` (repeatable; env: "
                   "comma-separated)")
      ->envname("EDGEGATE_ALLOW_LIBS")->delimiter(',');
  serve.add_option("--sdk-dir", raw.sdk_dir, "Handler SDK tree (default: found next to the binary)")
      ->envname("EDGEGATE_SDK_DIR");
  serve.add_option("--cxx", o.cxx, "C++ compiler for handlers")
      ->envname("EDGEGATE_CXX")->capture_default_str();
  serve.add_option("--log-level", o.log_level, "debug | info | warn | error")
      ->envname("EDGEGATE_LOG_LEVEL")->capture_default_str();
  AddObservabilityFlags(serve, o);
}

// Converts the raw flag values into the options struct; errors name the flag.
edgegate::base::Status Finish(ServeOptions& o, const RawFlags& raw) {
  const std::pair<const char*, int64_t> positive[] = {
      {"header-timeout-ms", raw.header_timeout_ms}, {"idle-timeout-ms", raw.idle_timeout_ms},
      {"drain-timeout", raw.drain_timeout_s},       {"shutdown-grace", raw.shutdown_grace_s},
      {"compile-timeout", raw.compile_timeout_s}};
  for (const auto& [flag, value] : positive) {
    if (value <= 0) {
      return edgegate::base::FieldError(flag, std::string("--") + flag + " must be positive");
    }
  }
  ASSIGN_OR_RETURN(o.listen, edgegate::config::ParseListenAddress(raw.listen, "listen"));
  ASSIGN_OR_RETURN(o.admin_listen,
                   edgegate::config::ParseListenAddress(raw.admin_listen, "admin-listen"));
  o.data_dir = raw.data_dir;
  o.sdk_dir = raw.sdk_dir;
  o.limits.header_timeout = std::chrono::milliseconds(raw.header_timeout_ms);
  o.limits.idle_timeout = std::chrono::milliseconds(raw.idle_timeout_ms);
  o.drain_timeout = std::chrono::seconds(raw.drain_timeout_s);
  o.shutdown_grace = std::chrono::seconds(raw.shutdown_grace_s);
  o.compile_timeout = std::chrono::seconds(raw.compile_timeout_s);
  return edgegate::base::OkStatus();
}

// Every connection holds a descriptor: lift the soft limit to the hard one (as nginx's
// worker_rlimit_nofile does), so the gateway is not capped at 1024 connections by default.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int Serve(ServeOptions& options, const RawFlags& raw) {
  if (auto s = Finish(options, raw); !s.ok()) {
    std::fprintf(stderr, "edgegate: %s\n", s.message().c_str());
    return edgegate::cli::kExitUsage;
  }
  edgegate::base::LogLevel level = edgegate::base::LogLevel::kInfo;
  edgegate::base::ParseLogLevel(options.log_level, &level);
  edgegate::base::SetLogLevel(level);
  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  RaiseDescriptorLimit();

  const char* env_key = std::getenv("EDGEGATE_ADMIN_KEY");
  auto gateway = edgegate::server::Gateway::Create(
      options, env_key && *env_key ? std::optional<std::string>(env_key) : std::nullopt);
  if (!gateway.ok()) {
    std::fprintf(stderr, "edgegate: %s\n", gateway.status().message().c_str());
    return 1;
  }
  (*gateway)->Start();
  int received = 0;
  sigwait(&signals, &received);
  edgegate::base::Log(edgegate::base::LogLevel::kInfo,
                      std::string("received ") + (received == SIGTERM ? "SIGTERM" : "SIGINT") +
                          ": finishing in-flight requests");
  (*gateway)->Shutdown();
  edgegate::base::Log(edgegate::base::LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Edgegate: an HTTP edge gateway that compiles, loads and hot-swaps C++ handlers."};
  app.require_subcommand(1);
  ServeOptions options;
  RawFlags raw;
  CLI::App* serve = app.add_subcommand("serve", "Run the gateway (data plane + admin API)");
  AddServeFlags(*serve, options, raw);
  app.add_subcommand("version", "Print the version")->callback([] { std::puts("edgegate 0.1.0"); });
  edgegate::cli::ClientCommands client_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help (exit 0) or the error; every usage error exits 2, whatever CLI11's code.
    return app.exit(e) == 0 ? 0 : edgegate::cli::kExitUsage;
  }
  if (serve->parsed()) {
    return Serve(options, raw);
  }
  return client_commands.RunParsed().value_or(0);
}
