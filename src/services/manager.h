// The running services: one actor per activated service, the bindings of endpoints to services,
// and the lookup handlers go through (endpoint, kind, name → actor). The admin side changes
// state (Activate, Deactivate, SetBindings) off the request path; lookups read an immutable
// snapshot. Deactivating or reconfiguring a service drains its old actor in the background:
// calls already queued or running finish, new calls go to the new actor (or fail "not active").
//
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "services/actor.h"

namespace edgegate::services {

// What the admin side knows of a service (from the store).
struct ServiceSpec {
  std::string id;
  std::string name;
  const ServiceType* type = nullptr;
  boost::json::object config;  // validated
};

// An endpoint's binding: handlers of `endpoint_id` reach `service_id` as `pool_id` (or by the
// service's name).
struct Binding {
  std::string endpoint_id;
  std::string service_id;
  std::string pool_id;
};

class ServiceResolver;

// Handlers find a service's actor through a ServiceResolver (below), which reads the manager's
// snapshots.
class ServiceManager {
 public:
  ServiceManager() = default;
  ~ServiceManager();  // StopAll()
  ServiceManager(const ServiceManager&) = delete;
  ServiceManager& operator=(const ServiceManager&) = delete;

  // Starts (or restarts with the new config) the actor of `spec`. The previous actor, if any,
  // drains in the background.
  void Activate(const ServiceSpec& spec);
  // Stops routing calls to the service; its actor drains in the background.
  void Deactivate(const std::string& service_id);
  bool IsActive(const std::string& service_id) const;
  // Records the names of services (for bindings to inactive services) and replaces all bindings.
  void SetCatalog(std::vector<ServiceSpec> services, std::vector<Binding> bindings);

  // The current actor of a service, or null.
  std::shared_ptr<Actor> ActorOf(const std::string& service_id) const;
  // The running actors, by service id (a copy: for metrics).
  std::vector<std::pair<std::string, std::shared_ptr<Actor>>> ActiveActors() const;

  // Stops every actor (queued calls are answered "stopped"), waits for the draining ones.
  void StopAll();

 private:
  friend class ServiceResolver;
  struct Snapshot;
  // Finds the binding in `snap` (which may be null), or says why there is none.
  static base::Result<const std::shared_ptr<Actor>*> Find(const Snapshot* snap,
                                                          std::string_view endpoint_id,
                                                          Kind kind, std::string_view name);
  // The current snapshot and the generation it belongs to.
  std::shared_ptr<const Snapshot> Current(uint64_t* generation) const;
  void Publish();  // rebuilds the snapshot from specs_, actors_ and bindings_
  void Retire(std::shared_ptr<Actor> actor);

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;                    // guarded by mu_
  std::atomic<uint64_t> generation_{1};  // bumped by Publish under mu_; read by resolvers
  std::unordered_map<std::string, ServiceSpec> specs_;          // guarded by mu_
  std::unordered_map<std::string, std::shared_ptr<Actor>> actors_;  // guarded by mu_
  std::vector<Binding> bindings_;                               // guarded by mu_
  // Threads draining retired actors; `done` is set when one has finished (joined by the next
  // Retire or by StopAll), so reconfiguring often does not pile up threads.
  struct Retiring {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Retiring> retiring_;                              // guarded by mu_
};

// One I/O loop's resolution of service names, for the request path: without the manager's lock
// and without reference counting. The resolver keeps the snapshot it last read and reads a new
// one only after the manager published a change (one atomic load per call otherwise). Why: every
// service call resolves its name, and a lock plus two shared_ptr copies per call were a
// contended cache line once several loops call services.
//
// The snapshot it keeps holds its actors: an actor replaced or deactivated meanwhile is stopped
// (its calls answer "stopping") but freed only when every resolver has moved on, at its next call.
// Thread-compatible: one per loop. The manager must outlive it.
class ServiceResolver {
 public:
  explicit ServiceResolver(const ServiceManager& manager) : manager_(manager) {}

  // The actor handlers of `endpoint_id` reach as `name` of `kind`, or a Status saying why not
  // (NotFound: not bound / unknown / wrong kind; FailedPrecondition: not activated), with a
  // message naming the service. The pointer is valid until the next Resolve of this resolver:
  // copy the shared_ptr to keep the actor across anything that may resolve again (a yield).
  base::Result<const std::shared_ptr<Actor>*> Resolve(std::string_view endpoint_id, Kind kind,
                                                      std::string_view name);
  // Whether a service call of `endpoint_id`'s handlers may wait for an actor's reply: the
  // endpoint is bound to a service whose calls are not inline (ServiceType::inline_calls). Such
  // requests are served in a coroutine. A hash lookup only when some endpoint has such a binding.
  bool MayWait(std::string_view endpoint_id);

 private:
  void Refresh();  // reads the manager's snapshot if it published a new one

  const ServiceManager& manager_;
  uint64_t generation_ = 0;  // the manager's generations start at 1
  std::shared_ptr<const ServiceManager::Snapshot> snapshot_;
};

}  // namespace edgegate::services
