// Builds every examples/handlers/*.cpp exactly as the gateway does at runtime (runtime flags,
// the SDK tree's PCH and static library, -Wl,-z,defs), loads it with dlopen, calls it through
// the C ABI with the fake host, and checks that dlclose really unloads it (-fno-gnu-unique).
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sdk/fake_host.h"

extern char** environ;

namespace edgegate {
namespace {

namespace fs = std::filesystem;
using testing::FakeHostApi;
using testing::FakeRequest;

// Runs `argv` (no shell) with stderr sent to `stderr_path` (and stdout to `stdout_path` if
// given); returns the exit status or -1.
int RunProcess(const std::vector<std::string>& argv, const std::string& stderr_path,
               const std::string& stdout_path = "") {
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (!stdout_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (spawned != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The gateway's runtime compile command for one handler, plus `extra` flags. With "-c" in
// `extra` it stops at the object file (the linker inputs are left out).
std::vector<std::string> CompileCommand(const fs::path& source, const fs::path& output,
                                        const std::vector<std::string>& extra = {}) {
  const bool link = std::find(extra.begin(), extra.end(), "-c") == extra.end();
  const std::string sdk = EDGEGATE_TEST_SDK_TREE;
  std::vector<std::string> command = {EDGEGATE_TEST_CXX,
                                      "-std=c++20",
                                      "-O2",
                                      "-fPIC",
                                      "-shared",
                                      "-fvisibility=hidden",
                                      "-fno-gnu-unique",
                                      "-Winvalid-pch",
                                      "-I" + sdk + "/pch",
                                      "-I" + sdk + "/include"};
  command.insert(command.end(), extra.begin(), extra.end());
  command.insert(command.end(), {source.string(), "-o", output.string()});
  if (link) {
    command.insert(command.end(), {sdk + "/lib/libedgegate_sdk.a", "-Wl,-z,defs"});
  }
  return command;
}

class ExamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("edgegate_examples_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }

  static void TearDownTestSuite() { fs::remove_all(dir_); }

  void TearDown() override {
    if (library_ != nullptr) {
      dlclose(library_);
    }
  }

  // Compiles examples/handlers/<name>.cpp into the suite's temp dir and loads it; fails the
  // test if it did not build cleanly.
  void Load(const std::string& name) {
    LoadSource(fs::path(EDGEGATE_TEST_EXAMPLES_DIR) / (name + ".cpp"));
  }

  void LoadSource(const fs::path& source) {
    const std::string name = source.stem().string();
    const fs::path log = dir_ / (name + ".log");
    path_ = (dir_ / (name + ".so")).string();
    const int status = RunProcess(CompileCommand(source, path_), log.string());
    const std::string diagnostics = ReadFile(log);
    ASSERT_EQ(status, 0) << diagnostics;
    EXPECT_EQ(diagnostics, "") << "the runtime compile must be silent (PCH valid, no warnings)";
    library_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library_, nullptr) << dlerror();
    auto entry = reinterpret_cast<eg_handler_entry_fn>(dlsym(library_, "handler_entry"));
    ASSERT_NE(entry, nullptr);
    descriptor_ = entry();
    ASSERT_EQ(descriptor_->abi_version, EG_ABI_VERSION);
    ASSERT_EQ(descriptor_->struct_size, sizeof(eg_handler_descriptor));
    EXPECT_STREQ(descriptor_->sdk_version, "0.1.0");
  }

  eg_call Call(FakeRequest& request, eg_call::Pairs query = {}) {
    eg_call call;
    call.query = std::move(query);
    descriptor_->handle(&FakeHostApi(), &call, &request.View());
    EXPECT_EQ(call.respond_count, 1);
    return call;
  }

  static inline fs::path dir_;
  void* library_ = nullptr;
  std::string path_;
  const eg_handler_descriptor* descriptor_ = nullptr;
};

TEST_F(ExamplesTest, RuntimeCompileUsesThePrecompiledHeader) {
  const fs::path source = fs::path(EDGEGATE_TEST_EXAMPLES_DIR) / "hello.cpp";
  const fs::path log = dir_ / "hello_h.log";
  // -H lists every header read; "! <file>.gch" marks a precompiled header that was used.
  ASSERT_EQ(RunProcess(CompileCommand(source, dir_ / "hello_h.so", {"-H"}), log.string()), 0);
  const std::string headers = ReadFile(log);
  EXPECT_NE(headers.find("! " EDGEGATE_TEST_SDK_TREE "/pch/edgegate/sdk.hpp.gch"),
            std::string::npos)
      << headers;
}

// The PCH (src/sdk/sdk_pch.hpp) declares std::string's out-of-line members `extern template`,
// so a handler uses them without compiling its own copies; they must still answer as the
// standard says.
TEST_F(ExamplesTest, StringOperationsAnswerThroughThePch) {
  ASSERT_NO_FATAL_FAILURE(LoadSource(fs::path(EDGEGATE_TEST_DATA_DIR) / "string_ops.cpp"));
  FakeRequest request;
  request.path_params = {{"s", "hello world"}};
  const eg_call call = Call(request);
  EXPECT_EQ(call.status, 200);
  EXPECT_EQ(call.response_body,
            "HELLO world\n>>>HELLO world\n>HELLO world\n>HEL..\n>HEL..|hello worldhello\n"
            "wor\n4 6 7 9\n4 7 4 1 8 9\n10001\nhello worldxxxxxxxxxxxxxxxy");
}

#if defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE == 12 && _GLIBCXX_USE_CXX11_ABI
// Where sdk_pch.hpp declares them (libstdc++ 12), a handler's object file defines none of
// std::string's out-of-line members: compiling them into each handler was about 30 ms of a
// hello build.
TEST_F(ExamplesTest, HandlerObjectsLeaveStringMembersToTheLibrary) {
  const fs::path source = fs::path(EDGEGATE_TEST_DATA_DIR) / "string_ops.cpp";
  const fs::path object = dir_ / "string_ops.o";
  ASSERT_EQ(
      RunProcess(CompileCommand(source, object, {"-c"}), (dir_ / "string_ops_c.log").string()), 0)
      << ReadFile(dir_ / "string_ops_c.log");
  const fs::path symbols = dir_ / "string_ops.nm";
  ASSERT_EQ(RunProcess({"/usr/bin/nm", "--defined-only", object.string()},
                       (dir_ / "string_ops_nm.log").string(), symbols.string()),
            0);
  const std::string defined = ReadFile(symbols);
  EXPECT_NE(defined.find("handler_entry"), std::string::npos) << defined;
  // Mangled std::__cxx11::basic_string<char>::<member>.
  for (const char* member : {"10_M_replaceE", "9_M_mutateE", "9_M_appendE", "9_M_createE",
                             "10_M_disposeE", "9_M_assignE", "8_M_eraseE", "14_M_replace_auxE"}) {
    EXPECT_EQ(
        defined.find(std::string("NSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE") + member),
        std::string::npos)
        << member << " is compiled into the handler:\n"
        << defined;
  }
}
#endif

TEST_F(ExamplesTest, HelloGreetsThePathParameter) {
  ASSERT_NO_FATAL_FAILURE(Load("hello"));
  FakeRequest request;
  request.path_params = {{"name", "edgegate"}};
  const eg_call call = Call(request);
  EXPECT_EQ(call.status, 200);
  EXPECT_EQ(call.response_body, "hello edgegate");
  FakeRequest anonymous;
  EXPECT_EQ(Call(anonymous).response_body, "hello world");
}

TEST_F(ExamplesTest, JsonEchoReturnsTheParsedBody) {
  ASSERT_NO_FATAL_FAILURE(Load("json_echo"));
  FakeRequest request;
  request.method = "POST";
  request.body = R"({"a": [1, 2.5, "x"], "b": null})";
  const eg_call call = Call(request);
  EXPECT_EQ(call.status, 200);
  EXPECT_EQ(call.response_body, R"({"echo":{"a":[1,2.5,"x"],"b":null},"request_id":"req-1"})");
  request.body = "{oops";
  EXPECT_EQ(Call(request).status, 400);
}

TEST_F(ExamplesTest, QueryReadsRepeatedKeysAndRejectsBadLimit) {
  ASSERT_NO_FATAL_FAILURE(Load("query"));
  FakeRequest request;
  const eg_call call = Call(request, {{"tag", "a"}, {"tag", "b"}, {"limit", "5"}});
  EXPECT_EQ(call.status, 200);
  EXPECT_EQ(call.response_body, R"({"tags":["a","b"],"limit":5})");
  const eg_call bad = Call(request, {{"limit", "five"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.response_body, R"({"error":"query parameter 'limit' must be an integer"})");
}

TEST_F(ExamplesTest, ErrorsMapToStatuses) {
  ASSERT_NO_FATAL_FAILURE(Load("errors"));
  FakeRequest request;
  request.path_params = {{"kind", "http"}};
  const eg_call teapot = Call(request);
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.response_body, R"({"error":"I'm a teapot"})");
  request.path_params = {{"kind", "exception"}};
  const eg_call failure = Call(request);
  EXPECT_EQ(failure.status, 500);
  EXPECT_EQ(failure.response_body, R"({"error":"internal error","request_id":"req-1"})");
  ASSERT_EQ(failure.logs.size(), 1u);
  EXPECT_EQ(failure.logs[0].second, "unhandled exception: something broke inside the handler");
  request.path_params = {{"kind", "ok"}};
  EXPECT_EQ(Call(request).status, 200);
}

TEST_F(ExamplesTest, LibraryReallyUnloads) {
  ASSERT_NO_FATAL_FAILURE(Load("errors"));
  FakeRequest request;
  request.path_params = {{"kind", "exception"}};  // Exercise the exception machinery first.
  Call(request);
  ASSERT_EQ(dlclose(library_), 0);
  library_ = nullptr;
  void* still_loaded = dlopen(path_.c_str(), RTLD_NOW | RTLD_NOLOAD);
  EXPECT_EQ(still_loaded, nullptr) << "library stayed resident after dlclose";
  if (still_loaded != nullptr) {
    dlclose(still_loaded);
  }
}

}  // namespace
}  // namespace edgegate
