// Compiler: dependency resolution, cache key, cache copy or compiler run, atomic installation.
//
// Files are installed by writing a temporary name in the destination directory and renaming it
// into place, so a crash never leaves a half-written handler.so or cache entry. Installation
// into a version directory uses renameat2(RENAME_NOREPLACE): a library, once there, is never
// replaced (it may be mapped in the gateway). std::filesystem is used with error_code overloads
// only: no exception leaves this module.
#include "handlers/compiler.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <system_error>

#include "base/log.h"
#include "base/random.h"
#include "edgegate/abi.h"
#include "handlers/subprocess.h"

namespace edgegate::handlers {
namespace {

namespace fs = std::filesystem;
using base::Result;
using base::Status;
using Clock = std::chrono::steady_clock;

constexpr char kSourceName[] = "handler.cpp";
constexpr char kLibraryName[] = "handler.so";
constexpr char kTempLibraryName[] = "handler.so.tmp";
constexpr char kLogName[] = "build.log";
constexpr char kSdkLibrary[] = "lib/libedgegate_sdk.a";
constexpr std::chrono::seconds kToolQueryTimeout{30};
// What every handler is built with (DESIGN.md §4): hidden symbols but handler_entry, and no
// STB_GNU_UNIQUE symbols, which would make dlclose a silent no-op.
constexpr const char* kHandlerFlags[] = {
    "-std=c++20",      "-O2",          "-fPIC", "-shared", "-fvisibility=hidden",
    "-fno-gnu-unique", "-Winvalid-pch"};

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || in.bad()) {
    return base::FailedPrecondition("cannot read " + path.string());
  }
  return text.str();
}

Status WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  return out ? base::OkStatus() : base::Internal("cannot write " + path.string());
}

void RemoveQuietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

// Appends `value` length-prefixed, so that distinct field lists never encode alike.
void AppendField(std::string& material, std::string_view value) {
  material += std::to_string(value.size());
  material += ':';
  material += value;
  material += '\n';
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += i == 0 ? "" : separator;
    out += parts[i];
  }
  return out;
}

std::string FirstLine(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

// [A-Za-z0-9._+-]+, not starting with '-' (pkg-config would read it as an option).
bool IsValidPackageName(std::string_view name) {
  auto valid_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '-';
  };
  return !name.empty() && name.front() != '-' && std::all_of(name.begin(), name.end(), valid_char);
}

std::vector<std::string> SplitWhitespace(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) {
    words.push_back(word);
  }
  return words;
}

// Renames `from` to `to` atomically unless `to` exists. `from` is removed on failure.
Status InstallNoReplace(const fs::path& from, const fs::path& to) {
  int rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {  // file system without the flag
    rc = ::link(from.c_str(), to.c_str());
  }
  int error = rc == 0 ? 0 : errno;
  RemoveQuietly(from);
  if (error == EEXIST) {
    return base::FailedPrecondition(to.string() + " already exists; a library is never replaced");
  }
  if (error != 0) {
    return base::Internal("cannot install " + to.string() + ": " +
                          std::generic_category().message(error));
  }
  return base::OkStatus();
}

// Copies `from` into a new file (a new inode, never a hardlink) next to `to`, then renames it
// into place; an existing `to` is replaced only if `replace`.
Status CopyInto(const fs::path& from, const fs::path& to, bool replace) {
  fs::path temp = to;
  temp += ".tmp-" + base::RandomHex(8);
  std::error_code ec;
  fs::copy_file(from, temp, ec);
  if (!ec && replace) {
    fs::rename(temp, to, ec);
  }
  if (ec) {
    RemoveQuietly(temp);
    return base::Internal("cannot copy " + from.string() + " to " + to.string() + ": " +
                          ec.message());
  }
  return replace ? base::OkStatus() : InstallNoReplace(temp, to);
}

Status ValidateOptions(const CompilerOptions& o) {
  if (o.cxx.empty()) {
    return base::FieldError("cxx", "the compiler path is empty");
  }
  if (o.sdk_dir.empty() || o.cache_dir.empty()) {
    return base::FieldError(o.sdk_dir.empty() ? "sdk_dir" : "cache_dir", "a directory is required");
  }
  if (o.timeout.count() <= 0) {
    return base::FieldError("timeout", "the compile timeout must be positive");
  }
  if (o.max_parallel < 1) {
    return base::FieldError("max_parallel", "at least one compiler must be allowed to run");
  }
  for (const std::string& name : o.allowed_libs) {
    if (!IsValidPackageName(name)) {
      return base::FieldError("allowed_libs", "package name '" + name + "' is invalid");
    }
  }
  return base::OkStatus();
}

// SHA-256 over abi.h, sdk.hpp and, if present, the SDK's static library.
Result<std::string> HashSdk(const fs::path& sdk_dir, bool has_library) {
  std::string material;
  for (const char* header : {"include/edgegate/abi.h", "include/edgegate/sdk.hpp"}) {
    Result<std::string> text = ReadFile(sdk_dir / header);
    if (!text.ok()) {
      return base::FailedPrecondition("SDK header missing: " + (sdk_dir / header).string());
    }
    AppendField(material, *text);
  }
  if (has_library) {
    ASSIGN_OR_RETURN(std::string library, ReadFile(sdk_dir / kSdkLibrary));
    AppendField(material, library);
  }
  return base::Sha256Hex(material);
}

// The first line `cxx <flag>` prints, e.g. "12.2.0" for -dumpfullversion.
Result<std::string> AskCompiler(const std::string& cxx, const char* flag) {
  ProcessOptions query;
  query.argv = {cxx, flag};
  query.timeout = kToolQueryTimeout;
  query.merge_stderr = true;
  Result<ProcessResult> run = RunProcess(query);
  if (!run.ok() || !run->success()) {
    std::string why = run.ok() ? FirstLine(run->out) : run.status().message();
    return base::FailedPrecondition("compiler " + cxx + " is not usable: " + why);
  }
  return FirstLine(run->out);
}

std::string BuildLog(const std::vector<std::string>& command, const ProcessResult& run) {
  std::string log = "$ " + Join(command, " ") + "\n" + run.out;
  log += run.out_truncated ? "\n[output truncated]\n" : "";
  log += run.timed_out          ? "[timed out]"
         : run.term_signal != 0 ? "[killed by signal " + std::to_string(run.term_signal) + "]"
                                : "[exit status " + std::to_string(run.exit_code) + "]";
  return log + " after " + std::to_string(run.duration.count()) + " ms\n";
}

// Holds one of the compiler's run slots for its lifetime.
class SlotGuard {
 public:
  explicit SlotGuard(std::counting_semaphore<>& slots) : slots_(slots) { slots_.acquire(); }
  ~SlotGuard() { slots_.release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  std::counting_semaphore<>& slots_;
};

// Creates `out_dir`, refuses one that holds a library already, writes the source.
Status PrepareOutDir(const fs::path& out_dir, const std::string& source) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    return base::Internal("cannot create " + out_dir.string() + ": " + ec.message());
  }
  if (fs::exists(out_dir / kLibraryName, ec)) {
    return base::FailedPrecondition((out_dir / kLibraryName).string() +
                                    " already exists; each version needs its own directory");
  }
  return WriteFile(out_dir / kSourceName, source);
}

}  // namespace

Status BuildOutput::status() const {
  if (success) {
    return base::OkStatus();
  }
  return Status(base::Code::kCompileFailed,
                timed_out ? "compilation failed: " + output : "compilation failed");
}

Result<std::unique_ptr<Compiler>> Compiler::Create(CompilerOptions options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  std::error_code ec;
  options.sdk_dir = fs::absolute(options.sdk_dir, ec).lexically_normal();
  options.cache_dir = fs::absolute(options.cache_dir, ec).lexically_normal();
  bool has_library = fs::exists(options.sdk_dir / kSdkLibrary, ec);
  if (!options.linker.empty() && !fs::exists("/usr/bin/ld." + options.linker, ec)) {
    options.linker.clear();
  }
  ASSIGN_OR_RETURN(std::string sdk_hash, HashSdk(options.sdk_dir, has_library));
  ASSIGN_OR_RETURN(std::string version, AskCompiler(options.cxx, "-dumpfullversion"));
  ASSIGN_OR_RETURN(std::string machine, AskCompiler(options.cxx, "-dumpmachine"));
  fs::create_directories(options.cache_dir, ec);
  if (ec) {
    return base::Internal("cannot create " + options.cache_dir.string() + ": " + ec.message());
  }
  std::string material;
  for (const std::string& field : {sdk_hash, version, machine}) {
    AppendField(material, field);
  }
  return std::unique_ptr<Compiler>(
      new Compiler(std::move(options), base::Sha256Hex(material), has_library));
}

Compiler::Compiler(CompilerOptions options, std::string toolchain_hash, bool has_sdk_lib)
    : options_(std::move(options)),
      toolchain_hash_(std::move(toolchain_hash)),
      has_sdk_lib_(has_sdk_lib),
      slots_(options_.max_parallel) {}

Result<Compiler::Plan> Compiler::PlanBuild(const std::string& source,
                                           const std::vector<std::string>& dependencies) const {
  Plan plan;
  ASSIGN_OR_RETURN(plan.dependencies, ResolveDependencies(dependencies));
  plan.command = CompileCommand(plan.dependencies);
  plan.key = CacheKey(source, plan.dependencies, plan.command);
  return plan;
}

Result<std::string> Compiler::KeyOf(const std::string& source,
                                    const std::vector<std::string>& dependencies) const {
  ASSIGN_OR_RETURN(Plan plan, PlanBuild(source, dependencies));
  return std::move(plan.key);
}

Result<BuildOutput> Compiler::Build(const BuildRequest& request) {
  Clock::time_point start = Clock::now();
  if (request.out_dir.empty()) {
    return base::FieldError("out_dir", "an output directory is required");
  }
  ASSIGN_OR_RETURN(Plan plan, PlanBuild(request.source, request.dependencies));
  const std::vector<std::string>& command = plan.command;
  BuildOutput out;
  out.hash = std::move(plan.key);
  std::error_code ec;
  fs::path out_dir = fs::absolute(request.out_dir, ec).lexically_normal();
  RETURN_IF_ERROR(PrepareOutDir(out_dir, request.source));
  fs::path cached = options_.cache_dir / (out.hash + ".so");
  if (fs::exists(cached, ec)) {
    RETURN_IF_ERROR(BuildFromCache(cached, out_dir, out));
  } else {
    RETURN_IF_ERROR(Compile(command, out_dir, out));
  }
  if (out.success && !out.cached) {
    StoreInCache(out.library, out.hash);
  }
  out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return out;
}

Result<std::vector<Compiler::Dependency>> Compiler::ResolveDependencies(
    std::vector<std::string> names) const {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<Dependency> dependencies;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(Dependency dependency, ResolveDependency(name));
    dependencies.push_back(std::move(dependency));
  }
  return dependencies;
}

Result<Compiler::Dependency> Compiler::ResolveDependency(const std::string& name) const {
  if (!IsValidPackageName(name)) {
    return base::FieldError(
        "dependencies", "package name '" + name + "' is invalid (use letters, digits and . _ + -)");
  }
  const std::vector<std::string>& allowed = options_.allowed_libs;
  if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
    std::string list = allowed.empty() ? "none" : Join(allowed, ", ");
    return base::FieldError("dependencies",
                            "package '" + name + "' is not allowed (allowed: " + list + ")");
  }
  ProcessOptions query;
  query.argv = {options_.pkg_config, "--cflags", "--libs", name};
  query.timeout = kToolQueryTimeout;
  ASSIGN_OR_RETURN(ProcessResult run, RunProcess(query));
  if (!run.success()) {
    return base::FieldError(
        "dependencies",
        "package '" + name + "' cannot be resolved by pkg-config: " + FirstLine(run.err));
  }
  return Dependency{name, SplitWhitespace(run.out)};
}

std::vector<std::string> Compiler::CompileCommand(
    const std::vector<Dependency>& dependencies) const {
  const fs::path& sdk = options_.sdk_dir;
  std::vector<std::string> command = {options_.cxx};
  command.insert(command.end(), std::begin(kHandlerFlags), std::end(kHandlerFlags));
  command.insert(command.end(), {"-I" + (sdk / "pch").string(), "-I" + (sdk / "include").string(),
                                 kSourceName, "-o", kTempLibraryName});
  if (has_sdk_lib_) {
    command.push_back((sdk / kSdkLibrary).string());
  }
  for (const Dependency& dependency : dependencies) {
    command.insert(command.end(), dependency.flags.begin(), dependency.flags.end());
  }
  if (!options_.linker.empty()) {
    command.push_back("-fuse-ld=" + options_.linker);
  }
  command.push_back("-Wl,-z,defs");
  return command;
}

std::string Compiler::CacheKey(const std::string& source,
                               const std::vector<Dependency>& dependencies,
                               const std::vector<std::string>& command) const {
  std::string material;
  AppendField(material, "edgegate handler build v1");
  AppendField(material, std::to_string(EG_ABI_VERSION));
  AppendField(material, toolchain_hash_);
  AppendField(material, std::to_string(command.size()));
  for (const std::string& argument : command) {
    AppendField(material, argument);
  }
  AppendField(material, std::to_string(dependencies.size()));
  for (const Dependency& dependency : dependencies) {
    AppendField(material, dependency.name);
    AppendField(material, Join(dependency.flags, "\n"));
  }
  AppendField(material, source);
  return base::Sha256Hex(material);
}

Status Compiler::BuildFromCache(const fs::path& cached, const fs::path& out_dir, BuildOutput& out) {
  fs::path library = out_dir / kLibraryName;
  RETURN_IF_ERROR(CopyInto(cached, library, /*replace=*/false));
  cache_hits_.fetch_add(1, std::memory_order_relaxed);
  out.success = true;
  out.cached = true;
  out.library = library;
  return base::OkStatus();
}

Status Compiler::Compile(const std::vector<std::string>& command, const fs::path& out_dir,
                         BuildOutput& out) {
  ProcessOptions process{
      .argv = command, .cwd = out_dir, .timeout = options_.timeout, .merge_stderr = true};
  Result<ProcessResult> run = [&] {
    SlotGuard slot(slots_);
    compilations_.fetch_add(1, std::memory_order_relaxed);
    return RunProcess(process);
  }();
  RETURN_IF_ERROR(run.status());
  RETURN_IF_ERROR(WriteFile(out_dir / kLogName, BuildLog(command, *run)));
  if (run->timed_out) {
    RemoveQuietly(out_dir / kTempLibraryName);
    out.timed_out = true;
    out.output = "compiler timed out after " + std::to_string(options_.timeout.count()) + "s";
    return base::OkStatus();
  }
  out.output = run->out + (run->out_truncated ? "\n[output truncated]\n" : "");
  out.diagnostics = ParseDiagnostics(run->out);
  if (!run->success()) {
    RemoveQuietly(out_dir / kTempLibraryName);
    return base::OkStatus();
  }
  RETURN_IF_ERROR(InstallNoReplace(out_dir / kTempLibraryName, out_dir / kLibraryName));
  out.success = true;
  out.library = out_dir / kLibraryName;
  return base::OkStatus();
}

void Compiler::StoreInCache(const fs::path& library, const std::string& key) const {
  Status stored = CopyInto(library, options_.cache_dir / (key + ".so"), /*replace=*/true);
  if (!stored.ok()) {
    EG_LOG_WARN("build cache: " + stored.message());  // the build itself succeeded
  }
}

}  // namespace edgegate::handlers
