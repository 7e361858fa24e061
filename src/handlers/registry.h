// The handler registry: which version of each endpoint serves, and the draining of the ones it
// replaced. The request path is lock-free: an endpoint's slot holds an atomic pointer to its
// active version; Pin() counts the request in that version and re-checks the pointer, so a
// version is never entered after it was replaced and drained. A background reaper unloads
// (dlclose) a draining version only when its in-flight count is zero; a drain that outlives the
// timeout is reported (log, versions API), never forced. Draining, drain overdue and unloaded
// are also written to the endpoint's log (RegistryOptions::logs), and each version carries the
// statistics of the requests it served (HandlerVersion::stats, for /metrics).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/asymmetric_fence.h"
#include "base/sharded_counter.h"
#include "base/status.h"
#include "edgegate/abi.h"
#include "telemetry/endpoint_log.h"
#include "telemetry/metrics.h"

namespace edgegate::handlers {

class LoadedLibrary;

enum class VersionState { kLoaded, kActive, kDraining, kUnloaded };
std::string_view VersionStateName(VersionState state);

// One loaded handler version. Its metadata lives as long as its endpoint's slot; its library is
// unloaded by the reaper once drained. Thread-safe.
class HandlerVersion {
 public:
  HandlerVersion(std::string endpoint_id, int64_t number, std::string hash,
                 std::unique_ptr<LoadedLibrary> library);
  ~HandlerVersion();

  const std::string& endpoint_id() const { return endpoint_id_; }
  int64_t number() const { return number_; }
  const std::string& hash() const { return hash_; }
  // REQUIRES: the caller holds a pin (or the version is not yet published).
  const eg_handler_descriptor& descriptor() const { return *descriptor_; }
  // Requests inside this version now: the sum of the shards' counts.
  int64_t in_flight() const;
  VersionState state() const { return state_.load(); }
  // Requests served by this version (recorded by the data plane). Thread-safe.
  telemetry::RequestStats& stats() { return stats_; }

 private:
  friend class EndpointSlot;
  friend class PinnedHandler;
  friend class Registry;

  // Adds `delta` to the in-flight count in `shard`, the calling thread's, ordered before the
  // caller's next load (registry.cc explains the pairing with the reaper).
  void CountPin(base::ThreadShard shard, int64_t delta) {
    std::atomic<int64_t>& count = pins_[shard.index].count;
    if (shard.exclusive) {
      // Release: a decrement comes after the handler's own memory accesses.
      count.store(count.load(std::memory_order_relaxed) + delta, std::memory_order_release);
      base::LightFence();
    } else {
      count.fetch_add(delta);
    }
  }
  // Takes back one pin; `shard` is the calling thread's (not necessarily the pinning thread's).
  void Release(base::ThreadShard shard) {
    CountPin(shard, -1);
    if (state_.load() == VersionState::kDraining) [[unlikely]] {
      WakeReaper();
    }
  }
  void WakeReaper();

  // Immutable after construction.
  const std::string endpoint_id_;
  const int64_t number_;
  const std::string hash_;
  const eg_handler_descriptor* descriptor_;
  // Atomics touched by requests. The in-flight count is sharded like the statistics: a pin
  // counts in its thread's shard (base::ShardedCounter::ShardOfThisThread), so loops pinning
  // one endpoint do not pass a cache line back and forth, and a thread that owns its shard
  // updates it with a plain load and store. A release counts in the releasing thread's shard,
  // so a shard may go below zero when a pin moves between threads; only the sum has a meaning.
  struct alignas(64) PinShard {
    std::atomic<int64_t> count{0};
  };
  std::array<PinShard, base::ShardedCounter::kShards> pins_;
  std::atomic<VersionState> state_{VersionState::kLoaded};
  telemetry::RequestStats stats_;
  // Guarded by the registry's mutex.
  std::unique_ptr<LoadedLibrary> library_;
  std::chrono::steady_clock::time_point drain_started_;
  bool drain_overdue_ = false;
  std::string unload_error_;
  class Registry* registry_ = nullptr;
};

// RAII pass on a version: while it lives, the version's library stays loaded. Move-only.
class PinnedHandler {
 public:
  PinnedHandler() = default;
  explicit PinnedHandler(HandlerVersion* version) : version_(version) {}
  PinnedHandler(PinnedHandler&& other) noexcept : version_(other.version_) {
    other.version_ = nullptr;
  }
  PinnedHandler& operator=(PinnedHandler&& other) noexcept;
  ~PinnedHandler() { Reset(); }

  explicit operator bool() const { return version_ != nullptr; }
  HandlerVersion* operator->() const { return version_; }
  // Releases the pin; any thread may (the release counts in that thread's shard).
  void Reset() {
    if (version_ != nullptr) {
      version_->Release(base::ShardedCounter::ShardOfThisThread());
      version_ = nullptr;
    }
  }

 private:
  HandlerVersion* version_ = nullptr;
};

// The routing target of one endpoint. Route table snapshots hold it by shared_ptr. Thread-safe.
class EndpointSlot {
 public:
  // `log`: where the endpoint's handler lines go (null: nowhere).
  explicit EndpointSlot(std::string endpoint_id,
                        std::shared_ptr<telemetry::EndpointLog> log = nullptr)
      : endpoint_id_(std::move(endpoint_id)), log_(std::move(log)) {}
  const std::string& endpoint_id() const { return endpoint_id_; }
  // The endpoint's log, or null. Lives as long as the slot.
  telemetry::EndpointLog* log() const { return log_.get(); }
  // Pins the active version; an empty guard if the endpoint serves nothing (stopped). The pin
  // counts in `shard`: the calling thread's, which the request path caches.
  PinnedHandler Pin(base::ThreadShard shard);
  PinnedHandler Pin() { return Pin(base::ShardedCounter::ShardOfThisThread()); }

 private:
  friend class Registry;
  const std::string endpoint_id_;
  const std::shared_ptr<telemetry::EndpointLog> log_;
  std::atomic<HandlerVersion*> active_{nullptr};
  std::vector<std::shared_ptr<HandlerVersion>> versions_;  // guarded by the registry's mutex
};

// A route the data plane serves, as published by the admin side.
struct RouteEntry {
  std::string domain;
  std::string method;
  std::string path;
  std::shared_ptr<EndpointSlot> slot;
};

struct VersionInfo {
  int64_t number = 0;
  std::string hash;
  VersionState state = VersionState::kLoaded;
  int64_t in_flight = 0;
  bool drain_overdue = false;
  std::string unload_error;
};

struct RegistryOptions {
  std::chrono::milliseconds drain_timeout{30'000};  // reported when exceeded, never forced
  std::chrono::milliseconds reaper_period{200};     // how often drains are re-checked
  // Endpoint logs: slots write handler lines there, the registry its lifecycle events (draining,
  // drain overdue, unloaded). Null = none. Must outlive the registry.
  telemetry::LogHub* logs = nullptr;
};

struct RegistryStats {
  int64_t loaded = 0;  // active or draining or loaded-but-unpublished
  int64_t draining = 0;
};

// Thread-safe. Owns the reaper thread (last member).
class Registry {
 public:
  explicit Registry(const RegistryOptions& options);
  ~Registry();  // stops the reaper; libraries still loaded stay loaded until process exit

  // The slot of `endpoint_id`, created on first use.
  std::shared_ptr<EndpointSlot> Slot(const std::string& endpoint_id);
  // Loads a version's library (dlopen + ABI check). Not yet serving.
  base::Result<std::shared_ptr<HandlerVersion>> Load(const std::string& endpoint_id, int64_t number,
                                                     const std::string& hash,
                                                     const std::string& library_path);
  // Publishes `version` as its endpoint's active version; the one it replaces starts draining.
  // Returns the replaced version's number, or 0. FailedPrecondition if `version` was unloaded.
  base::Result<int64_t> Activate(const std::shared_ptr<HandlerVersion>& version);
  // The endpoint stops serving; its active version drains. No-op if nothing is active.
  void Deactivate(const std::string& endpoint_id);
  // Deactivates and forgets the endpoint (its slot lives on in snapshots that hold it).
  void Remove(const std::string& endpoint_id);
  // The loaded version `number` of the endpoint, if it is loaded and not unloaded.
  std::shared_ptr<HandlerVersion> Find(const std::string& endpoint_id, int64_t number);
  std::vector<VersionInfo> Versions(const std::string& endpoint_id);
  // Every version not yet unloaded, of every endpoint (for metrics).
  std::vector<std::shared_ptr<HandlerVersion>> LiveVersions();
  RegistryStats Stats();
  // Blocks until no version drains or `deadline` passes; true if none left draining.
  bool WaitForDrains(std::chrono::steady_clock::time_point deadline);

 private:
  friend class HandlerVersion;
  void NotifyReaper();
  void ReaperLoop();
  void ReapLocked(std::chrono::steady_clock::time_point now);
  void StartDrainLocked(HandlerVersion* version);
  std::shared_ptr<EndpointSlot>& SlotLocked(const std::string& endpoint_id);
  // A lifecycle event in the endpoint's log (if the registry has a LogHub).
  void LifecycleEvent(const HandlerVersion& version, telemetry::LogLevel level,
                      const std::string& message);

  const RegistryOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, std::shared_ptr<EndpointSlot>> slots_;  // guarded by mu_
  std::vector<std::shared_ptr<HandlerVersion>> draining_;                 // guarded by mu_
  bool stop_ = false;                                                     // guarded by mu_
  // Set to make the reaper run now. Atomic, not guarded by mu_: the data plane sets it (see
  // NotifyReaper) and must never wait for mu_, which the reaper holds while it unloads.
  std::atomic<bool> wake_{false};
  std::thread reaper_;  // last: calls back into the fields above
};

}  // namespace edgegate::handlers
