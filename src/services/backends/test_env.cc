#include "services/backends/test_env.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>

namespace edgegate::services::testing {

std::optional<boost::json::object> BackendEnv(std::string_view name) {
  const char* path = std::getenv("EDGEGATE_BACKENDS_ENV");
  if (path == nullptr || *path == '\0') {
    return std::nullopt;
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value env = boost::json::parse(text.str(), ec);
  if (ec || !env.is_object()) {
    return std::nullopt;
  }
  // env.json is either {"servers": {name: {...}}} or {name: {...}}.
  const boost::json::object* servers = &env.get_object();
  if (auto it = servers->find("servers"); it != servers->end() && it->value().is_object()) {
    servers = &it->value().get_object();
  }
  auto it = servers->find(name);
  if (it == servers->end() || !it->value().is_object()) {
    return std::nullopt;
  }
  return it->value().get_object();
}

bool BackendsRequired() {
  const char* v = std::getenv("EDGEGATE_REQUIRE_BACKENDS");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace edgegate::services::testing
