// Compiles a handler's C++ source into a shared library for one handler version.
//
// Each version gets its own directory and its own library file (never overwritten, never a
// hardlink: glibc's dlopen dedups by inode, and two versions must be two libraries). Builds are
// content-addressed: the key hashes the source, the dependencies and their resolved flags, the
// full compiler command, the ABI version, the SDK and the compiler's identity, so a rebuild of
// the same thing (a rollback, a restart, a second node) copies the cached library instead of
// running the compiler. The compiler runs as a subprocess (no shell, cleared environment,
// timeout) with the version directory as its cwd, so diagnostics name "handler.cpp" and carry
// the user's own line numbers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <semaphore>
#include <string>
#include <vector>

#include "base/status.h"
#include "handlers/diagnostics.h"

namespace edgegate::handlers {

struct CompilerOptions {
  // The GCC driver; its diagnostics format is what ParseDiagnostics reads.
  std::string cxx = "/usr/bin/g++";
  // Resolves BuildRequest::dependencies to compiler and linker flags.
  std::string pkg_config = "/usr/bin/pkg-config";
  // The installed SDK. Required: include/edgegate/{abi.h,sdk.hpp}. Optional:
  // pch/edgegate/sdk.hpp.gch (sdk.hpp precompiled, from src/sdk/sdk_pch.hpp) and
  // lib/libedgegate_sdk.a (linked in).
  std::filesystem::path sdk_dir{};
  // Built libraries by cache key, "<key>.so". Required; created if missing.
  std::filesystem::path cache_dir{};
  // Wall-clock limit of one compiler run (waiting for a free slot is not counted).
  std::chrono::seconds timeout{60};
  // Compiler runs at once; further builds wait for a slot. At least 1.
  int max_parallel = 2;
  // pkg-config packages handlers may depend on (the operator's allowlist). Empty: none.
  std::vector<std::string> allowed_libs{};
  // The linker for handler libraries (-fuse-ld=<linker>); empty = the compiler's default.
  // gold links a handler about 0.1 s faster than GNU ld (deploy latency); Create falls back to
  // the default when /usr/bin/ld.<linker> is missing.
  std::string linker = "gold";
};

struct BuildRequest {
  // The handler's C++ source; written to out_dir/handler.cpp.
  std::string source{};
  // pkg-config package names; each must be in CompilerOptions::allowed_libs. Order and
  // duplicates do not matter.
  std::vector<std::string> dependencies{};
  // This version's own directory, e.g. <data>/handlers/<endpoint-id>/<version>/. Created if
  // missing; must not hold a handler.so yet.
  std::filesystem::path out_dir{};
};

// What a build produced. A compile error is not a Status error: it is a BuildOutput with
// success == false, so the diagnostics reach the user; status() turns it into one.
struct BuildOutput {
  bool success = false;
  bool cached = false;            // true: copied from the build cache, the compiler did not run
  bool timed_out = false;         // true: the compiler was killed after CompilerOptions::timeout
  std::filesystem::path library;  // out_dir/handler.so (absolute) if success, else empty
  std::string hash;               // the cache key: lower-case hex SHA-256
  std::chrono::milliseconds duration{0};  // the whole Build call
  // Errors on failure; warnings and notes on success. Empty on a cache hit or a timeout.
  std::vector<Diagnostic> diagnostics;
  // Raw compiler output (stdout and stderr interleaved, at most 1 MiB); on a timeout,
  // "compiler timed out after <N>s".
  std::string output;

  // OkStatus() if success; else Code::kCompileFailed with "compilation failed" (on a timeout,
  // "compilation failed: compiler timed out after <N>s").
  base::Status status() const;
};

// Thread-safe: Build may be called from many threads; at most max_parallel compilers run.
class Compiler {
 public:
  // Checks the options, hashes the SDK (headers, and the static library if present), reads the
  // compiler's identity (`cxx -dumpfullversion`, `-dumpmachine`) and creates cache_dir.
  // InvalidArgument for bad options (field set to the option's name); FailedPrecondition if the
  // SDK headers are missing or the compiler cannot be run.
  static base::Result<std::unique_ptr<Compiler>> Create(CompilerOptions options);

  // Builds `request.source` into `request.out_dir`/handler.so, from the cache when possible.
  // Errors (a Status) are reserved for invalid input and infrastructure failures:
  //   InvalidArgument, field "dependencies": a name is malformed, not allowed, or unknown to
  //     pkg-config;
  //   FailedPrecondition: out_dir already holds a handler.so;
  //   Unavailable / Internal: the compiler cannot be started, a file cannot be written.
  // A failed compilation (errors, link errors, timeout) is an ok Result with success == false.
  // Writes out_dir/handler.cpp and, when the compiler ran, out_dir/build.log.
  base::Result<BuildOutput> Build(const BuildRequest& request);

  // The cache key (BuildOutput::hash) Build would give `source` with `dependencies`, without
  // building: for finding a version already built from the same inputs. Resolving dependencies
  // runs pkg-config; errors are those of Build for the same input.
  base::Result<std::string> KeyOf(const std::string& source,
                                  const std::vector<std::string>& dependencies) const;

  // Times Build has run the compiler (cache hits and rejected requests excluded).
  int64_t compilations() const { return compilations_.load(std::memory_order_relaxed); }
  // Times Build has served a library from the cache.
  int64_t cache_hits() const { return cache_hits_.load(std::memory_order_relaxed); }

  const CompilerOptions& options() const { return options_; }

 private:
  struct Dependency {
    std::string name;
    std::vector<std::string> flags;  // pkg-config --cflags --libs, split on whitespace
  };

  // What a build of one source runs, and its cache key.
  struct Plan {
    std::vector<Dependency> dependencies;
    std::vector<std::string> command;
    std::string key;
  };

  Compiler(CompilerOptions options, std::string toolchain_hash, bool has_sdk_lib);

  base::Result<Plan> PlanBuild(const std::string& source,
                               const std::vector<std::string>& dependencies) const;
  base::Result<std::vector<Dependency>> ResolveDependencies(std::vector<std::string> names) const;
  base::Result<Dependency> ResolveDependency(const std::string& name) const;
  std::vector<std::string> CompileCommand(const std::vector<Dependency>& dependencies) const;
  std::string CacheKey(const std::string& source, const std::vector<Dependency>& dependencies,
                       const std::vector<std::string>& command) const;
  base::Status BuildFromCache(const std::filesystem::path& cached,
                              const std::filesystem::path& out_dir, BuildOutput& out);
  base::Status Compile(const std::vector<std::string>& command,
                       const std::filesystem::path& out_dir, BuildOutput& out);
  void StoreInCache(const std::filesystem::path& library, const std::string& key) const;

  // Immutable after construction.
  const CompilerOptions options_;
  // SHA-256 over the SDK headers (and static library) and the compiler's identity.
  const std::string toolchain_hash_;
  const bool has_sdk_lib_;

  // Thread-safe by themselves.
  std::counting_semaphore<> slots_;  // one per concurrent compiler run
  std::atomic<int64_t> compilations_{0};
  std::atomic<int64_t> cache_hits_{0};
};

}  // namespace edgegate::handlers
