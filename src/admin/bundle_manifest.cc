// bundle.yaml parsing (yaml-cpp) and the assignment of handler files to operations.
//
// bundle.yaml:
//   name: petstore            # collection name with create_collection (else the spec's title)
//   version: 1.0.0
//   description: ...
//   dependencies: [libpq]     # pkg-config packages for every handler file of the bundle
//   routes:                   # explicit mappings, when file names do not match operationIds
//     showPetById: handlers/show.cpp
//     createPets: {handler: handlers/create.cpp}
// `routes` may also be a list of {operation, handler}. Values are literal text: nothing is
// expanded (the reference gateway expanded its own environment here and leaked secrets).
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <map>

#include "admin/bundle.h"

namespace edgegate::admin {
namespace {

constexpr std::string_view kManifest = "bundle.yaml";

std::string Where(std::string_view key) { return std::string(kManifest) + ": " + std::string(key); }

// A string value, or a problem naming `key`.
std::optional<std::string> ReadString(const YAML::Node& value, std::string_view key,
                                      std::vector<BundleProblem>& problems) {
  if (!value.IsScalar()) {
    problems.push_back({Where(key), std::string(key) + " must be a string"});
    return std::nullopt;
  }
  return value.Scalar();
}

void ReadDependencies(const YAML::Node& value, BundleManifest& m,
                      std::vector<BundleProblem>& problems) {
  if (value.IsNull()) return;
  if (!value.IsSequence()) {
    problems.push_back({Where("dependencies"), "dependencies must be a list of package names"});
    return;
  }
  for (const YAML::Node& item : value) {
    if (auto s = ReadString(item, "dependencies", problems)) m.dependencies.push_back(*s);
  }
}

// One route: `target` is a file path, or a mapping {operation?, handler}.
void ReadRoute(std::string operation, const YAML::Node& target, BundleManifest& m,
               std::vector<BundleProblem>& problems) {
  std::string key = "routes." + (operation.empty() ? std::string("[]") : operation);
  std::optional<std::string> handler;
  if (target.IsMap()) {
    for (const auto& kv : target) {
      std::string field = kv.first.Scalar();
      if (field == "operation" || field == "operationId") {
        if (auto s = ReadString(kv.second, key + "." + field, problems)) operation = *s;
      } else if (field == "handler") {
        handler = ReadString(kv.second, key + ".handler", problems);
      } else {
        problems.push_back({Where(key + "." + field), "unknown field '" + field + "'"});
      }
    }
  } else {
    handler = ReadString(target, key, problems);
  }
  if (!handler || operation.empty()) {
    problems.push_back({Where(key), "a route needs an operation and a handler file"});
    return;
  }
  m.routes.push_back({operation, *handler});
}

void ReadRoutes(const YAML::Node& value, BundleManifest& m, std::vector<BundleProblem>& problems) {
  if (value.IsNull()) return;
  if (value.IsMap()) {
    for (const auto& kv : value) ReadRoute(kv.first.Scalar(), kv.second, m, problems);
  } else if (value.IsSequence()) {
    for (const YAML::Node& item : value) ReadRoute("", item, m, problems);
  } else {
    problems.push_back({Where("routes"), "routes must map operationIds to handler files"});
  }
}

void ReadManifestFields(const YAML::Node& root, BundleManifest& m,
                        std::vector<BundleProblem>& problems) {
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    if (key == "name" || key == "version" || key == "description") {
      std::optional<std::string> s = ReadString(kv.second, key, problems);
      if (s) (key == "name" ? m.name : key == "version" ? m.version : m.description) = *s;
    } else if (key == "dependencies") {
      ReadDependencies(kv.second, m, problems);
    } else if (key == "routes") {
      ReadRoutes(kv.second, m, problems);
    } else {
      problems.push_back({Where(key), "unknown field '" + key + "'"});
    }
  }
}

std::string Stem(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view file = slash == path.npos ? path : path.substr(slash + 1);
  return std::string(file.substr(0, file.rfind('.')));
}

std::string WithoutDotSlash(std::string_view path) {
  while (path.starts_with("./")) path.remove_prefix(2);
  return std::string(path);
}

}  // namespace

std::optional<BundleManifest> ParseManifest(std::string_view text,
                                            std::vector<BundleProblem>& problems) {
  size_t before = problems.size();
  BundleManifest manifest;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsMap()) {
      ReadManifestFields(root, manifest, problems);
    } else if (!root.IsNull()) {
      problems.push_back({std::string(kManifest), "the manifest must be a mapping"});
    }
  } catch (const YAML::Exception& e) {
    problems.push_back({std::string(kManifest),
                        "not valid YAML (line " + std::to_string(e.mark.line + 1) + ", column " +
                            std::to_string(e.mark.column + 1) + "): " + e.msg});
  }
  if (problems.size() != before) return std::nullopt;
  return manifest;
}

std::string NormalizeHandlerName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '_' || c == '-' || c == ' ') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::vector<std::optional<size_t>> MatchHandlers(const Bundle& bundle,
                                                 const std::vector<std::string>& operation_names,
                                                 std::vector<BundleProblem>& problems) {
  std::vector<std::optional<size_t>> handler_of(operation_names.size());
  std::vector<bool> used(bundle.handlers.size(), false);
  auto assign = [&](size_t op, size_t file) {
    if (handler_of[op] && *handler_of[op] != file) {
      problems.push_back({bundle.handlers[file].path, "operation '" + operation_names[op] +
                                                          "' already has the handler " +
                                                          bundle.handlers[*handler_of[op]].path});
    } else {
      handler_of[op] = file;
    }
    used[file] = true;
  };
  std::map<std::string, size_t> op_by_name;
  for (size_t i = 0; i < operation_names.size(); ++i) op_by_name[operation_names[i]] = i;
  if (bundle.manifest) {
    for (const BundleRoute& route : bundle.manifest->routes) {
      std::string path = WithoutDotSlash(route.handler);
      auto op = op_by_name.find(route.operation_id);
      size_t file = 0;
      while (file < bundle.handlers.size() && bundle.handlers[file].path != path) ++file;
      if (op == op_by_name.end()) {
        problems.push_back({Where("routes." + route.operation_id),
                            "no operation '" + route.operation_id + "' in the spec"});
      } else if (file == bundle.handlers.size()) {
        problems.push_back({Where("routes." + route.operation_id),
                            "no handler file '" + route.handler + "' in the bundle"});
      } else {
        assign(op->second, file);
      }
    }
  }
  std::multimap<std::string, size_t> op_by_normal;
  for (size_t i = 0; i < operation_names.size(); ++i) {
    op_by_normal.emplace(NormalizeHandlerName(operation_names[i]), i);
  }
  for (size_t file = 0; file < bundle.handlers.size(); ++file) {
    if (used[file]) continue;
    std::string key = NormalizeHandlerName(Stem(bundle.handlers[file].path));
    auto [first, last] = op_by_normal.equal_range(key);
    if (first == last) {
      problems.push_back({bundle.handlers[file].path,
                          "matches no operationId (names are compared in lower case without "
                          "'_', '-' and ' '; or map it in bundle.yaml routes)"});
    } else if (std::next(first) != last) {
      problems.push_back(
          {bundle.handlers[file].path, "matches several operations; map it in bundle.yaml routes"});
    } else {
      assign(first->second, file);
    }
  }
  return handler_of;
}

}  // namespace edgegate::admin
