// Fixed-window failure counting with an age-ordered list for eviction (see rate_limiter.h).
#include "admin/rate_limiter.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace edgegate::admin {

RateLimiter::RateLimiter(RateLimiterOptions options) : options_(std::move(options)) {}

RateLimiter::Clock::time_point RateLimiter::Now() const {
  return options_.now ? options_.now() : Clock::now();
}

void RateLimiter::DropExpired(Clock::time_point now) {
  while (!by_age_.empty() && by_age_.front().window_start + options_.window <= now) {
    index_.erase(by_age_.front().address);
    by_age_.pop_front();
  }
}

std::optional<std::chrono::seconds> RateLimiter::RetryAfter(std::string_view address) {
  Clock::time_point now = Now();
  DropExpired(now);
  auto it = index_.find(address);
  if (it == index_.end() || it->second->failures < options_.max_failures) {
    return std::nullopt;
  }
  auto left = it->second->window_start + options_.window - now;
  auto seconds = std::chrono::ceil<std::chrono::seconds>(left);
  return std::max(seconds, std::chrono::seconds(1));
}

void RateLimiter::RecordFailure(std::string_view address) {
  Clock::time_point now = Now();
  DropExpired(now);  // afterwards every tracked window is still open
  auto it = index_.find(address);
  if (it != index_.end()) {
    ++it->second->failures;
    return;
  }
  if (index_.size() >= options_.max_addresses) {
    index_.erase(by_age_.front().address);
    by_age_.pop_front();
  }
  by_age_.push_back(Entry{std::string(address), now, 1});
  index_.emplace(by_age_.back().address, std::prev(by_age_.end()));
}

}  // namespace edgegate::admin
