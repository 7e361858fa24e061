// Snapshots of actors and bindings, and background draining of retired actors.
#include "services/manager.h"

#include <unordered_set>

#include "base/string_map.h"
#include "services/catalog.h"

namespace edgegate::services {

struct ServiceManager::Snapshot {
  struct Bound {
    std::string pool_id;
    std::string service_name;
    const ServiceType* type;
    std::shared_ptr<Actor> actor;  // null when not activated
  };
  base::FastStringMap<std::vector<Bound>> by_endpoint;  // endpoint ids come from the admin API
  // Endpoints bound to a service whose calls go through its actor's inbox (not inline_calls): a
  // call of theirs waits for the reply.
  std::unordered_set<std::string, base::FastStringHash, std::equal_to<>> may_wait;
};

ServiceManager::~ServiceManager() { StopAll(); }

void ServiceManager::Activate(const ServiceSpec& spec) {
  auto actor = std::make_shared<Actor>(*spec.type, spec.name, spec.config,
                                       ActorOptionsOf(*spec.type, spec.config));
  actor->Start();
  std::shared_ptr<Actor> old;
  {
    std::lock_guard lock(mu_);
    specs_[spec.id] = spec;
    old = std::exchange(actors_[spec.id], actor);
  }
  Publish();
  if (old) {
    Retire(std::move(old));
  }
}

void ServiceManager::Deactivate(const std::string& service_id) {
  std::shared_ptr<Actor> old;
  {
    std::lock_guard lock(mu_);
    auto it = actors_.find(service_id);
    if (it == actors_.end()) {
      return;
    }
    old = std::move(it->second);
    actors_.erase(it);
  }
  Publish();
  Retire(std::move(old));
}

bool ServiceManager::IsActive(const std::string& service_id) const {
  std::lock_guard lock(mu_);
  return actors_.contains(service_id);
}

void ServiceManager::SetCatalog(std::vector<ServiceSpec> services, std::vector<Binding> bindings) {
  {
    std::lock_guard lock(mu_);
    for (ServiceSpec& s : services) {
      specs_[s.id] = std::move(s);
    }
    bindings_ = std::move(bindings);
  }
  Publish();
}

void ServiceManager::Publish() {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<Snapshot>();
  for (const Binding& b : bindings_) {
    auto spec = specs_.find(b.service_id);
    if (spec == specs_.end()) {
      continue;
    }
    auto actor = actors_.find(b.service_id);
    next->by_endpoint[b.endpoint_id].push_back(
        {b.pool_id, spec->second.name, spec->second.type,
         actor == actors_.end() ? nullptr : actor->second});
    if (!spec->second.type->inline_calls) {
      next->may_wait.insert(b.endpoint_id);
    }
  }
  snapshot_ = std::move(next);
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const ServiceManager::Snapshot> ServiceManager::Current(
    uint64_t* generation) const {
  std::lock_guard lock(mu_);
  *generation = generation_.load(std::memory_order_relaxed);  // Publish changes both under mu_
  return snapshot_;
}

base::Result<const std::shared_ptr<Actor>*> ServiceManager::Find(const Snapshot* snap,
                                                                 std::string_view endpoint_id,
                                                                 Kind kind,
                                                                 std::string_view name) {
  const Snapshot::Bound* found = nullptr;
  if (snap != nullptr) {
    auto it = snap->by_endpoint.find(endpoint_id);
    if (it != snap->by_endpoint.end()) {
      for (const auto& b : it->second) {  // the binding's pool_id first, then service names
        if (b.pool_id == name) {
          found = &b;
          break;
        }
      }
      for (const auto& b : it->second) {
        if (found == nullptr && b.service_name == name) {
          found = &b;
        }
      }
    }
  }
  auto quoted = [name] {  // errors only
    // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) about "'" + string.
    std::string out = "'";
    out.append(name).push_back('\'');
    return out;
  };
  if (found == nullptr) {
    return base::NotFound("service " + quoted() + " is not bound to this endpoint (bind it with " +
                          "POST /api/endpoints/{id}/services)");
  }
  if (found->type->kind != kind) {
    return base::NotFound("service " + quoted() + " is a " + std::string(KindName(found->type->kind)) +
                          " (" + std::string(found->type->name) + "), not a " +
                          std::string(KindName(kind)));
  }
  if (!found->actor) {
    return base::FailedPrecondition("service " + quoted() + " is not activated");
  }
  return &found->actor;
}

void ServiceResolver::Refresh() {
  // Acquire: pairs with Publish's release, so a new generation comes with its snapshot.
  if (manager_.generation_.load(std::memory_order_acquire) != generation_) {
    snapshot_ = manager_.Current(&generation_);
  }
}

base::Result<const std::shared_ptr<Actor>*> ServiceResolver::Resolve(std::string_view endpoint_id,
                                                                     Kind kind,
                                                                     std::string_view name) {
  Refresh();
  return ServiceManager::Find(snapshot_.get(), endpoint_id, kind, name);
}

bool ServiceResolver::MayWait(std::string_view endpoint_id) {
  Refresh();
  return snapshot_ != nullptr && !snapshot_->may_wait.empty() &&
         snapshot_->may_wait.contains(endpoint_id);
}

std::shared_ptr<Actor> ServiceManager::ActorOf(const std::string& service_id) const {
  std::lock_guard lock(mu_);
  auto it = actors_.find(service_id);
  return it == actors_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::shared_ptr<Actor>>> ServiceManager::ActiveActors() const {
  std::lock_guard lock(mu_);
  return {actors_.begin(), actors_.end()};
}

void ServiceManager::Retire(std::shared_ptr<Actor> actor) {
  std::lock_guard lock(mu_);
  std::erase_if(retiring_, [](Retiring& r) {
    if (!r.done->load(std::memory_order_acquire)) return false;
    r.thread.join();  // finished: returns at once
    return true;
  });
  // Stop() waits for queued and running calls; do it off the admin thread.
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread t([actor = std::move(actor), done] {
    actor->Stop();
    done->store(true, std::memory_order_release);
  });
  retiring_.push_back({std::move(t), std::move(done)});
}

void ServiceManager::StopAll() {
  std::vector<std::shared_ptr<Actor>> actors;
  std::vector<Retiring> retiring;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, a] : actors_) {
      actors.push_back(a);
    }
    actors_.clear();
    retiring.swap(retiring_);
  }
  Publish();
  for (auto& a : actors) {
    a->Stop();
  }
  for (Retiring& r : retiring) {
    r.thread.join();
  }
}

}  // namespace edgegate::services
