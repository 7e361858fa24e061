#include "base/thread_priority.h"

#include <algorithm>
#include <cerrno>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace edgegate::base {

#ifdef __linux__
namespace {

id_t ThisThreadId() { return static_cast<id_t>(syscall(SYS_gettid)); }

// getpriority may legitimately return -1, so errno tells failure apart.
int NiceOf(int which, id_t who) {
  errno = 0;
  int nice = getpriority(which, who);
  return errno == 0 ? nice : -100;
}

}  // namespace

int ThisThreadNice() { return NiceOf(PRIO_PROCESS, ThisThreadId()); }

int MakeThisThreadBackground() {
  // The process's value is the main thread's (tid == pid): a thread created by an already
  // lowered thread must not go down twice.
  const int process = NiceOf(PRIO_PROCESS, static_cast<id_t>(getpid()));
  const int current = ThisThreadNice();
  if (process == -100 || current == -100) {
    return current;
  }
  const int target = std::min(process + kBackgroundNiceIncrement, 19);
  if (target > current) {
    setpriority(PRIO_PROCESS, ThisThreadId(), target);
  }
  return ThisThreadNice();
}
#else
int ThisThreadNice() { return -100; }
int MakeThisThreadBackground() { return -100; }
#endif

}  // namespace edgegate::base
