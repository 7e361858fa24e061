// TickClock calibration.
#include "telemetry/tick_clock.h"

#include <thread>

namespace edgegate::telemetry {

TickClock::TickClock() {
#if defined(__x86_64__)
  using Clock = std::chrono::steady_clock;
  Clock::time_point t0 = Clock::now();
  uint64_t c0 = Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Clock::time_point t1 = Clock::now();
  uint64_t c1 = Now();
  double ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0)
                                      .count());
  if (c1 > c0 && ns > 0) {
    ns_per_tick_ = ns / static_cast<double>(c1 - c0);
  }
#endif
}

const TickClock& TickClock::Shared() {
  static const TickClock clock;
  return clock;
}

}  // namespace edgegate::telemetry
