// Failed-authentication rate limiting per client address for the admin API.
//
// Why: keys carry 192 random bits, so guessing one is hopeless, but an operator-supplied
// EDGEGATE_ADMIN_KEY may be weak, and a client hammering wrong keys should be slowed and seen.
// Each address gets a fixed window that opens with its first failure: after `max_failures`
// failures inside the window, the address is locked out until the window ends (requests from it
// are refused before any key is checked, and do not extend the window). Successes neither reset
// nor touch any counter.
//
// Memory is bounded: at most `max_addresses` addresses are tracked; when the table is full, the
// address whose window opened first (the one that expires soonest) is evicted. Expired windows
// are dropped as calls go by, so an idle table shrinks back.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace edgegate::admin {

struct RateLimiterOptions {
  // Failures within `window` after which an address is locked out until the window ends.
  int max_failures = 10;
  // Length of an address's window, counted from its first failure.
  std::chrono::seconds window{60};
  // Most addresses tracked at once (about 100 bytes each); the oldest window is evicted first.
  size_t max_addresses = 10000;
  // Monotonic clock; empty = std::chrono::steady_clock::now. Tests inject a fake one.
  std::function<std::chrono::steady_clock::time_point()> now;
};

// Thread-compatible: the admin API calls it from its single loop thread only.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // REQUIRES: options.max_failures >= 1, options.window > 0, options.max_addresses >= 1.
  explicit RateLimiter(RateLimiterOptions options = {});

  // If `address` is locked out, the whole seconds until its window ends (>= 1, rounded up, what
  // a Retry-After header should say); nullopt if it may try.
  std::optional<std::chrono::seconds> RetryAfter(std::string_view address);
  // Records one failed authentication from `address` (opening its window if it has none).
  void RecordFailure(std::string_view address);
  // How many addresses are tracked now (for tests and stats).
  size_t tracked() const { return index_.size(); }

 private:
  struct Entry {
    std::string address;
    Clock::time_point window_start;
    int failures = 0;
  };

  Clock::time_point Now() const;
  // Drops entries whose window has ended (they are at the front of `by_age_`).
  void DropExpired(Clock::time_point now);

  const RateLimiterOptions options_;
  // Ordered by window_start, oldest first: entries are appended with the current time and never
  // restarted in place (an expired window is dropped; the next failure appends a new entry).
  std::list<Entry> by_age_;
  // Keys view the `address` strings owned by the list nodes (nodes never move).
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

}  // namespace edgegate::admin
