// The service types this build knows, and validation of their configs.
#pragma once

#include <span>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "base/status.h"
#include "services/actor.h"
#include "services/connection.h"

namespace edgegate::services {

// Every service type, in a stable order. Static storage.
std::span<const ServiceType* const> AllTypes();
// The type named `name` (aliases included: "minio" = "s3", "mariadb" = "mysql", "smtp" =
// "email"), or null.
const ServiceType* FindType(std::string_view name);

// Checks `config` against the keys of `type` plus the keys every service has (pool_size,
// timeout_ms, queue_size). InvalidArgument with field "config.<key>" for an unknown key, a value
// of the wrong JSON type or out of range, or a missing required key; field "config" if it is not
// an object. Returns the config as given (no defaults filled in: those stay the backend's).
base::Result<boost::json::object> ValidateConfig(const ServiceType& type,
                                                 const boost::json::value& config);
// `config` with every secret key that is set replaced by "********" (for GET responses).
boost::json::object RedactSecrets(const ServiceType& type, const boost::json::object& config);
// For PUT: a secret key whose new value is "********" (a GET round-tripped) keeps its old value.
void KeepRedactedSecrets(const ServiceType& type, const boost::json::object& old_config,
                         boost::json::object& new_config);
// The actor options a config asks for (pool_size, timeout_ms, queue_size, with defaults).
ActorOptions ActorOptionsOf(const ServiceType& type, const boost::json::object& config);

inline constexpr std::string_view kRedacted = "********";

}  // namespace edgegate::services
