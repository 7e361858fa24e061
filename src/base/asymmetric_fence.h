// Asymmetric fences: for a store-then-load handshake between a frequent side and a rare side,
// the frequent side pays only a compiler barrier and the rare side a system call.
//
// Why: a request pins its handler version by counting itself in, then checking the version is
// still the active one; the reaper marks a version replaced, then counts who is in (Dekker's
// pattern). Each side needs its store ordered before its load, which on x86 takes a full fence
// or a locked instruction: about 8 ns, twice per request (pin and release), on the VMs here.
// membarrier(2) with MEMBARRIER_CMD_PRIVATE_EXPEDITED (Linux 4.14) makes every running thread of
// the process execute a full memory barrier before it returns; a thread not running has passed
// one in its context switch. So a HeavyFence on the rare side orders against a LightFence (a
// compiler barrier) on the frequent side as two full fences would: either the frequent side's
// store is visible to the rare side's load, or the frequent side's load sees the rare side's
// store. This is how liburcu's membarrier flavour and folly's asymmetric barriers work.
//
// Where membarrier is unavailable (an old kernel, a seccomp filter, valgrind), both are full
// fences. The choice is made once, before main.
#pragma once

#include <atomic>

namespace edgegate::base {
namespace internal {
// True when HeavyFence uses membarrier. Written once during static initialisation, before any
// thread is started; read-only afterwards.
extern bool g_membarrier_fences;
}  // namespace internal

// The frequent side: orders this thread's earlier stores before its later loads when paired
// with a HeavyFence on another thread.
inline void LightFence() {
  if (internal::g_membarrier_fences) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
}

// The rare side: a full fence on this thread and on every other thread of the process. A system
// call of a few microseconds that interrupts the process's running threads: never on a request
// path.
void HeavyFence();

// Whether HeavyFence uses membarrier (for logs and tests).
inline bool FencesUseMembarrier() { return internal::g_membarrier_fences; }

}  // namespace edgegate::base
