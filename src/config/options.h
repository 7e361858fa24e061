// Process options for `edgegate serve`: one struct with commented defaults, filled from flags,
// then EDGEGATE_* environment variables, then these defaults (flags win). Parsing is separate from
// running: nothing here opens a socket or a file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace edgegate::config {

// A host:port pair as given on the command line ("0.0.0.0:8080", "[::1]:8081").
struct ListenAddress {
  std::string host;
  uint16_t port = 0;  // 0 = any free port
  std::string ToString() const;
};

// Parses "host:port"; InvalidArgument naming `field` on anything else.
base::Result<ListenAddress> ParseListenAddress(const std::string& text, const std::string& field);

// HTTP/1.1 limits of one listener.
struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;       // request line + headers; beyond → 431
  size_t max_header_count = 100;             // header fields; beyond → 431
  uint64_t max_body_bytes = 1024 * 1024;     // beyond → 413
  std::chrono::milliseconds header_timeout{10'000};  // first byte → end of headers; → 408
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
  std::chrono::milliseconds body_timeout{30'000};    // between body reads
};

struct ServeOptions {
  ListenAddress listen{"0.0.0.0", 8080};        // data plane
  ListenAddress admin_listen{"127.0.0.1", 8081};  // admin API (loopback by default)
  std::filesystem::path data_dir = "./data";    // store, handler sources, libraries, cache
  int threads = 0;                              // data-plane I/O loops; 0 = number of cores
  HttpLimits limits;
  std::chrono::seconds drain_timeout{30};       // a drain past this is reported, never forced
  std::chrono::seconds shutdown_grace{10};      // SIGTERM: time allowed for in-flight requests
  std::chrono::seconds compile_timeout{60};     // per handler build
  int max_builds = 2;                           // concurrent compiler processes
  std::vector<std::string> allow_libs;          // pkg-config packages handlers may depend on
  std::filesystem::path sdk_dir;                // empty = found next to the binary
  std::string cxx = "/usr/bin/g++";             // compiler for handlers
  std::string log_level = "info";               // debug | info | warn | error
  // Observability.
  std::string access_log;                       // "" = off, "-" = stdout, else a file (appended)
  bool access_log_query = false;                // access log paths keep their query string
  bool metrics_require_key = false;             // GET /metrics needs a key (endpoints:read)
  size_t endpoint_log_entries = 1000;           // per-endpoint log buffer: entries kept
  size_t endpoint_log_bytes = 256 * 1024;       // per-endpoint log buffer: bytes kept
};

// Checks cross-field rules; InvalidArgument naming the flag.
base::Status Validate(const ServeOptions& options);

}  // namespace edgegate::config
