// Scheduling priority of control-plane threads.
//
// Why: on a machine whose cores are busy serving, the admin API, handler builds and the
// version reaper compete with the data plane's loops for the same CPUs. A deploy then shows up
// as a latency spike for every request that waits while an admin thread runs (measured: p99 up
// to 3x during 50 hot swaps with everything on one core). Control-plane threads therefore run
// at a lower priority (a higher nice value) than the loops; when the CPU is idle they run as
// fast as before. Compilers spawned from such a thread inherit its nice value.
#pragma once

namespace edgegate::base {

// How much nicer than the process a background thread is.
inline constexpr int kBackgroundNiceIncrement = 10;

// Lowers the calling thread's priority to the process's nice value + kBackgroundNiceIncrement
// (at most 19). Linux: nice values are per thread. Never raises a priority; no-op elsewhere.
// Returns the thread's nice value afterwards, or -100 if it could not be read.
int MakeThisThreadBackground();

// Returns the calling thread's nice value, or -100 if it cannot be read.
int ThisThreadNice();

}  // namespace edgegate::base
