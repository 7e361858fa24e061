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

// The outcome of a lookup: the actor, or a Status saying why not (NotFound: not bound / unknown
// / wrong kind; FailedPrecondition: not activated), with a message naming the service.
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

  // The actor handlers of `endpoint_id` reach as `name` of `kind`.
  base::Result<std::shared_ptr<Actor>> Resolve(std::string_view endpoint_id, Kind kind,
                                               std::string_view name) const;
  // The current actor of a service, or null.
  std::shared_ptr<Actor> ActorOf(const std::string& service_id) const;
  // The running actors, by service id (a copy: for metrics).
  std::vector<std::pair<std::string, std::shared_ptr<Actor>>> ActiveActors() const;

  // Stops every actor (queued calls are answered "stopped"), waits for the draining ones.
  void StopAll();

 private:
  struct Snapshot;
  void Publish();  // rebuilds the snapshot from specs_, actors_ and bindings_
  void Retire(std::shared_ptr<Actor> actor);

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;                    // guarded by mu_
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

}  // namespace edgegate::services
