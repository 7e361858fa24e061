// Tests for Compiler with the system g++ and a fake SDK (the real abi.h and an empty sdk.hpp):
// build → load → call, the build cache, compile and link errors, dependency checks, timeout.
#include "handlers/compiler.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "edgegate/abi.h"
#include "handlers/loader.h"

#include "base/test_util.h"

namespace edgegate::handlers {
namespace {

namespace fs = std::filesystem;

// Test temp dirs of this file.
class TempDir : public base::TempDir {
 public:
  TempDir() : base::TempDir("edgegate-compiler") {}
};

// A C-ABI handler that answers `status`.
std::string HandlerSource(int status) {
  return R"cpp(#include <edgegate/abi.h>

               static void Handle(const eg_host_api* host, eg_call* call, const eg_request*) {
  host->respond(call,)cpp" +
         std::to_string(status) +
         R"cpp(                              , nullptr, 0, eg_str{"hi", 2});
                                             }

                                             static const eg_handler_descriptor kDescriptor = {
                                                 EG_ABI_VERSION, sizeof(eg_handler_descriptor),
                                                 "test", Handle};

                                             extern "C" __attribute__((visibility("default")))
                                             const eg_handler_descriptor*
                                             handler_entry() {
                                               return &kDescriptor;
                                             }
         )cpp";
}

void RecordStatus(eg_call* call, int status, const eg_pair*, size_t, eg_str) {
  *reinterpret_cast<int*>(call) = status;
}

// Calls the handler with a fake host; returns the status it responded with.
int CallHandler(const eg_handler_descriptor& descriptor) {
  eg_host_api host{};
  host.abi_version = EG_ABI_VERSION;
  host.struct_size = sizeof host;
  host.respond = RecordStatus;
  eg_request request{};
  request.struct_size = sizeof request;
  int status = 0;
  descriptor.handle(&host, reinterpret_cast<eg_call*>(&status), &request);
  return status;
}

ino_t InodeOf(const fs::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_ino;
}

class CompilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(sdk_dir() / "include/edgegate");
    fs::copy_file(EDGEGATE_TEST_ABI_H, sdk_dir() / "include/edgegate/abi.h");
    std::ofstream(sdk_dir() / "include/edgegate/sdk.hpp") << "";
  }

  fs::path sdk_dir() const { return dir_.path() / "sdk"; }
  fs::path VersionDir(const std::string& version) const {
    return dir_.path() / "handlers" / "endpoint-1" / version;
  }

  std::unique_ptr<Compiler> MakeCompiler(CompilerOptions options = {}) {
    options.sdk_dir = sdk_dir();
    options.cache_dir = dir_.path() / "cache";
    base::Result<std::unique_ptr<Compiler>> compiler = Compiler::Create(options);
    EXPECT_TRUE(compiler.ok()) << compiler.status().message();
    return compiler.ok() ? std::move(compiler).value() : nullptr;
  }

  BuildOutput MustBuild(Compiler& compiler, const std::string& source, const std::string& version,
                        std::vector<std::string> dependencies = {}) {
    base::Result<BuildOutput> out = compiler.Build(BuildRequest{
        .source = source, .dependencies = dependencies, .out_dir = VersionDir(version)});
    EXPECT_TRUE(out.ok()) << out.status().message();
    return out.ok() ? std::move(out).value() : BuildOutput{};
  }

  TempDir dir_;
};

TEST_F(CompilerTest, BuildsAHandlerThatLoadsAndServes) {
  std::unique_ptr<Compiler> compiler = MakeCompiler();
  ASSERT_NE(compiler, nullptr);
  BuildOutput out = MustBuild(*compiler, HandlerSource(201), "v1");
  ASSERT_TRUE(out.success) << out.output;
  EXPECT_TRUE(out.status().ok());
  EXPECT_FALSE(out.cached);
  EXPECT_EQ(out.library, VersionDir("v1") / "handler.so");
  EXPECT_EQ(out.hash.size(), 64u);
  EXPECT_TRUE(out.diagnostics.empty()) << out.output;
  EXPECT_TRUE(fs::exists(VersionDir("v1") / "handler.cpp"));
  EXPECT_TRUE(fs::exists(VersionDir("v1") / "build.log"));
  EXPECT_FALSE(fs::exists(VersionDir("v1") / "handler.so.tmp"));

  base::Result<std::unique_ptr<LoadedLibrary>> library = LoadedLibrary::Open(out.library);
  ASSERT_TRUE(library.ok()) << library.status().message();
  EXPECT_EQ(CallHandler((*library)->descriptor()), 201);
  EXPECT_TRUE((*library)->Close().ok());
}

TEST_F(CompilerTest, SameSourceIsCopiedFromTheCacheWithoutRunningTheCompiler) {
  std::unique_ptr<Compiler> compiler = MakeCompiler();
  ASSERT_NE(compiler, nullptr);
  BuildOutput first = MustBuild(*compiler, HandlerSource(200), "v1");
  BuildOutput second = MustBuild(*compiler, HandlerSource(200), "v2");
  ASSERT_TRUE(first.success && second.success) << first.output << second.output;
  EXPECT_FALSE(first.cached);
  EXPECT_TRUE(second.cached);
  EXPECT_EQ(second.hash, first.hash);
  EXPECT_EQ(compiler->compilations(), 1);
  EXPECT_EQ(compiler->cache_hits(), 1);

  // Two versions are two files (never a hardlink), so dlopen gives two libraries.
  EXPECT_NE(InodeOf(first.library), InodeOf(second.library));
  base::Result<std::unique_ptr<LoadedLibrary>> a = LoadedLibrary::Open(first.library);
  base::Result<std::unique_ptr<LoadedLibrary>> b = LoadedLibrary::Open(second.library);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(&(*a)->descriptor(), &(*b)->descriptor());
}

// The admin side looks for an existing version by KeyOf before building: it must be the key
// Build gives, with and without dependencies, and fail as Build fails.
TEST_F(CompilerTest, KeyOfIsTheKeyBuildGivesWithoutBuilding) {
  std::unique_ptr<Compiler> compiler = MakeCompiler({.allowed_libs = {"zlib"}});
  ASSERT_NE(compiler, nullptr);
  base::Result<std::string> key = compiler->KeyOf(HandlerSource(200), {});
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(compiler->compilations(), 0);
  EXPECT_FALSE(fs::exists(VersionDir("v1")));
  BuildOutput built = MustBuild(*compiler, HandlerSource(200), "v1");
  EXPECT_EQ(*key, built.hash);
  EXPECT_NE(*compiler->KeyOf(HandlerSource(201), {}), *key);

  base::Result<std::string> with_zlib = compiler->KeyOf(HandlerSource(200), {"zlib"});
  if (with_zlib.ok()) {  // zlib known to pkg-config: its flags are part of the key
    EXPECT_NE(*with_zlib, *key);
    base::Result<BuildOutput> linked = compiler->Build(
        {.source = HandlerSource(200), .dependencies = {"zlib"}, .out_dir = VersionDir("v2")});
    ASSERT_TRUE(linked.ok()) << linked.status().message();
    EXPECT_EQ(linked->hash, *with_zlib);
  }
  base::Result<std::string> refused = compiler->KeyOf(HandlerSource(200), {"libcrypto"});
  EXPECT_EQ(refused.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(refused.status().field(), "dependencies");
}

TEST_F(CompilerTest, DifferentSourceGetsANewHash) {
  std::unique_ptr<Compiler> compiler = MakeCompiler();
  ASSERT_NE(compiler, nullptr);
  BuildOutput first = MustBuild(*compiler, HandlerSource(200), "v1");
  BuildOutput second = MustBuild(*compiler, HandlerSource(202), "v2");
  EXPECT_FALSE(second.cached);
  EXPECT_NE(second.hash, first.hash);
  EXPECT_EQ(compiler->compilations(), 2);
}

TEST_F(CompilerTest, CompileErrorPointsAtTheUsersLineAndColumn) {
  std::unique_ptr<Compiler> compiler = MakeCompiler();
  ASSERT_NE(compiler, nullptr);
  BuildOutput out =
      MustBuild(*compiler, "#include <edgegate/abi.h>\nint f() {\n  return \"x\";\n}\n", "v1");
  EXPECT_FALSE(out.success);
  EXPECT_FALSE(out.timed_out);
  EXPECT_TRUE(out.library.empty());
  EXPECT_FALSE(fs::exists(VersionDir("v1") / "handler.so"));
  EXPECT_EQ(out.status().code(), base::Code::kCompileFailed);
  EXPECT_EQ(out.status().message(), "compilation failed");
  EXPECT_EQ(base::HttpStatusOf(out.status().code()), 422);
  ASSERT_FALSE(out.diagnostics.empty()) << out.output;
  const Diagnostic& error = out.diagnostics.front();
  EXPECT_EQ(error.file, "handler.cpp");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.column, 10);
  EXPECT_EQ(error.severity, "error");
  EXPECT_NE(out.output.find("invalid conversion"), std::string::npos) << out.output;
}

TEST_F(CompilerTest, LinkErrorYieldsAnErrorDiagnostic) {
  std::unique_ptr<Compiler> compiler = MakeCompiler();
  ASSERT_NE(compiler, nullptr);
  BuildOutput out =
      MustBuild(*compiler, "int missing();\nextern \"C\" int use() { return missing(); }\n", "v1");
  EXPECT_FALSE(out.success);
  ASSERT_FALSE(out.diagnostics.empty()) << out.output;
  EXPECT_EQ(out.diagnostics.front().severity, "error");
  EXPECT_NE(out.diagnostics.front().message.find("undefined reference"), std::string::npos);
}

TEST_F(CompilerTest, WarningsAreReportedOnSuccess) {
  std::unique_ptr<Compiler> compiler = MakeCompiler();
  ASSERT_NE(compiler, nullptr);
  BuildOutput out = MustBuild(*compiler, "\n#warning \"careful\"\n" + HandlerSource(200), "v1");
  EXPECT_TRUE(out.success) << out.output;
  ASSERT_EQ(out.diagnostics.size(), 1u) << out.output;
  EXPECT_EQ(out.diagnostics[0].severity, "warning");
  EXPECT_EQ(out.diagnostics[0].line, 2);
}

TEST_F(CompilerTest, DisallowedDependencyIsAFieldError) {
  std::unique_ptr<Compiler> compiler = MakeCompiler({.allowed_libs = {"zlib"}});
  ASSERT_NE(compiler, nullptr);
  base::Result<BuildOutput> out = compiler->Build(
      {.source = HandlerSource(200), .dependencies = {"libcrypto"}, .out_dir = VersionDir("v1")});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(base::HttpStatusOf(out.status().code()), 400);
  EXPECT_EQ(out.status().field(), "dependencies");
  EXPECT_EQ(out.status().message(), "package 'libcrypto' is not allowed (allowed: zlib)");
  EXPECT_EQ(compiler->compilations(), 0);
}

TEST_F(CompilerTest, MalformedDependencyNameIsAFieldError) {
  std::unique_ptr<Compiler> compiler = MakeCompiler({.allowed_libs = {"zlib"}});
  ASSERT_NE(compiler, nullptr);
  base::Result<BuildOutput> out = compiler->Build(
      {.source = HandlerSource(200), .dependencies = {"zlib;id"}, .out_dir = VersionDir("v1")});
  EXPECT_EQ(out.status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(out.status().field(), "dependencies");
}

TEST_F(CompilerTest, AllowedPackageUnknownToPkgConfigIsAFieldError) {
  std::unique_ptr<Compiler> compiler = MakeCompiler({.allowed_libs = {"edgegate-no-such-pkg"}});
  ASSERT_NE(compiler, nullptr);
  base::Result<BuildOutput> out = compiler->Build({.source = HandlerSource(200),
                                                   .dependencies = {"edgegate-no-such-pkg"},
                                                   .out_dir = VersionDir("v1")});
  EXPECT_EQ(out.status().field(), "dependencies");
  EXPECT_NE(out.status().message().find("'edgegate-no-such-pkg'"), std::string::npos);
}

TEST_F(CompilerTest, AllowedDependencyIsCompiledAndLinkedIn) {
  std::unique_ptr<Compiler> compiler = MakeCompiler({.allowed_libs = {"zlib"}});
  ASSERT_NE(compiler, nullptr);
  std::string source =
      "#include <zlib.h>\nextern \"C\" const char* version() { return zlibVersion(); }\n" +
      HandlerSource(200);
  base::Result<BuildOutput> out =
      compiler->Build({.source = source, .dependencies = {"zlib"}, .out_dir = VersionDir("v1")});
  if (!out.ok() && out.status().field() == "dependencies") {
    GTEST_SKIP() << "zlib is not installed for pkg-config: " << out.status().message();
  }
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->success) << out->output;  // -Wl,-z,defs: it links only with -lz
}

TEST_F(CompilerTest, CompilerThatRunsTooLongIsKilled) {
  fs::path fake_cxx = dir_.path() / "slow-g++";
  std::ofstream(fake_cxx) << "#!/bin/sh\ncase \"$1\" in -dump*) echo fake; exit 0;; esac\n"
                             "exec sleep 30\n";
  fs::permissions(fake_cxx, fs::perms::owner_all);
  std::unique_ptr<Compiler> compiler =
      MakeCompiler({.cxx = fake_cxx.string(), .timeout = std::chrono::seconds(1)});
  ASSERT_NE(compiler, nullptr);
  BuildOutput out = MustBuild(*compiler, HandlerSource(200), "v1");
  EXPECT_FALSE(out.success);
  EXPECT_TRUE(out.timed_out);
  EXPECT_TRUE(out.diagnostics.empty());
  EXPECT_EQ(out.output, "compiler timed out after 1s");
  EXPECT_EQ(out.status().code(), base::Code::kCompileFailed);
  EXPECT_EQ(out.status().message(), "compilation failed: compiler timed out after 1s");
}

TEST_F(CompilerTest, ExistingLibraryIsNeverOverwritten) {
  std::unique_ptr<Compiler> compiler = MakeCompiler();
  ASSERT_NE(compiler, nullptr);
  BuildOutput first = MustBuild(*compiler, HandlerSource(200), "v1");
  ASSERT_TRUE(first.success);
  ino_t inode = InodeOf(first.library);
  base::Result<BuildOutput> again =
      compiler->Build({.source = HandlerSource(201), .out_dir = VersionDir("v1")});
  EXPECT_EQ(again.status().code(), base::Code::kFailedPrecondition);
  EXPECT_EQ(InodeOf(first.library), inode);
}

TEST_F(CompilerTest, ConcurrentBuildsAllSucceed) {
  std::unique_ptr<Compiler> compiler = MakeCompiler({.max_parallel = 1});
  ASSERT_NE(compiler, nullptr);
  std::vector<BuildOutput> outputs(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      outputs[i] = MustBuild(*compiler, HandlerSource(200 + i), "v" + std::to_string(i));
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const BuildOutput& out : outputs) {
    EXPECT_TRUE(out.success) << out.output;
  }
  EXPECT_EQ(compiler->compilations(), 3);
}

TEST_F(CompilerTest, CreateRejectsAnSdkWithoutHeaders) {
  fs::remove(sdk_dir() / "include/edgegate/sdk.hpp");
  base::Result<std::unique_ptr<Compiler>> compiler =
      Compiler::Create({.sdk_dir = sdk_dir(), .cache_dir = dir_.path() / "cache"});
  EXPECT_EQ(compiler.status().code(), base::Code::kFailedPrecondition);
}

TEST_F(CompilerTest, CreateRejectsAMissingCompiler) {
  base::Result<std::unique_ptr<Compiler>> compiler = Compiler::Create(
      {.cxx = "/nonexistent/g++", .sdk_dir = sdk_dir(), .cache_dir = dir_.path() / "cache"});
  EXPECT_EQ(compiler.status().code(), base::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace edgegate::handlers
