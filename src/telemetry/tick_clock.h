// Request timing on the hot path. steady_clock::now() is clock_gettime: about 20 ns on bare
// metal, 25-80 ns in a VM, and a request needs two reads. The CPU's time-stamp counter costs
// less (7-12 ns a read on the AMD EPYC VMs measured, 22 ns on the Intel Xeon ones, where
// clock_gettime took 40); where it is usable (x86-64, where Linux requires an invariant TSC to
// use it as its clocksource) TickClock reads it and converts with a factor calibrated against
// steady_clock when the TickClock is constructed. Elsewhere it reads steady_clock.
//
// A request or an inline service call is timed on one thread (its connection's loop), so both
// reads come from that thread; a negative difference (a migration between unsynchronised
// counters) counts as 0.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace edgegate::telemetry {

// Immutable after construction: thread-safe.
class TickClock {
 public:
  // Calibrates the tick rate (blocks about 5 ms on x86-64; nothing elsewhere).
  TickClock();

  // The process's clock, calibrated by the first call (which blocks as the constructor does):
  // make that call at start-up, never first on a loop thread.
  static const TickClock& Shared();

  static uint64_t Now() {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
  }
  // The time between two Now() readings.
  std::chrono::nanoseconds Between(uint64_t start, uint64_t end) const {
    if (end <= start) {
      return std::chrono::nanoseconds(0);
    }
    return std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(end - start) *
                                                         ns_per_tick_));
  }
  double ns_per_tick() const { return ns_per_tick_; }

 private:
  double ns_per_tick_ = 1.0;
};

}  // namespace edgegate::telemetry
