// Loads one handler library into the gateway and unloads it again, checking both ways.
//
// Loading binds every symbol up front (RTLD_NOW: a missing symbol fails here, not on the first
// request) and keeps the library's symbols to itself (RTLD_LOCAL: two versions of one handler
// can be loaded side by side). The descriptor from `handler_entry` is checked against the ABI
// the gateway speaks before anything calls into the library. Unloading checks that the library
// really left the process: a thread_local with a destructor or a STB_GNU_UNIQUE symbol makes
// glibc keep it mapped, silently; we say so (see DESIGN.md §4).
#pragma once

#include <filesystem>
#include <memory>

#include "base/status.h"
#include "edgegate/abi.h"

namespace edgegate::handlers {

// An open handler library. Move-only RAII over a dlopen handle; the destructor closes it if
// Close() was not called. Thread-compatible: descriptor() may be read from many threads, but
// Close() and destruction must not race with any use, and the caller must guarantee that no
// thread is still inside the library's code (the registry's Gate does).
class LoadedLibrary {
 public:
  // dlopen(path, RTLD_NOW | RTLD_LOCAL), then calls `handler_entry` and checks the descriptor:
  // non-null, abi_version == EG_ABI_VERSION, struct_size >= sizeof(eg_handler_descriptor),
  // handle != nullptr. FailedPrecondition on any failure, with dlerror()'s text or the check
  // that failed ("handler built for ABI 2, gateway speaks ABI 1"); the library is closed again.
  // Relative paths are made absolute (a bare name would make dlopen search the library path).
  // Note: dlopen runs the library's static initialisers, and this calls its handler_entry.
  static base::Result<std::unique_ptr<LoadedLibrary>> Open(const std::filesystem::path& path);

  LoadedLibrary(LoadedLibrary&& other) noexcept;
  LoadedLibrary& operator=(LoadedLibrary&& other) noexcept;
  LoadedLibrary(const LoadedLibrary&) = delete;
  LoadedLibrary& operator=(const LoadedLibrary&) = delete;
  ~LoadedLibrary();

  // The library's descriptor, owned by the library. REQUIRES: open (not closed, not moved from).
  const eg_handler_descriptor& descriptor() const { return *descriptor_; }
  // The absolute path the library was opened from.
  const std::filesystem::path& path() const { return path_; }
  bool is_open() const { return handle_ != nullptr; }

  // dlclose()s the library, then checks that it left the process (dlopen with RTLD_NOLOAD
  // finds nothing). FailedPrecondition("library stayed resident after dlclose: <path>") if it
  // did not: a thread_local destructor pending on a live thread, a gnu-unique symbol, or
  // another handle to the same file. Internal if dlclose itself fails. The object is closed
  // afterwards in every case; closing a closed library is OK.
  base::Status Close();

 private:
  LoadedLibrary(std::filesystem::path path, void* handle)
      : path_(std::move(path)), handle_(handle) {}

  std::filesystem::path path_;
  void* handle_ = nullptr;  // from dlopen; null once closed or moved from
  const eg_handler_descriptor* descriptor_ = nullptr;
};

}  // namespace edgegate::handlers
