// RunProcess: posix_spawn into a new process group, poll-based capture, group kill on timeout.
//
// Why it is shaped like this:
// - posix_spawn (glibc: clone(CLONE_VFORK) + exec) is safe to call from many threads at once,
//   unlike fork() in a multi-threaded process; every descriptor we create is O_CLOEXEC and the
//   child closes everything above 2, so one job's pipes never leak into another job's child.
// - The child is the leader of its own process group. We never reap it until we are done
//   signalling the group (waitid with WNOWAIT only peeks), so the group id cannot be recycled
//   under our kill(-pgid).
// - A pidfd (Linux ≥ 5.3) lets poll() wake on the child's exit as well as on output; without
//   one we fall back to short poll slices.
#include "handlers/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace edgegate::handlers {
namespace {

using Clock = std::chrono::steady_clock;
using base::Result;
using base::Status;

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// Owns a file descriptor; closes it when reset or destroyed.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }

 private:
  int fd_;
};

struct Pipe {
  Fd read;
  Fd write;
};

// A pipe whose ends are close-on-exec; the read end is non-blocking (ours), the write end is
// blocking (the child's).
Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return base::Internal("pipe2: " + ErrnoText(errno));
  }
  Pipe pipe{Fd(fds[0]), Fd(fds[1])};
  ::fcntl(pipe.read.get(), F_SETFL, O_NONBLOCK);
  return pipe;
}

// Resolves a program name without a '/' against the PATH in `env`, as execvp would.
std::string ResolveProgram(const std::string& program, const std::vector<std::string>& env) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  std::string_view path = "/usr/bin:/bin";
  for (const std::string& entry : env) {
    if (entry.starts_with("PATH=")) {
      path = std::string_view(entry).substr(5);
    }
  }
  while (true) {
    size_t colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) {
      return program;  // posix_spawn will fail with ENOENT, which names the problem
    }
    path.remove_prefix(colon + 1);
  }
}

// Owns the posix_spawn attribute and file-action objects for one spawn.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // New process group, default signal dispositions, empty mask; stdin from /dev/null, stdout
  // and stderr into the given pipes, no other descriptor, and `cwd` if not empty.
  Status Configure(int out_fd, int err_fd, const std::filesystem::path& cwd) {
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    int rc = ::posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = rc ? rc : ::posix_spawnattr_setpgroup(&attr_, 0);
    rc = rc ? rc : ::posix_spawnattr_setsigmask(&attr_, &none);
    rc = rc ? rc : ::posix_spawnattr_setsigdefault(&attr_, &all);
    rc = rc ? rc : ::posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    rc = rc ? rc : ::posix_spawn_file_actions_adddup2(&actions_, out_fd, 1);
    rc = rc ? rc : ::posix_spawn_file_actions_adddup2(&actions_, err_fd, 2);
    rc = rc ? rc : ::posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    if (rc == 0 && !cwd.empty()) {
      rc = ::posix_spawn_file_actions_addchdir_np(&actions_, cwd.c_str());
    }
    return rc == 0 ? base::OkStatus() : base::Internal("posix_spawn setup: " + ErrnoText(rc));
  }

  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

// NULL-terminated char* view of `strings` for exec; valid while `strings` lives.
std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

// A spawned, not yet reaped child that leads its own process group.
struct Child {
  pid_t pid = -1;
  Fd pidfd;  // invalid if the kernel has no pidfd_open

  // True once the child has exited (it stays a zombie: we only peek).
  bool HasExited() const {
    if (pidfd.valid()) {
      pollfd p{pidfd.get(), POLLIN, 0};
      return ::poll(&p, 1, 0) > 0;
    }
    siginfo_t info{};
    return ::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
  }
};

// One captured stream: a pipe's read end and where its bytes go, bounded.
struct Capture {
  Fd fd;
  std::string& text;
  bool& truncated;
  size_t max_bytes;
};

// Reads what is available on `c` without blocking; closes it at EOF or on a read error.
// Returns true if it read something.
bool ReadAvailable(Capture& c) {
  char buf[64 * 1024];
  ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return false;
  }
  if (n <= 0) {
    c.fd.Reset();
    return false;
  }
  size_t room = c.max_bytes - std::min(c.max_bytes, c.text.size());
  size_t keep = std::min(room, static_cast<size_t>(n));
  c.text.append(buf, keep);
  c.truncated = c.truncated || keep < static_cast<size_t>(n);
  return true;
}

// Reads everything already buffered in `c`, then closes it (used once the child has exited but
// something it left behind still holds the pipe).
void DrainAndClose(Capture& c) {
  while (c.fd.valid() && ReadAvailable(c)) {
  }
  c.fd.Reset();
}

// pidfd_open(2) through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C". -1 if the
// kernel has none.
int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int MillisUntil(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1'000'000));
}

// Waits until the child exits or the deadline passes. Returns true if it exited.
bool WaitForExit(const Child& child, Clock::time_point deadline) {
  while (!child.HasExited()) {
    int left_ms = MillisUntil(deadline);
    if (left_ms == 0) {
      return false;
    }
    if (child.pidfd.valid()) {
      pollfd p{child.pidfd.get(), POLLIN, 0};
      ::poll(&p, 1, left_ms);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left_ms, 5)));
    }
  }
  return true;
}

// Pumps both streams until they close or the child exits, then waits for the exit. Returns
// true if the deadline passed first (the child is still running).
bool PumpUntilExit(Capture& out, Capture& err, const Child& child, Clock::time_point deadline) {
  while (out.fd.valid() || err.fd.valid()) {
    int left_ms = MillisUntil(deadline);
    if (left_ms == 0) {
      return true;
    }
    pollfd fds[3];
    nfds_t n = 0;
    for (Capture* c : {&out, &err}) {
      if (c->fd.valid()) {
        fds[n++] = pollfd{c->fd.get(), POLLIN, 0};
      }
    }
    if (child.pidfd.valid()) {
      fds[n++] = pollfd{child.pidfd.get(), POLLIN, 0};
    } else {
      left_ms = std::min(left_ms, 20);
    }
    ::poll(fds, n, left_ms);
    for (Capture* c : {&out, &err}) {
      if (c->fd.valid()) {
        ReadAvailable(*c);
      }
    }
    if (child.HasExited()) {
      DrainAndClose(out);
      DrainAndClose(err);
    }
  }
  return !WaitForExit(child, deadline);
}

// Kills whatever is left in the child's process group, then reaps the child.
// REQUIRES: the child has not been reaped yet (so its pid, the group id, is not recycled).
// Returns the wait status; Internal if someone else reaped the child (SIGCHLD ignored?).
Result<int> KillGroupAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return base::Internal("waitpid: " + ErrnoText(errno) + " (is SIGCHLD ignored?)");
    }
  }
  return status;
}

Result<Child> Spawn(const ProcessOptions& options, int out_fd, int err_fd) {
  SpawnSetup setup;
  RETURN_IF_ERROR(setup.Configure(out_fd, err_fd, options.cwd));
  std::string program = ResolveProgram(options.argv[0], options.env);
  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp = CStrings(options.env);
  Child child;
  int rc = ::posix_spawn(&child.pid, program.c_str(), setup.actions(), setup.attr(), argv.data(),
                         envp.data());
  if (rc != 0) {
    std::string where = options.cwd.empty() ? "" : " in " + options.cwd.string();
    return base::Unavailable("cannot run " + options.argv[0] + where + ": " + ErrnoText(rc));
  }
  child.pidfd = Fd(PidfdOpen(child.pid));
  return child;
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return base::InvalidArgument("RunProcess: argv is empty");
  }
  Clock::time_point start = Clock::now();
  ASSIGN_OR_RETURN(Pipe out_pipe, MakePipe());
  ASSIGN_OR_RETURN(Pipe err_pipe, MakePipe());
  int err_fd = options.merge_stderr ? out_pipe.write.get() : err_pipe.write.get();
  ASSIGN_OR_RETURN(Child child, Spawn(options, out_pipe.write.get(), err_fd));
  out_pipe.write.Reset();
  err_pipe.write.Reset();

  ProcessResult result;
  Capture out{std::move(out_pipe.read), result.out, result.out_truncated, options.max_output_bytes};
  Capture err{std::move(err_pipe.read), result.err, result.err_truncated, options.max_output_bytes};
  result.timed_out = PumpUntilExit(out, err, child, start + options.timeout);
  ASSIGN_OR_RETURN(int status, KillGroupAndReap(child.pid));
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

}  // namespace edgegate::handlers
