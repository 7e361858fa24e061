// For the integration tests of real backends: where scripts/backends/up.sh started each server.
// The file is the env.json that up.sh writes; `make test` exports EDGEGATE_BACKENDS_ENV with its
// path and EDGEGATE_REQUIRE_BACKENDS=1, so a missing server fails the test instead of skipping it.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

namespace edgegate::services::testing {

// The entry of server `name` ("postgres", "redis"...) in env.json, or nullopt when
// EDGEGATE_BACKENDS_ENV is unset or the file has no such server.
std::optional<boost::json::object> BackendEnv(std::string_view name);

// In a test body: `auto env = REQUIRE_BACKEND("redis");` gives the server's entry; without one,
// the test fails when EDGEGATE_REQUIRE_BACKENDS=1 (make test), else is skipped with a reason.
#define REQUIRE_BACKEND(name) /* __extension__: a GNU statement expression, quiet under -Wpedantic */ \
  __extension__({                                                                              \
    auto eg_env_ = ::edgegate::services::testing::BackendEnv(name);                            \
    if (!eg_env_) {                                                                            \
      if (::edgegate::services::testing::BackendsRequired()) {                                 \
        ADD_FAILURE() << "backend " << name << " not in EDGEGATE_BACKENDS_ENV (make test starts " \
                                               "it with scripts/backends/up.sh)";              \
      } else {                                                                                 \
        GTEST_SKIP() << "no " << name << " server: run scripts/backends/up.sh and export "      \
                        "EDGEGATE_BACKENDS_ENV=build/backends/env.json";                       \
      }                                                                                        \
      return;                                                                                  \
    }                                                                                          \
    std::move(*eg_env_);                                                                       \
  })

bool BackendsRequired();

}  // namespace edgegate::services::testing
