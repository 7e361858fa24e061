// Registry: lock-free pinning on the request path, mutex-guarded publication and reaping.
//
// Why pinning is safe without a lock: Pin() increments its shard of the version's in-flight
// count, then re-reads the slot's active pointer; Activate() swaps the pointer and marks the old
// version draining, and the reaper sums the shards only after seeing it draining. Both sides
// are a store followed by a load, ordered by a fence between them: on the request side
// base::LightFence (a compiler barrier; a thread sharing the last shard uses a seq_cst
// read-modify-write, itself a full fence), on the reaper's side base::HeavyFence (membarrier:
// a full barrier on every thread of the process) before each sum. So either the reaper's load
// of that shard sees the pin (and waits), or the pinning request sees the new pointer (and
// backs off without entering the old code).
// A release counts in its own thread's shard, which stays single-writer when a pin moves between
// threads. The sum can then read high (a back-off counted, or a release read before its pin),
// never low: a pin that went in was visible to the reaper's first sum after the fence, and
// every later one. So a zero sum means no request is inside. A release that sees the version
// draining wakes the reaper, which sums again; one that does not is seen by the reaper's own
// sum after it marked the version draining (the same store, fence, load pairing). Version
// metadata is never freed while its slot lives, so the back-off touches valid memory.
#include "handlers/registry.h"

#include "base/asymmetric_fence.h"
#include "base/log.h"
#include "base/thread_priority.h"
#include "handlers/loader.h"

namespace edgegate::handlers {

std::string_view VersionStateName(VersionState state) {
  switch (state) {
    case VersionState::kLoaded:
      return "loaded";
    case VersionState::kActive:
      return "active";
    case VersionState::kDraining:
      return "draining";
    case VersionState::kUnloaded:
      return "unloaded";
  }
  return "unknown";
}

HandlerVersion::HandlerVersion(std::string endpoint_id, int64_t number, std::string hash,
                               std::unique_ptr<LoadedLibrary> library)
    : endpoint_id_(std::move(endpoint_id)),
      number_(number),
      hash_(std::move(hash)),
      descriptor_(&library->descriptor()),
      library_(std::move(library)) {}

HandlerVersion::~HandlerVersion() = default;

int64_t HandlerVersion::in_flight() const {
  int64_t total = 0;
  for (const PinShard& shard : pins_) {
    total += shard.count.load();
  }
  return total;
}

void HandlerVersion::WakeReaper() {
  if (registry_ != nullptr) {
    registry_->NotifyReaper();  // a drain ends only at the last release: the reaper sums again
  }
}

PinnedHandler& PinnedHandler::operator=(PinnedHandler&& other) noexcept {
  if (this != &other) {
    Reset();
    version_ = other.version_;
    other.version_ = nullptr;
  }
  return *this;
}

PinnedHandler EndpointSlot::Pin(base::ThreadShard shard) {
  for (;;) {
    HandlerVersion* version = active_.load();
    if (version == nullptr) {
      return PinnedHandler();
    }
    version->CountPin(shard, 1);
    if (active_.load() == version) {
      return PinnedHandler(version);
    }
    version->Release(shard);  // replaced meanwhile: never enter it, retry with the new one
  }
}

Registry::Registry(const RegistryOptions& options)
    : options_(options), reaper_([this] { ReaperLoop(); }) {}

Registry::~Registry() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  reaper_.join();
}

std::shared_ptr<EndpointSlot> Registry::Slot(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  return SlotLocked(endpoint_id);
}

std::shared_ptr<EndpointSlot>& Registry::SlotLocked(const std::string& endpoint_id) {
  auto& slot = slots_[endpoint_id];
  if (!slot) {
    slot = std::make_shared<EndpointSlot>(
        endpoint_id, options_.logs ? options_.logs->ForEndpoint(endpoint_id) : nullptr);
  }
  return slot;
}

void Registry::LifecycleEvent(const HandlerVersion& version, telemetry::LogLevel level,
                              const std::string& message) {
  if (options_.logs == nullptr) {
    return;
  }
  // Find, not ForEndpoint: a deleted endpoint's log is gone and must not come back when its last
  // version finishes draining.
  if (auto log = options_.logs->Find(version.endpoint_id())) {
    log->Append(level, telemetry::LogSource::kLifecycle, message, version.number());
  }
}

base::Result<std::shared_ptr<HandlerVersion>> Registry::Load(const std::string& endpoint_id,
                                                             int64_t number,
                                                             const std::string& hash,
                                                             const std::string& library_path) {
  ASSIGN_OR_RETURN(std::unique_ptr<LoadedLibrary> library, LoadedLibrary::Open(library_path));
  auto version = std::make_shared<HandlerVersion>(endpoint_id, number, hash, std::move(library));
  version->registry_ = this;
  return version;
}

base::Result<int64_t> Registry::Activate(const std::shared_ptr<HandlerVersion>& version) {
  std::lock_guard lock(mu_);
  if (version->state() == VersionState::kUnloaded) {
    return base::FailedPrecondition("version " + std::to_string(version->number()) +
                                    " was unloaded; load it again");
  }
  auto& slot = SlotLocked(version->endpoint_id());
  bool known = false;
  for (auto& v : slot->versions_) {
    known = known || v == version;
  }
  if (!known) {
    slot->versions_.push_back(version);
  }
  version->state_.store(VersionState::kActive);
  HandlerVersion* old = slot->active_.exchange(version.get());
  if (old == nullptr || old == version.get()) {
    return int64_t{0};
  }
  StartDrainLocked(old);
  return old->number();
}

void Registry::Deactivate(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(endpoint_id);
  if (it == slots_.end()) {
    return;
  }
  HandlerVersion* old = it->second->active_.exchange(nullptr);
  if (old != nullptr) {
    StartDrainLocked(old);
  }
}

void Registry::Remove(const std::string& endpoint_id) {
  Deactivate(endpoint_id);
  std::lock_guard lock(mu_);
  slots_.erase(endpoint_id);
}

// REQUIRES: `version` is no longer any slot's active version.
void Registry::StartDrainLocked(HandlerVersion* version) {
  for (auto& candidate : SlotLocked(version->endpoint_id())->versions_) {
    if (candidate.get() == version) {
      version->drain_started_ = std::chrono::steady_clock::now();
      version->state_.store(VersionState::kDraining);
      draining_.push_back(candidate);
      LifecycleEvent(*version, telemetry::LogLevel::kInfo,
                     "version " + std::to_string(version->number()) + " draining (" +
                         std::to_string(version->in_flight()) + " request(s) in flight)");
      break;
    }
  }
  wake_ = true;
  cv_.notify_all();
}

std::shared_ptr<HandlerVersion> Registry::Find(const std::string& endpoint_id, int64_t number) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(endpoint_id);
  if (it == slots_.end()) {
    return nullptr;
  }
  for (auto& version : it->second->versions_) {
    if (version->number() == number && version->state() != VersionState::kUnloaded) {
      return version;
    }
  }
  return nullptr;
}

std::vector<VersionInfo> Registry::Versions(const std::string& endpoint_id) {
  std::lock_guard lock(mu_);
  std::vector<VersionInfo> out;
  auto it = slots_.find(endpoint_id);
  if (it == slots_.end()) {
    return out;
  }
  for (auto& v : it->second->versions_) {
    out.push_back(
        {v->number(), v->hash(), v->state(), v->in_flight(), v->drain_overdue_, v->unload_error_});
  }
  return out;
}

std::vector<std::shared_ptr<HandlerVersion>> Registry::LiveVersions() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<HandlerVersion>> out;
  for (auto& [id, slot] : slots_) {
    for (auto& v : slot->versions_) {
      if (v->state() != VersionState::kUnloaded) out.push_back(v);
    }
  }
  return out;
}

RegistryStats Registry::Stats() {
  std::lock_guard lock(mu_);
  RegistryStats stats;
  for (auto& [id, slot] : slots_) {
    for (auto& v : slot->versions_) {
      if (v->state() != VersionState::kUnloaded) ++stats.loaded;
    }
  }
  stats.draining = static_cast<int64_t>(draining_.size());
  return stats;
}

bool Registry::WaitForDrains(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return draining_.empty(); });
}

// Called by a loop thread releasing a draining version, so without mu_: the reaper holds mu_
// while it unloads libraries at background priority, and a loop waiting for it would stall
// every request on that loop. Without the lock a wake-up can be lost (set and notified just
// before the reaper blocks); the reaper then runs at its next period, a later unload, never a
// wrong one. Only the first release after the reaper ran notifies.
void Registry::NotifyReaper() {
  if (!wake_.exchange(true)) {
    cv_.notify_all();
  }
}

void Registry::ReaperLoop() {
  base::MakeThisThreadBackground();  // unloading old versions can wait for the data plane
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, options_.reaper_period, [this] { return stop_ || wake_; });
    wake_ = false;
    ReapLocked(std::chrono::steady_clock::now());
    cv_.notify_all();  // WaitForDrains
  }
}

void Registry::ReapLocked(std::chrono::steady_clock::time_point now) {
  if (draining_.empty()) {
    return;
  }
  base::HeavyFence();  // pairs with the requests' LightFence (see the top of this file)
  for (auto it = draining_.begin(); it != draining_.end();) {
    HandlerVersion& v = **it;
    if (v.state() != VersionState::kDraining) {
      it = draining_.erase(it);  // re-activated while it drained
      continue;
    }
    std::string label = "endpoint " + v.endpoint_id() + " version " + std::to_string(v.number());
    if (v.in_flight() > 0) {
      if (!v.drain_overdue_ && now - v.drain_started_ > options_.drain_timeout) {
        v.drain_overdue_ = true;
        std::string overdue = "drain exceeded its timeout with " +
                              std::to_string(v.in_flight()) +
                              " request(s) still inside; it stays loaded";
        base::Log(base::LogLevel::kWarn, label + ": " + overdue);
        LifecycleEvent(v, telemetry::LogLevel::kWarn,
                       "version " + std::to_string(v.number()) + " drain overdue: " + overdue);
      }
      ++it;
      continue;
    }
    base::Status closed = v.library_->Close();
    std::string number = "version " + std::to_string(v.number());
    if (!closed.ok()) {
      v.unload_error_ = closed.message();
      base::Log(base::LogLevel::kWarn, label + ": " + closed.message());
      LifecycleEvent(v, telemetry::LogLevel::kWarn,
                     number + " drained; unload failed: " + closed.message());
    } else {
      base::Log(base::LogLevel::kInfo, label + ": drained and unloaded");
      LifecycleEvent(v, telemetry::LogLevel::kInfo, number + " drained and unloaded");
    }
    v.state_.store(VersionState::kUnloaded);
    it = draining_.erase(it);
  }
}

}  // namespace edgegate::handlers
