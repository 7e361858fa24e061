// Runs a program as a child process without a shell: the compiler and pkg-config are started
// with an explicit argv and environment, so nothing a user uploads is ever parsed by /bin/sh.
// The child gets its own process group, so a timeout kills the whole tree (g++ → cc1plus, as,
// ld) and not just the driver; its output is captured through pipes, bounded, and the child is
// always reaped before RunProcess returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace edgegate::handlers {

struct ProcessOptions {
  // argv[0] is the program. With a '/' it is used as is; otherwise it is looked up in the PATH
  // of `env` (never the gateway's own PATH). REQUIRES: non-empty.
  std::vector<std::string> argv;
  // The child's complete environment, "NAME=value" entries. Nothing is inherited.
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
  // Working directory of the child; empty: the gateway's current directory.
  std::filesystem::path cwd{};
  // Wall-clock limit; when it passes, the child's process group is SIGKILLed.
  std::chrono::milliseconds timeout{60'000};
  // Bytes kept per captured stream; the rest is read and discarded (the *_truncated flag is set).
  size_t max_output_bytes = size_t{1} << 20;
  // false: stdout and stderr are captured separately. true: stderr goes into `out`, interleaved
  // as the child wrote it (what a person sees in a terminal); `err` stays empty.
  bool merge_stderr = false;
};

struct ProcessResult {
  int exit_code = -1;      // the exit status if the child exited, else -1
  int term_signal = 0;     // the signal that ended the child, 0 if it exited
  bool timed_out = false;  // true: killed by us after ProcessOptions::timeout
  std::string out;         // stdout (plus stderr when merged)
  std::string err;         // stderr when not merged
  bool out_truncated = false;
  bool err_truncated = false;
  std::chrono::milliseconds duration{0};

  // True if the child exited on its own with status 0.
  bool success() const { return !timed_out && term_signal == 0 && exit_code == 0; }
};

// Runs `options.argv` to completion (or until the timeout) with stdin from /dev/null and returns
// how it ended plus its output. A child that fails on its own (non-zero exit, signal, timeout)
// is a successful Result describing that; the Status is an error only if the child could not be
// started at all (program not found, bad cwd: Unavailable) or the options are invalid
// (InvalidArgument). When it returns, the child has been reaped, and any processes it left
// behind in its process group have been SIGKILLed.
//
// Thread-safe. Requires that nothing else in the process reaps children it did not spawn
// (no waitpid(-1), SIGCHLD not set to SIG_IGN).
base::Result<ProcessResult> RunProcess(const ProcessOptions& options);

}  // namespace edgegate::handlers
