// Tests for LoadedLibrary with real libraries compiled by g++ from tiny C-ABI handlers:
// the ABI checks on Open, and Close's check that the library really left the process.
#include "handlers/loader.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>

#include "handlers/subprocess.h"

#include "base/test_util.h"

namespace edgegate::handlers {
namespace {

namespace fs = std::filesystem;

// Test temp dirs of this file.
class TempDir : public base::TempDir {
 public:
  TempDir() : base::TempDir("edgegate-loader") {}
};

constexpr char kHandle[] = R"cpp(
  static void Handle(const eg_host_api* host, eg_call* call, const eg_request*) {
    host->respond(call, 200, nullptr, 0, eg_str{"ok", 2});
  }
)cpp";

constexpr char kEntry[] = R"cpp(
  extern "C" __attribute__((visibility("default"))) const eg_handler_descriptor* handler_entry() {
    return &kDescriptor;
  }
)cpp";

// A handler whose descriptor is initialised with `fields`; `extra` goes before the handle.
std::string HandlerWithDescriptor(const std::string& fields, const std::string& extra = "") {
  return "#include <edgegate/abi.h>\n" + extra + kHandle +
         "static const eg_handler_descriptor kDescriptor = {" + fields + "};\n" + kEntry;
}

const std::string kValidFields = "EG_ABI_VERSION, sizeof(eg_handler_descriptor), \"t\", Handle";

struct Recorded {
  int status = 0;
};

void RecordRespond(eg_call* call, int status, const eg_pair*, size_t, eg_str) {
  reinterpret_cast<Recorded*>(call)->status = status;
}

// Calls the handler with a fake host whose respond records the status.
int CallHandler(const eg_handler_descriptor& descriptor) {
  eg_host_api host{};
  host.abi_version = EG_ABI_VERSION;
  host.struct_size = sizeof host;
  host.respond = RecordRespond;
  eg_request request{};
  request.struct_size = sizeof request;
  Recorded recorded;
  descriptor.handle(&host, reinterpret_cast<eg_call*>(&recorded), &request);
  return recorded.status;
}

bool IsResident(const fs::path& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle != nullptr) {
    ::dlclose(handle);
  }
  return handle != nullptr;
}

class LoaderTest : public ::testing::Test {
 protected:
  // Compiles `source` into <tmp>/<name>/handler.so with the gateway's flags; `gnu_unique`
  // leaves out -fno-gnu-unique.
  fs::path Build(const std::string& name, const std::string& source, bool gnu_unique = false) {
    fs::path dir = dir_.path() / name;
    fs::create_directories(dir);
    std::ofstream(dir / "handler.cpp") << source;
    std::string include = fs::path(EDGEGATE_TEST_ABI_H).parent_path().parent_path().string();
    ProcessOptions compile{
        .argv = {"/usr/bin/g++", "-std=c++20", "-O2", "-fPIC", "-shared", "-fvisibility=hidden",
                 "-I" + include, "handler.cpp", "-o", "handler.so"},
        .cwd = dir};
    if (!gnu_unique) {
      compile.argv.push_back("-fno-gnu-unique");
    }
    base::Result<ProcessResult> run = RunProcess(compile);
    EXPECT_TRUE(run.ok() && run->success()) << (run.ok() ? run->out + run->err : "no g++");
    return dir / "handler.so";
  }

  std::unique_ptr<LoadedLibrary> MustOpen(const fs::path& path) {
    base::Result<std::unique_ptr<LoadedLibrary>> library = LoadedLibrary::Open(path);
    EXPECT_TRUE(library.ok()) << library.status().message();
    return library.ok() ? std::move(library).value() : nullptr;
  }

  // The message of the error Open reports for `source`.
  std::string OpenError(const std::string& name, const std::string& source) {
    fs::path path = Build(name, source);
    base::Result<std::unique_ptr<LoadedLibrary>> library = LoadedLibrary::Open(path);
    EXPECT_FALSE(library.ok());
    EXPECT_EQ(library.status().code(), base::Code::kFailedPrecondition);
    EXPECT_FALSE(IsResident(path)) << "a rejected library must be closed again";
    return library.status().message();
  }

  TempDir dir_;
};

TEST_F(LoaderTest, OpensAValidLibraryAndCallsItsHandler) {
  std::unique_ptr<LoadedLibrary> library =
      MustOpen(Build("ok", HandlerWithDescriptor(kValidFields)));
  ASSERT_NE(library, nullptr);
  EXPECT_EQ(library->descriptor().abi_version, EG_ABI_VERSION);
  EXPECT_EQ(CallHandler(library->descriptor()), 200);
  EXPECT_TRUE(library->path().is_absolute());
}

TEST_F(LoaderTest, CloseUnloadsTheLibrary) {
  fs::path path = Build("ok", HandlerWithDescriptor(kValidFields));
  std::unique_ptr<LoadedLibrary> library = MustOpen(path);
  ASSERT_NE(library, nullptr);
  EXPECT_TRUE(IsResident(path));
  base::Status closed = library->Close();
  EXPECT_TRUE(closed.ok()) << closed.message();
  EXPECT_FALSE(library->is_open());
  EXPECT_FALSE(IsResident(path));
  EXPECT_TRUE(library->Close().ok()) << "closing twice is harmless";
}

TEST_F(LoaderTest, DestructorUnloadsTheLibrary) {
  fs::path path = Build("ok", HandlerWithDescriptor(kValidFields));
  MustOpen(path).reset();
  EXPECT_FALSE(IsResident(path));
}

TEST_F(LoaderTest, MoveTransfersOwnership) {
  std::unique_ptr<LoadedLibrary> library =
      MustOpen(Build("ok", HandlerWithDescriptor(kValidFields)));
  ASSERT_NE(library, nullptr);
  LoadedLibrary moved = std::move(*library);
  EXPECT_FALSE(library->is_open());
  EXPECT_EQ(CallHandler(moved.descriptor()), 200);
  EXPECT_TRUE(moved.Close().ok());
}

TEST_F(LoaderTest, RejectsALibraryBuiltForAnotherAbi) {
  std::string newer =
      OpenError("abi9", HandlerWithDescriptor("9, sizeof(eg_handler_descriptor), \"t\", Handle"));
  EXPECT_NE(newer.find("handler built for ABI 9, gateway speaks ABI 1 to 2"), std::string::npos)
      << newer;
  std::string zero =
      OpenError("abi0", HandlerWithDescriptor("0, sizeof(eg_handler_descriptor), \"t\", Handle"));
  EXPECT_NE(zero.find("handler built for ABI 0"), std::string::npos) << zero;
}

TEST_F(LoaderTest, LoadsALibraryBuiltForAnOlderAbi) {
  // ABI 2 only appended to the host API: a library built for ABI 1 still loads.
  std::unique_ptr<LoadedLibrary> library =
      MustOpen(Build("abi1", HandlerWithDescriptor("1, sizeof(eg_handler_descriptor), \"t\", Handle")));
  ASSERT_NE(library, nullptr);
  EXPECT_EQ(library->descriptor().abi_version, 1u);
  EXPECT_EQ(CallHandler(library->descriptor()), 200);
}

TEST_F(LoaderTest, RejectsATooSmallDescriptor) {
  std::string error = OpenError("small", HandlerWithDescriptor("EG_ABI_VERSION, 4, \"t\", Handle"));
  EXPECT_NE(error.find("descriptor is 4 bytes"), std::string::npos) << error;
}

TEST_F(LoaderTest, RejectsADescriptorWithoutHandle) {
  std::string error = OpenError(
      "nohandle", HandlerWithDescriptor("EG_ABI_VERSION, sizeof(eg_handler_descriptor), \"t\", 0"));
  EXPECT_NE(error.find("no handle function"), std::string::npos) << error;
}

TEST_F(LoaderTest, RejectsANullDescriptor) {
  std::string error = OpenError("null", R"cpp(#include <edgegate/abi.h>
                                              extern "C" __attribute__((visibility("default")))
                                              const eg_handler_descriptor*
                                              handler_entry() {
                                                return nullptr;
                                              }
  )cpp");
  EXPECT_NE(error.find("returned no descriptor"), std::string::npos) << error;
}

TEST_F(LoaderTest, RejectsALibraryWithoutHandlerEntry) {
  std::string error = OpenError("noentry", "extern \"C\" int something_else() { return 1; }\n");
  EXPECT_NE(error.find("does not export handler_entry"), std::string::npos) << error;
}

TEST_F(LoaderTest, ReportsTheDynamicLoadersError) {
  fs::path path = dir_.path() / "not-a-library.so";
  std::ofstream(path) << "just text";
  base::Result<std::unique_ptr<LoadedLibrary>> library = LoadedLibrary::Open(path);
  ASSERT_FALSE(library.ok());
  EXPECT_EQ(library.status().code(), base::Code::kFailedPrecondition);
  EXPECT_NE(library.status().message().find("not-a-library.so"), std::string::npos)
      << library.status().message();
}

// A handler that touches a thread_local with a non-trivial destructor on every call.
std::string ThreadLocalHandlerSource() {
  constexpr char kTracker[] = R"cpp(
    struct Tracker {
      int uses = 0;
      ~Tracker() { uses = -1; }
    };
    static thread_local Tracker tracker;
    static void Handle(const eg_host_api*, eg_call*, const eg_request*);
    static void TouchAndHandle(const eg_host_api* h, eg_call* c, const eg_request* r) {
      ++tracker.uses;
      Handle(h, c, r);
    }
  )cpp";
  return HandlerWithDescriptor(
      "EG_ABI_VERSION, sizeof(eg_handler_descriptor), \"t\", TouchAndHandle", kTracker);
}

TEST_F(LoaderTest, ThreadLocalLibraryUnloadsOnceTheThreadHasExited) {
  fs::path path = Build("tls", ThreadLocalHandlerSource());
  std::unique_ptr<LoadedLibrary> library = MustOpen(path);
  ASSERT_NE(library, nullptr);
  std::thread([&] { CallHandler(library->descriptor()); }).join();
  base::Status closed = library->Close();
  EXPECT_TRUE(closed.ok()) << closed.message();
  EXPECT_FALSE(IsResident(path));
}

TEST_F(LoaderTest, ReportsALibraryPinnedByAThreadLocalDestructorOnALiveThread) {
  fs::path path = Build("tls", ThreadLocalHandlerSource());
  std::unique_ptr<LoadedLibrary> library = MustOpen(path);
  ASSERT_NE(library, nullptr);
  std::latch handled(1);
  std::latch release(1);
  std::thread worker([&] {
    CallHandler(library->descriptor());
    handled.count_down();
    release.wait();
  });
  handled.wait();
  base::Status closed = library->Close();
  release.count_down();
  worker.join();
  EXPECT_EQ(closed.code(), base::Code::kFailedPrecondition);
  EXPECT_NE(closed.message().find("library stayed resident after dlclose: " + path.string()),
            std::string::npos)
      << closed.message();
}

TEST_F(LoaderTest, ReportsALibraryPinnedByAGnuUniqueSymbol) {
  constexpr char kUnique[] =
      "__attribute__((visibility(\"default\"))) inline int& Calls() { static int n; return n; }\n"
      "extern \"C\" __attribute__((visibility(\"default\"))) int count_call() { return ++Calls(); "
      "}\n";
  fs::path path =
      Build("unique", HandlerWithDescriptor(kValidFields, kUnique), /*gnu_unique=*/true);
  std::unique_ptr<LoadedLibrary> library = MustOpen(path);
  ASSERT_NE(library, nullptr);
  base::Status closed = library->Close();
  EXPECT_EQ(closed.code(), base::Code::kFailedPrecondition);
  EXPECT_NE(closed.message().find("stayed resident"), std::string::npos) << closed.message();
}

}  // namespace
}  // namespace edgegate::handlers
