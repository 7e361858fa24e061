// membarrier(2) registration and the heavy fence.
#include "base/asymmetric_fence.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace edgegate::base {
namespace {

long Membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0, 0); }

// Registers the process for private expedited barriers if the kernel offers them.
bool RegisterMembarrier() {
  long supported = Membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) {
    return false;
  }
  return Membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

}  // namespace

namespace internal {
bool g_membarrier_fences = RegisterMembarrier();
}  // namespace internal

void HeavyFence() {
  if (!internal::g_membarrier_fences) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return;
  }
  if (Membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
    // Cannot happen once registered. Going on would let the other side's LightFence order
    // nothing, so a drained handler could be unloaded under a running request.
    std::fprintf(stderr, "edgegate: membarrier failed after registration: %s\n",
                 std::strerror(errno));
    std::abort();
  }
}

}  // namespace edgegate::base
