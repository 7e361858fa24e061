// LoadedLibrary: dlopen + ABI check on the way in, dlclose + residency check on the way out.
#include "handlers/loader.h"

#include <dlfcn.h>

#include <string>
#include <system_error>
#include <utility>

#include "base/log.h"

namespace edgegate::handlers {
namespace {

using base::Result;
using base::Status;

// dlerror()'s text (thread-local in glibc); also clears it.
std::string DlError() {
  const char* error = ::dlerror();
  return error != nullptr ? error : "unknown dynamic loader error";
}

// Checks what `handler_entry` returned against the ABI the gateway speaks.
Status CheckDescriptor(const eg_handler_descriptor* descriptor) {
  if (descriptor == nullptr) {
    return base::FailedPrecondition("handler_entry returned no descriptor");
  }
  // ABI versions only ever append to the host API, so older libraries keep working.
  constexpr uint32_t kOldestAbi = 1;
  if (descriptor->abi_version < kOldestAbi || descriptor->abi_version > EG_ABI_VERSION) {
    return base::FailedPrecondition("handler built for ABI " +
                                    std::to_string(descriptor->abi_version) +
                                    ", gateway speaks ABI " + std::to_string(kOldestAbi) + " to " +
                                    std::to_string(EG_ABI_VERSION));
  }
  if (descriptor->struct_size < sizeof(eg_handler_descriptor)) {
    return base::FailedPrecondition("handler descriptor is " +
                                    std::to_string(descriptor->struct_size) + " bytes, ABI " +
                                    std::to_string(EG_ABI_VERSION) + " needs at least " +
                                    std::to_string(sizeof(eg_handler_descriptor)));
  }
  if (descriptor->handle == nullptr) {
    return base::FailedPrecondition("handler descriptor has no handle function");
  }
  return base::OkStatus();
}

// Closes `library`; a library that stays resident is logged (nobody else can report it).
void CloseOrWarn(LoadedLibrary& library) {
  Status closed = library.Close();
  if (!closed.ok()) {
    EG_LOG_WARN(closed.message());
  }
}

}  // namespace

Result<std::unique_ptr<LoadedLibrary>> LoadedLibrary::Open(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::path absolute = std::filesystem::absolute(path, ignored);
  void* handle = ::dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return base::FailedPrecondition("cannot load handler library: " + DlError());
  }
  // From here on the library is closed again by `library`'s destructor on any error.
  std::unique_ptr<LoadedLibrary> library(new LoadedLibrary(absolute, handle));
  void* entry = ::dlsym(handle, "handler_entry");
  if (entry == nullptr) {
    return base::FailedPrecondition(absolute.string() +
                                    " does not export handler_entry: " + DlError());
  }
  const eg_handler_descriptor* descriptor = reinterpret_cast<eg_handler_entry_fn>(entry)();
  Status checked = CheckDescriptor(descriptor);
  if (!checked.ok()) {
    return base::FailedPrecondition(absolute.string() + ": " + checked.message());
  }
  library->descriptor_ = descriptor;
  return library;
}

LoadedLibrary::LoadedLibrary(LoadedLibrary&& other) noexcept
    : path_(std::move(other.path_)),
      handle_(std::exchange(other.handle_, nullptr)),
      descriptor_(std::exchange(other.descriptor_, nullptr)) {}

LoadedLibrary& LoadedLibrary::operator=(LoadedLibrary&& other) noexcept {
  if (this != &other) {
    CloseOrWarn(*this);
    path_ = std::move(other.path_);
    handle_ = std::exchange(other.handle_, nullptr);
    descriptor_ = std::exchange(other.descriptor_, nullptr);
  }
  return *this;
}

LoadedLibrary::~LoadedLibrary() { CloseOrWarn(*this); }

Status LoadedLibrary::Close() {
  if (handle_ == nullptr) {
    return base::OkStatus();
  }
  void* handle = std::exchange(handle_, nullptr);
  descriptor_ = nullptr;
  if (::dlclose(handle) != 0) {
    return base::Internal("dlclose " + path_.string() + ": " + DlError());
  }
  void* resident = ::dlopen(path_.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (resident == nullptr) {
    ::dlerror();  // NOLOAD's "not loaded" is the good outcome; do not leave it behind
    return base::OkStatus();
  }
  ::dlclose(resident);
  return base::FailedPrecondition("library stayed resident after dlclose: " + path_.string());
}

}  // namespace edgegate::handlers
